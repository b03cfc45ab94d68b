"""The ``toyfoundry`` command: parse, call one function, render its result.

Subcommands are imported only when invoked, so ``toyfoundry validate`` (the pre-commit hook
path) never pays for pydantic, PyGithub or rich.
"""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

from toyfoundry_ci import __version__
from toyfoundry_ci.base.errors import ToyfoundryError

# name -> "module:attribute"; one module per command family.
COMMANDS: dict[str, str] = {
    "validate": "toyfoundry_ci.cli.validate:validate",
    "schemas": "toyfoundry_ci.cli.schemas:schemas",
    "forge": "toyfoundry_ci.cli.foundry:forge",
    "drill": "toyfoundry_ci.cli.foundry:drill",
    "parade": "toyfoundry_ci.cli.foundry:parade",
    "purge": "toyfoundry_ci.cli.foundry:purge",
    "status": "toyfoundry_ci.cli.foundry:status",
    "emit": "toyfoundry_ci.cli.foundry:emit",
    "readiness": "toyfoundry_ci.cli.readiness:readiness",
    "hooks": "toyfoundry_ci.cli.hooks:hooks",
    "pull": "toyfoundry_ci.cli.exchange:pull",
    "push": "toyfoundry_ci.cli.exchange:push",
    "promote": "toyfoundry_ci.cli.exchange:promote",
    "shift": "toyfoundry_ci.cli.shift:shift",
    "ledger": "toyfoundry_ci.cli.ledger:ledger",
    "pair": "toyfoundry_ci.cli.ledger:pair",
    "signoff": "toyfoundry_ci.cli.ledger:signoff",
    "audit": "toyfoundry_ci.cli.ledger:audit",
    "ci": "toyfoundry_ci.cli.ci:ci",
    "init": "toyfoundry_ci.cli.init:init",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(COMMANDS))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return super().get_command(ctx, cmd_name)
        module, _, attr = target.partition(":")
        command = getattr(importlib.import_module(module), attr)
        if not isinstance(command, click.Command):
            raise TypeError(f"{target} is not a click command")
        return command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        try:
            return super().resolve_command(ctx, args)
        except click.exceptions.NoSuchCommand as exc:
            # click suggests from the commands it holds; these are imported only when used.
            import difflib

            close = difflib.get_close_matches(exc.command_name, self.list_commands(ctx), cutoff=0.7)
            raise click.exceptions.NoSuchCommand(
                exc.command_name, possibilities=close, ctx=ctx
            ) from None

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:
            # Work that shows progress says what it finished (cli.progress); this is the rest.
            click.echo(
                "interrupted: stopped before it finished; every file is written whole,"
                " run the command again to finish",
                err=True,
            )
            ctx.exit(130)
        except ToyfoundryError as exc:
            if ctx.meta.get("toyfoundry.verbose"):
                import traceback  # only for --verbose: keeps start-up light

                traceback.print_exc()
            click.echo(exc.render(), err=True)
            ctx.exit(exc.exit_code)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="toyfoundry")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks for errors.")
@click.pass_context
def cli(ctx: click.Context, verbose: bool) -> None:
    """Run a factory repository as a validated, auditable exchange of JSON artifacts."""
    ctx.meta["toyfoundry.verbose"] = verbose or bool(os.environ.get("TOYFOUNDRY_VERBOSE"))


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point."""
    cli.main(args=argv if argv is not None else sys.argv[1:], prog_name="toyfoundry")
