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
    "--record",
    is_flag=True,
    help="Record this run in logs/ops_readiness.json, where the halt rule counts it.",
)
@click.option(
    "--full",
    is_flag=True,
    help="Check every artifact and entry again instead of only what changed since the last run.",
)
@click.option(
    "--no-log",
    "no_log",
    is_flag=True,
    help="Accepted for older hook configs: runs are not recorded unless --record is given.",
)
def readiness(fmt: str, root: str, *, staged: bool, record: bool, full: bool, no_log: bool) -> None:
    """Run the readiness gate: exit 0 when green, 1 when red. Records nothing unless --record."""
    if record and no_log:
        raise click.UsageError("--record and --no-log contradict each other; pass one")
    result = run_readiness(Layout(Path(root).resolve()), staged, record=record, full=full)
    click.echo(REPORTERS[fmt](result))
    if not result.green:
        raise SystemExit(1)
