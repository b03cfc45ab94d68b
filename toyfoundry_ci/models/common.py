"""Shared pieces of every model: strictness, pivot, digests, references, time stamps."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from toyfoundry_ci.base import ids

PIVOT = "v1"
Pivot = Literal["v1"]

# JSON Schema has no notion of "timezone-aware"; the pattern carries it so that the fast
# validator refuses naive stamps exactly as pydantic does. The formats (checked by both
# validators) refuse impossible days and times; the patterns also refuse what RFC 3339 allows
# but a calendar cannot hold: year 0000 and the leap second :60.
_YEAR = r"([1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_HOUR_MINUTE = r"([01][0-9]|2[0-3]):[0-5][0-9]"
_TIMESTAMP_PATTERN = (
    rf"^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}T{_HOUR_MINUTE}:[0-5][0-9](\.[0-9]+)?(Z|[+-]{_HOUR_MINUTE})$"
)
_DATE_PATTERN = rf"^{_YEAR}-[0-9]{{2}}-[0-9]{{2}}$"

Timestamp = Annotated[
    AwareDatetime,
    Field(json_schema_extra={"pattern": _TIMESTAMP_PATTERN}),
]
Day = Annotated[date, Field(json_schema_extra={"pattern": _DATE_PATTERN})]
OrderId = Annotated[str, Field(pattern=ids.ORDER_ID, examples=["ALFA-2026-0001"])]
AckId = Annotated[str, Field(pattern=ids.ACK_ID, examples=["ACK-ALFA-2026-0001"])]
ReportId = Annotated[str, Field(pattern=ids.REPORT_ID, examples=["RPT-ALFA-2026-0001"])]
Sku = Annotated[str, Field(pattern=ids.SKU, examples=["TOY-ROBOT-01"])]
Slug = Annotated[str, Field(pattern=ids.SLUG)]
GenericId = Annotated[str, Field(pattern=ids.GENERIC_ID)]
Sha256 = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
RelPath = Annotated[
    str,
    Field(
        pattern=r"^\.?[A-Za-z0-9_-][A-Za-z0-9._-]*(/\.?[A-Za-z0-9_-][A-Za-z0-9._-]*)*$",
        max_length=255,
        description="A repository- or hub-relative POSIX path, never absolute, never '..'.",
    ),
]
Text = Annotated[str, Field(max_length=2000)]
ShortText = Annotated[str, Field(min_length=1, max_length=200)]


class Artifact(BaseModel):
    """Base of every model: unknown fields are refused, values are checked on assignment."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def to_json(self) -> dict[str, Any]:
        """The artifact as a JSON value (what the canonical writer writes)."""
        return self.model_dump(mode="json", exclude_none=True)


class Digest(Artifact):
    """A content digest in the in-toto style: ``{"sha256": "..."}``."""

    sha256: Sha256


class OrderRef(Artifact):
    """A reference to a directive by ID and digest (EDI-style correlation)."""

    order_id: OrderId
    digest: Digest


class AckRef(Artifact):
    """A reference to an acknowledgement by ID and digest."""

    ack_id: AckId
    digest: Digest


class FileRef(Artifact):
    """A reference to a file by repository-relative path and digest."""

    path: RelPath
    digest: Digest
