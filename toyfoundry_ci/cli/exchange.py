"""``toyfoundry pull`` and ``toyfoundry push`` (alias ``promote``): the exchange with the hub."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.cli.options import root_option
from toyfoundry_ci.cli.progress import showing

F = TypeVar("F", bound=Callable[..., Any])


def hub_option() -> Callable[[F], F]:
    return click.option(
        "--hub",
        default=None,
        metavar="URL",
        help="Hub: a folder, a git URL[#BRANCH], or github://OWNER/REPO[@BRANCH] (default: "
        "hub in .toyfoundry/config.toml or pyproject.toml's [tool.toyfoundry], else "
        ".toyfoundry/hub).",
    )


@click.command()
@hub_option()
@root_option()
def pull(hub: str | None, root: str) -> None:
    """Mirror new and changed directives from the hub into exchange/orders/."""
    from toyfoundry_ci.base.errors import printable
    from toyfoundry_ci.base.layout import Layout
    from toyfoundry_ci.exchange.gate import require_ready
    from toyfoundry_ci.exchange.pull import pull as run_pull
    from toyfoundry_ci.hub.config import open_hub, settings

    layout = Layout(Path(root))
    require_ready(layout, "pull", green=False)
    with showing("pull"):
        result = run_pull(layout, open_hub(layout, settings(layout, hub).spec))
    for label, items in (("new", result.new), ("changed", result.changed)):
        for order_id, digest in items:
            click.echo(f"  {label:<8} {order_id}  sha256 {digest[:12]}")
    fresh = 0
    for q in result.quarantined:
        fresh += not q.again
        state = "still quarantined" if q.again else "quarantined"
        click.echo(f"  {state}: {printable(q.hub_path)}: {printable(q.reason)} (copy: {q.stored})")
    for path in result.not_directives:
        click.echo(f"  not taken: {printable(path)} (only orders/<ORDER-ID>.json is a directive)")
    for path, why in result.refused:
        click.echo(f"  refused: {printable(path)}: {printable(why)} (not read)")
    for order_id, _digest in result.withdrawn:
        state = "withdrawn" if order_id in result.newly_withdrawn else "still withdrawn"
        click.echo(f"  {state}: {order_id} (kept in exchange/orders/, never pushed)")
    if result.new or result.changed:
        click.echo(
            f"pulled from {result.hub}: {len(result.new)} new, {len(result.changed)} changed, "
            f"{result.unchanged} unchanged"
        )
    else:
        also = (
            f"; {plural(len(result.quarantined), 'directive')} quarantined, above" if fresh else ""
        )
        click.echo(
            f"nothing new on {result.hub}: {plural(result.unchanged, 'directive')} already "
            f"mirrored{also}"
        )
    if fresh:
        raise SystemExit(1)


@click.command()
@hub_option()
@root_option()
@click.option("--dry-run", is_flag=True, help="List what would go; send nothing.")
def push(hub: str | None, root: str, dry_run: bool) -> None:
    """Send sealed, paired evidence to the hub once, with a receipt and a notification."""
    from toyfoundry_ci.base.layout import Layout
    from toyfoundry_ci.exchange.push import push as run_push
    from toyfoundry_ci.hub.config import open_hub, settings

    layout = Layout(Path(root))
    config = settings(layout, hub)
    with showing("push"):
        result = run_push(layout, open_hub(layout, config.spec), config.factory, dry_run=dry_run)
    verb = "would send" if dry_run else "sent"
    for evidence in result.sent:
        sent = ", ".join(f.path.split("/", 1)[0] for f in evidence.files[1:])  # not the directive
        click.echo(f"  {verb} {evidence.order_id}  ({sent})")
    for order_id, why in result.waiting:
        click.echo(f"  waiting {order_id}: {why}")
    for order_id, why in result.held:
        click.echo(f"  held {order_id}: {why}")
    for order_id, why in result.elsewhere:
        click.echo(f"  not sent {order_id}: {why}")
    for path, why in result.refused_receipts:
        click.echo(f"  refused hub receipt {path}: {why}")
    if result.sent and dry_run:
        click.echo(f"dry run: {plural(len(result.sent), 'order')} would go to {result.hub}")
    elif result.sent:
        click.echo(
            f"pushed {plural(len(result.sent), 'order')} to {result.hub} in one publication "
            f"({result.publication}); receipt {result.receipt_id}"
        )
    else:
        click.echo(
            f"nothing new to push to {result.hub}: "
            f"{plural(len(result.already), 'order')} already on the hub"
        )
    if result.held:
        raise SystemExit(1)


promote = click.Command(
    "promote",
    callback=push.callback,
    params=push.params,
    help="Alias of push: send signed-off evidence to the hub.",
)
