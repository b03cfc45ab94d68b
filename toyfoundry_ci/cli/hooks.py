"""``toyfoundry hooks``: git-level glue for a factory repository."""

from __future__ import annotations

from pathlib import Path

import click

from toyfoundry_ci.cli.options import root_option


@click.group()
def hooks() -> None:
    """Install the commit hooks and the ledger merge driver; run the commit check."""


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


@hooks.command("pre-commit")
@root_option()
def pre_commit_cmd(root: str) -> None:
    """What the factory's commit hook runs: readiness over the staged changes, then the
    ledger index brought current on the default branch when it is not.

    `readiness --staged --no-log` (which validates every staged artifact as staged) and
    `ledger index --default-branch-only` in one process: pre-commit diffs the whole work
    tree after each hook it runs. Exit 1 when readiness is red or the index was written
    (stage it and commit again).
    """
    from toyfoundry_ci.base.layout import Layout
    from toyfoundry_ci.readiness.hooks import commit_check

    report, code = commit_check(Layout(Path(root).resolve()))
    click.echo(report)
    if code:
        raise SystemExit(code)
