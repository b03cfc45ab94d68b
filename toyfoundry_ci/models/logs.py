"""Gate and exchange records under ``logs/``: append-only runs, newest last, bounded."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import Field

from toyfoundry_ci.models.common import (
    Artifact,
    Digest,
    GenericId,
    OrderId,
    Pivot,
    ShortText,
    Text,
    Timestamp,
)

HISTORY_LIMIT = 500


class CheckResult(Artifact):
    id: GenericId
    status: Literal["pass", "fail", "not-applicable"]
    message: Text
    fix: Text | None = None


class ReadinessRun(Artifact):
    at: Timestamp
    head: Annotated[str, Field(pattern=r"^([0-9a-f]{40}|[0-9a-f]{64}|none)$")]
    verdict: Literal["green", "red"]
    checks: list[CheckResult]


class ReadinessLog(Artifact):
    kind: Literal["readiness-log"] = "readiness-log"
    pivot: Pivot = "v1"
    runs: Annotated[list[ReadinessRun], Field(max_length=HISTORY_LIMIT)]


class ExchangedOrder(Artifact):
    order_id: OrderId
    digest: Digest


class ExchangeRun(Artifact):
    at: Timestamp
    direction: Literal["pull", "push"]
    hub: ShortText
    orders: list[ExchangedOrder]
    # "dry-run" only in logs written before dry runs stopped being recorded; never a push.
    result: Literal["ok", "nothing-new", "partial", "failed", "dry-run"]
    receipt_id: GenericId | None = None
    detail: Text | None = None
    head: Annotated[str, Field(pattern=r"^[0-9a-f]{40}([0-9a-f]{24})?$")] | None = Field(
        default=None,
        description="Git and GitHub hubs: the branch commit the run saw (after a push, the"
        " publication); the next run refuses a branch that does not descend from it.",
    )
    withdrawn: list[ExchangedOrder] | None = Field(
        default=None,
        description="Pull only: mirrored directives this hub no longer holds (kept, never pushed).",
    )


class ExchangeLog(Artifact):
    kind: Literal["exchange-log"] = "exchange-log"
    pivot: Pivot = "v1"
    runs: Annotated[list[ExchangeRun], Field(max_length=HISTORY_LIMIT)]


def last_head(runs: Iterable[ExchangeRun], hub: str) -> str | None:
    """The branch commit the latest run on ``hub`` that recorded one saw (a pull's head, a
    push's publication, a receipt's publication commit that intake recorded); runs of the
    same second count in the order given."""
    seen = [run for run in runs if run.hub == hub[:200] and run.head]
    return sorted(seen, key=lambda run: run.at)[-1].head if seen else None
