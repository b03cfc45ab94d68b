"""``toyfoundry forge|drill|parade|purge|status|emit``: the Foundry Cycle, one stage each."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.layout import Layout, find_factory
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.cli.exchange import hub_option
from toyfoundry_ci.cli.options import format_option, root_option
from toyfoundry_ci.cli.progress import showing
from toyfoundry_ci.validation.shard import Shard, parse_shard

ORDERS = click.argument("order_ids", nargs=-1, metavar="[ORDER]...")


def _render(result: object, fmt: str) -> None:
    from toyfoundry_ci.foundry.cadence import StageResult

    assert isinstance(result, StageResult)  # noqa: S101 - every stage returns one
    if fmt == "json":
        click.echo(orjson.dumps(result.to_json(), option=orjson.OPT_INDENT_2).decode())
    elif result.nothing_to_do and not result.outcomes:
        click.echo(f"{result.stage}: nothing to do: no order is ready for it")
    else:
        for o in result.outcomes:
            click.echo(f"{result.stage} {o.order_id}: {o.status}: {o.message}")
            for path in o.paths:
                click.echo(f"  {path}")
        if result.nothing_to_do:
            click.echo(f"{result.stage}: nothing to do")
    if not result.ok:
        raise SystemExit(1)


def _ids(order_ids: tuple[str, ...]) -> list[str] | None:
    return list(order_ids) if order_ids else None


@click.command()
@ORDERS
@root_option()
@format_option("text", "json")
def forge(order_ids: tuple[str, ...], root: str, fmt: str) -> None:
    """Draft the factory order and its ack in outbox/ (no ORDER: every new order)."""
    from toyfoundry_ci.foundry.forge import forge as run

    layout = Layout(Path(root))
    with showing("forge"):
        result = run(layout, _ids(order_ids))
    _render(result, fmt)


def _shard(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Shard | None:
    if value is None:
        return None
    try:
        return parse_shard(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


@click.command()
@ORDERS
@root_option()
@format_option("text", "json")
@click.option(
    "--shard",
    callback=_shard,
    metavar="K/N",
    help="Drill only shard K of N (split by the sha256 of each order ID), for a CI matrix.",
)
def drill(order_ids: tuple[str, ...], root: str, fmt: str, shard: Shard | None) -> None:
    """Simulate production; write the report draft and the quilt (no ORDER: every forged order)."""
    from toyfoundry_ci.foundry.drill import drill as run

    layout = Layout(Path(root))
    with showing("drill"):
        result = run(layout, _ids(order_ids), shard=shard)
    _render(result, fmt)


@click.command()
@ORDERS
@root_option()
@format_option("text", "json")
@click.option("--lot", default=None, help="The lot (shift) to name in the ledger entries.")
def parade(order_ids: tuple[str, ...], root: str, fmt: str, lot: str | None) -> None:
    """Move paired evidence into exchange/ and create ledger entries (sign-off pending)."""
    from toyfoundry_ci.foundry.parade import parade as run

    layout = Layout(Path(root))
    with showing("parade"):
        result = run(layout, _ids(order_ids), lot=lot)
    _render(result, fmt)


@click.command()
@ORDERS
@root_option()
@format_option("text", "json")
def purge(order_ids: tuple[str, ...], root: str, fmt: str) -> None:
    """Clear drafts and stale telemetry of paraded orders (never what the ledger cites)."""
    from toyfoundry_ci.foundry.purge import purge as run

    result = run(Layout(Path(root)), _ids(order_ids))
    _render(result, fmt)


@click.command()
@hub_option()
@root_option()
@format_option("text", "json")
def status(hub: str | None, root: str, fmt: str) -> None:
    """Every order and its stage, from the files, the ledger and the hub's receipts."""
    from toyfoundry_ci.foundry.cadence import status as run

    report = run(Layout(Path(root)), hub)
    for note in report.notes:
        click.echo(f"note: {note}", err=True)
    if fmt == "json":
        click.echo(orjson.dumps(report.to_json(), option=orjson.OPT_INDENT_2).decode())
        return
    if not report.orders:
        click.echo("no orders in exchange/orders/")
        return
    width = max(len(o.order_id) for o in report.orders)
    lines = [f"{'ORDER':<{width}}  {'STAGE':<10}  NEXT"]
    for o in report.orders:
        pushed = f" (receipt {o.receipt.receipt_id}, {o.receipt.pushed_at})" if o.receipt else ""
        lines.append(f"{o.order_id:<{width}}  {o.stage.value:<10}  {o.next_step}{pushed}")
    click.echo("\n".join(lines))  # one write: a line per order is 100,000 writes at scale
    if report.hub_read:
        click.echo(f"promoted: read from {report.hub}")


@click.command()
@click.argument("kind", type=click.Choice(["order", "ack", "report"]))
@click.option(
    "--template",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Start from this JSON file; flags and --set edit it.",
)
@click.option("--set", "sets", multiple=True, metavar="KEY=VALUE", help="Set a (dotted) field.")
@click.option("--order-id", help="order: the order ID.")
@click.option("--due-date", help="order: the due date (YYYY-MM-DD).")
@click.option(
    "--priority", type=click.Choice(["routine", "urgent", "critical"]), help="order: its priority."
)
@click.option(
    "--line",
    "lines",
    multiple=True,
    metavar="SKU:QTY[:DUE]",
    help="order: a line (repeat for more).",
)
@click.option(
    "--from-order",
    type=click.Path(dir_okay=False, path_type=Path),
    help="ack: draft the ack forge would write for this order.",
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write here.")
@root_option(discover=False)
def emit(  # noqa: PLR0917 - click passes every option as an argument
    kind: str,
    template: Path | None,
    sets: tuple[str, ...],
    order_id: str | None,
    due_date: str | None,
    priority: str | None,
    lines: tuple[str, ...],
    from_order: Path | None,
    out: Path | None,
    root: str | None,
) -> None:
    """Emit an order, ack or report from flags or a template; refused when not valid."""
    from toyfoundry_ci.foundry.emit import emit as run

    flags = [
        f"{key}={value}"
        for key, value in (
            ("order_id", order_id),
            ("due_date", due_date),
            ("priority", priority),
        )
        if value is not None
    ]
    label = str(out) if out else "-"
    emitted = run(
        kind,
        template=template,
        sets=[*flags, *sets],
        order_lines=lines,
        from_order=from_order,
        # Only an ack drafted from an order needs the factory (its catalogue).
        layout=Layout(find_factory(root)) if from_order else None,
        label=label,
    )
    if not emitted.ok:
        for p in emitted.problems:
            click.echo(f"{label}::{p.where}: {p.message}", err=True)
        click.echo(
            f"refused: the {kind} is not valid ({plural(len(emitted.problems), 'error')})", err=True
        )
        raise SystemExit(1)
    if out is None:
        click.echo(emitted.to_bytes().decode(), nl=False)
        return
    changed = write_bytes_atomic(out, emitted.to_bytes())
    click.echo(f"wrote {out}" if changed else f"{out} already holds this {kind}; nothing written")
