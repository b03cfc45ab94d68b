"""``logs/exchange_all.json``: every pull and push appended, newest last, bounded, atomic,
under the repository lock.

Hub names reach this file only through the backends' ``display`` (credentials removed); no
token ever does. A dry run is not an exchange and is not recorded. Each pull from a hub records
the mirrored directives that hub has withdrawn; the latest pull from the hub is what counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Literal

from toyfoundry_ci.base.atomic import write_json_atomic
from toyfoundry_ci.base.clock import now
from toyfoundry_ci.base.errors import ArtifactError, HubError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import ParseError, read_artifact
from toyfoundry_ci.base.lock import SHORT_WAIT, repository_lock
from toyfoundry_ci.hub.protocol import Hub, check_not_rewritten
from toyfoundry_ci.models.common import Digest
from toyfoundry_ci.models.logs import HISTORY_LIMIT, ExchangedOrder, ExchangeLog, ExchangeRun


def read_log(layout: Layout) -> ExchangeLog:
    path = layout.exchange_log
    if not path.exists():
        return ExchangeLog(runs=[])
    value = read_artifact(path)
    if isinstance(value, ParseError):
        raise ArtifactError(
            f"{layout.rel(path)}::{value.where}: {value.message}",
            hint="fix or move the file aside; the next exchange starts a new log",
        )
    return ExchangeLog.model_validate(value)


def append_run(
    layout: Layout,
    *,
    direction: str,
    hub: str,
    orders: Iterable[tuple[str, str]],
    result: str,
    receipt_id: str | None = None,
    detail: str | None = None,
    withdrawn: Iterable[tuple[str, str]] | None = None,
    head: str | None = None,
) -> ExchangeRun:
    """Record one exchange; the oldest runs fall off past HISTORY_LIMIT."""
    gone = None if withdrawn is None else _orders(withdrawn)
    run = ExchangeRun.model_validate(
        {
            "at": now(),
            "direction": direction,
            "hub": hub[:200],
            "orders": _orders(orders),
            "result": result,
            "receipt_id": receipt_id,
            "detail": detail[:2000] if detail else None,
            "withdrawn": gone or None,
            "head": head,
        }
    )
    # Read, add, write back: under the lock, or a second writer's run would be lost.
    with repository_lock(layout.root, purpose="exchange log", wait=SHORT_WAIT):
        runs = [*read_log(layout).runs, run][-HISTORY_LIMIT:]
        write_json_atomic(layout.exchange_log, ExchangeLog(runs=runs).to_json())
    return run


def _orders(orders: Iterable[tuple[str, str]]) -> list[ExchangedOrder]:
    return [ExchangedOrder(order_id=o, digest=Digest(sha256=d)) for o, d in sorted(orders)]


def withdrawn_on(log: ExchangeLog, hub: str) -> dict[str, ExchangeRun]:
    """The directives the latest successful pull from ``hub`` found withdrawn, with that run."""
    for run in reversed(log.runs):
        if run.direction == "pull" and run.hub == hub[:200] and run.result != "failed":
            return {o.order_id: run for o in run.withdrawn or ()}
    return {}


def pulled_from(log: ExchangeLog, hub: str) -> set[str]:
    """Order IDs a recorded pull from ``hub`` mirrored (new or changed) or found withdrawn."""
    return {
        o.order_id
        for run in log.runs
        if run.direction == "pull" and run.hub == hub[:200]
        for o in (*run.orders, *(run.withdrawn or ()))
    }


def pushed_receipts(log: ExchangeLog, hub: str) -> dict[str, ExchangeRun]:
    """The receipts of the pushes to ``hub`` that landed (ok or partial), by receipt ID."""
    return {
        run.receipt_id: run
        for run in log.runs
        if run.direction == "push"
        and run.hub == hub[:200]
        and run.result in ("ok", "partial")
        and run.receipt_id
    }


def require_history(layout: Layout, hub: Hub) -> None:
    """Refuse ``hub`` when its branch does not descend from the head the log last saw."""
    seen = read_log(layout).last_head(hub.display)
    check_not_rewritten(hub, seen, layout.rel(layout.exchange_log))


@contextmanager
def failures_logged(layout: Layout, direction: Literal["pull", "push"], hub: str) -> Iterator[None]:
    """Record a run that the hub made fail, then let the error through to the operator."""
    try:
        yield
    except HubError as exc:
        append_run(
            layout, direction=direction, hub=hub, orders=[], result="failed", detail=exc.message
        )
        raise
