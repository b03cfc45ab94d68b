"""The exchange log: every pull and push, oldest first, bounded.

Each run is written as its own record file in ``logs/exchange_all.d/`` and never edited, so two
branches that both exchanged merge without a conflict; ``logs/exchange_all.json`` is the frozen
part (runs recorded before that layout, or folded in by the intake run). A pull that found
nothing new and saw what the last pull from that hub saw is not recorded: it would only dirty
the tree.

Hub names reach this file only through the backends' ``display`` (credentials removed); no
token ever does. A dry run is not an exchange and is not recorded. Each pull from a hub records
the mirrored directives that hub has withdrawn; the latest pull from the hub is what counts.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Literal

from toyfoundry_ci.base.clock import now
from toyfoundry_ci.base.errors import ArtifactError, HubError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import ParseError
from toyfoundry_ci.base.lock import SHORT_WAIT, repository_lock
from toyfoundry_ci.base.records import fold, log_documents, record_files, write_record
from toyfoundry_ci.hub.protocol import Hub, check_not_rewritten
from toyfoundry_ci.models.common import Digest
from toyfoundry_ci.models.logs import HISTORY_LIMIT, ExchangedOrder, ExchangeLog, ExchangeRun


def read_log(layout: Layout) -> ExchangeLog:
    """The runs of the frozen file and the record files, oldest first, bounded."""
    runs: list[ExchangeRun] = []
    for path, value in log_documents(layout.exchange_log):
        if isinstance(value, ParseError):
            raise ArtifactError(
                f"{layout.rel(path)}::{value.where}: {value.message}",
                hint=f"restore the file from git (`git checkout -- {layout.rel(path)}`)",
            )
        runs += ExchangeLog.model_validate(value).runs
    # Stable: runs of the same second keep the order they were recorded in.
    return ExchangeLog(runs=sorted(runs, key=lambda run: run.at)[-HISTORY_LIMIT:])


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
    # The lock keeps two writers of the same second from choosing the same sequence number.
    with repository_lock(layout.root, purpose="exchange log", wait=SHORT_WAIT):
        if not _repeats_last_pull(layout, run):
            write_record(layout.exchange_log, ExchangeLog(runs=[run]).to_json())
    return run


def _repeats_last_pull(layout: Layout, run: ExchangeRun) -> bool:
    """A pull that found nothing new and what the last recorded pull from its hub found."""
    if run.direction != "pull" or run.result != "nothing-new":
        return False
    for before in reversed(read_log(layout).runs):
        if before.direction == "pull" and before.hub == run.hub and before.result != "failed":
            return before.withdrawn == run.withdrawn and (run.head or before.head) == before.head
    return False


def fold_log(layout: Layout) -> bool:
    """Fold the record files into the frozen file (the intake run's, a serialized writer)."""
    folded = record_files(layout.exchange_log)
    if not folded:
        return False
    return fold(layout.exchange_log, read_log(layout).to_json(), folded)


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


def last_head(log: ExchangeLog, hub: str) -> str | None:
    """The branch commit the latest recorded run on ``hub`` saw, if a run recorded one."""
    for run in reversed(log.runs):
        if run.hub == hub[:200] and run.head:
            return run.head
    return None


def require_history(layout: Layout, hub: Hub) -> None:
    """Refuse ``hub`` when its branch does not descend from the head the log last saw."""
    seen = last_head(read_log(layout), hub.display)
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
