"""The exchange with High Command: directives (orders), acknowledgements, parade reports."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from toyfoundry_ci.models.common import (
    AckId,
    AckRef,
    Artifact,
    Day,
    FileRef,
    OrderId,
    OrderRef,
    Pivot,
    ReportId,
    ShortText,
    Sku,
    Slug,
    Text,
    Timestamp,
)

Qty = Annotated[int, Field(ge=1, le=1_000_000)]
Count = Annotated[int, Field(ge=0, le=1_000_000)]
# Units a run starts, reworks or scraps: a scrapped unit is replaced, so a run of the largest
# order (1,000,000) starts more than that.
UnitCount = Annotated[int, Field(ge=0, le=100_000_000)]


class OrderLine(Artifact):
    line: Annotated[int, Field(ge=1, le=999)]
    sku: Sku
    qty: Qty
    due_date: Day | None = None


class Order(Artifact):
    """An Alfa directive from High Command (EDI 850: purchase order)."""

    kind: Literal["order"] = "order"
    pivot: Pivot = "v1"
    order_id: OrderId
    issuer: Slug = "high-command"
    issued_at: Timestamp
    due_date: Day
    priority: Literal["routine", "urgent", "critical"] = "routine"
    ack_due_by: Timestamp | None = Field(
        default=None, description="When High Command expects the acknowledgement."
    )
    lines: Annotated[list[OrderLine], Field(min_length=1, max_length=200)]
    notes: Text | None = None


Disposition = Literal["accept", "accept-with-changes", "reject"]
LineStatus = Literal["accepted", "changed", "rejected"]


class AckLine(Artifact):
    line: Annotated[int, Field(ge=1, le=999)]
    sku: Sku
    qty_ordered: Qty
    qty_committed: Count
    status: LineStatus
    promised_date: Day | None = None
    reason: ShortText | None = None


class Acknowledgement(Artifact):
    """The factory's answer to one order (EDI 855), citing the order's ID and digest."""

    kind: Literal["acknowledgement"] = "acknowledgement"
    pivot: Pivot = "v1"
    ack_id: AckId
    order: OrderRef
    disposition: Disposition
    reasons: Annotated[list[ShortText], Field(max_length=50)] = Field(default_factory=list)
    lines: Annotated[list[AckLine], Field(min_length=1, max_length=200)]
    issued_at: Timestamp


Verdict = Literal["fulfilled", "short", "late", "failed"]


class ReportLine(Artifact):
    line: Annotated[int, Field(ge=1, le=999)]
    sku: Sku
    qty_committed: Count
    units_started: UnitCount
    units_good: Count
    units_defective: UnitCount
    units_scrapped: UnitCount


class RunFacts(Artifact):
    seed: Annotated[int, Field(ge=0, lt=2**63)]
    started_at: Timestamp
    makespan_minutes: Annotated[float, Field(ge=0)]
    finished_at: Timestamp
    stations: Annotated[int, Field(ge=1, le=100)]


class Report(Artifact):
    """The parade report: what simulating the order's production yielded."""

    kind: Literal["report"] = "report"
    pivot: Pivot = "v1"
    report_id: ReportId
    order: OrderRef
    ack: AckRef
    run: RunFacts
    lines: Annotated[list[ReportLine], Field(min_length=1, max_length=200)]
    yield_pct: Annotated[float, Field(ge=0, le=100)]
    on_time: bool
    verdict: Verdict
    telemetry: FileRef | None = Field(
        default=None, description="The quilt export manifest this run produced."
    )
    issued_at: Timestamp
