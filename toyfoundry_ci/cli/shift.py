"""``toyfoundry shift``: run the whole operator loop, with progress and a summary table."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from toyfoundry_ci.cli.exchange import hub_option
from toyfoundry_ci.cli.options import root_option
from toyfoundry_ci.cli.progress import showing

_MARK = {
    "done": "done",
    "nothing": "-",
    "waiting": "waiting",
    "skipped": "skipped",
    "refused": "REFUSED",
    "stopped": "STOPPED",
}


@click.command()
@hub_option()
@root_option()
@click.option(
    "--demo",
    is_flag=True,
    help=(
        "Run in a scratch copy of this factory (.toyfoundry/demo/factory, git-ignored): seed "
        "its embedded hub with a demo Alfa batch, sign off as a demo reviewer."
    ),
)
def shift(hub: str | None, root: str, demo: bool) -> None:
    """Warm start, pull, forge, drill, parade, purge, sign-off, final gate, promote."""
    from toyfoundry_ci.base.layout import Layout
    from toyfoundry_ci.shift import ShiftResult, run_shift

    layout = Layout(Path(root))
    result: ShiftResult
    with showing("shift") as tracker:
        result = run_shift(layout, hub, demo=demo, progress=tracker.step)
    if sys.stdout.isatty():
        from rich.console import Console

        _table(Console(), result)
    else:
        click.echo(f"shift {result.lot} on {result.hub}")
        for step in result.steps:
            click.echo(f"  {step.name:<16} {_MARK[step.status]:<8} {step.count:>5}  {step.detail}")
    if demo:
        where = os.path.relpath(result.factory.root)
        click.echo(
            f"demo factory: {where} (a git-ignored scratch copy of the last commit; "
            "this factory is unchanged; delete .toyfoundry/demo to start over)"
        )
    if result.stopped:
        click.echo(f"shift stopped at {result.stopped.name}: {result.stopped.detail}", err=True)
    elif result.nothing_new:
        click.echo("nothing new this shift: no new directives, nothing to forge, seal or promote")
    if not result.ok:
        raise SystemExit(1)


def _table(console: object, result: object) -> None:
    from rich.console import Console
    from rich.table import Table

    from toyfoundry_ci.shift import ShiftResult

    assert isinstance(console, Console) and isinstance(result, ShiftResult)  # noqa: S101
    table = Table(title=f"shift {result.lot} on {result.hub}")
    for column in ("step", "result", "orders", "detail"):
        table.add_column(column)
    for step in result.steps:
        table.add_row(step.name, _MARK[step.status], str(step.count), step.detail)
    console.print(table)
