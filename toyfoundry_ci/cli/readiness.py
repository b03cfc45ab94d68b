"""``toyfoundry readiness``: may the factory pull or publish? What to fix if not."""

from __future__ import annotations

from pathlib import Path

import click

from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.cli.options import format_option, root_option
from toyfoundry_ci.readiness.gate import run_readiness
from toyfoundry_ci.readiness.reporting import REPORTERS


@click.command()
@format_option("text", "json", "github")
@root_option()
@click.option("--staged", is_flag=True, help="Also check what is staged for the next commit.")
@click.option(
    "--no-log",
    "no_log",
    is_flag=True,
    help="Do not record this run in logs/ops_readiness.json (the pre-commit hook's mode).",
)
def readiness(fmt: str, root: str, staged: bool, no_log: bool) -> None:
    """Run the readiness gate: exit 0 when green, 1 when red."""
    result = run_readiness(Layout(Path(root).resolve()), staged, record=not no_log)
    click.echo(REPORTERS[fmt](result))
    if not result.green:
        raise SystemExit(1)
