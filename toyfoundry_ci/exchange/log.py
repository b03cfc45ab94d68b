"""``logs/exchange_all.json``: every pull and push appended, newest last, bounded, atomic.

Hub names reach this file only through the backends' ``display`` (credentials removed); no
token ever does.
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
) -> ExchangeRun:
    """Record one exchange; the oldest runs fall off past HISTORY_LIMIT."""
    run = ExchangeRun.model_validate(
        {
            "at": now(),
            "direction": direction,
            "hub": hub[:200],
            "orders": [
                ExchangedOrder(order_id=o, digest=Digest(sha256=d)) for o, d in sorted(orders)
            ],
            "result": result,
            "receipt_id": receipt_id,
            "detail": detail[:2000] if detail else None,
        }
    )
    log = read_log(layout)
    runs = [*log.runs, run][-HISTORY_LIMIT:]
    write_json_atomic(layout.exchange_log, ExchangeLog(runs=runs).to_json())
    return run


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
