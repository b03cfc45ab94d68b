"""``toyfoundry hooks``: git-level glue for a factory repository."""

from __future__ import annotations

from pathlib import Path

import click

from toyfoundry_ci.cli.options import root_option


@click.group()
def hooks() -> None:
    """Install the commit hooks and the ledger merge driver."""


@hooks.command("install")
@root_option()
def install_cmd(root: str) -> None:
    """Run `pre-commit install` and register the ledger index merge driver.

    Both run by this interpreter's absolute path (recorded as `toyfoundry.python` for
    hooks/python), so commits and merges work without the venv on PATH.
    """
    from toyfoundry_ci.readiness.hooks import install_hooks

    done = install_hooks(Path(root).resolve())
    for line in done:
        click.echo(line)
    if not any(line.startswith(("git config", ".gitattributes")) for line in done):
        click.echo("ledger merge driver already registered; nothing to do")
