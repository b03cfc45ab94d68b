"""The ``toyfoundry`` command: parse, call one function, render its result.

Subcommands are imported only when invoked, so ``toyfoundry validate`` (the pre-commit hook
path) never pays for pydantic, PyGithub or rich.
"""

from __future__ import annotations

import importlib
import sys
from typing import NoReturn

import click

from toyfoundry_ci import __version__

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


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="toyfoundry")
@click.option("-v", "--verbose", is_flag=True, help="Show tracebacks for errors.")
def cli(verbose: bool) -> None:
    """Run a factory repository as a validated, auditable exchange of JSON artifacts."""


def main(argv: list[str] | None = None) -> NoReturn:
    """Run ``toyfoundry ARGV`` inside the one error boundary, and exit with its code."""
    from toyfoundry_ci._boundary import run

    args = list(sys.argv[1:] if argv is None else argv)
    sys.exit(run(lambda: cli.main(args=args, prog_name="toyfoundry", standalone_mode=False), args))
