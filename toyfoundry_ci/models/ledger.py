"""The ledger: one entry per order, and the deterministic index over all entries."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from toyfoundry_ci.models.common import (
    Artifact,
    Digest,
    GenericId,
    OrderId,
    Pivot,
    RelPath,
    ShortText,
    Timestamp,
)

Role = Literal["order", "acknowledgement", "report", "quilt-export", "storyboard", "attachment"]
StageName = Literal["forge", "drill", "parade"]


class Subject(Artifact):
    """One piece of evidence, in-toto style: its path, its role, its digest."""

    name: RelPath
    role: Role
    digest: Digest


class StageRecord(Artifact):
    """A Foundry Cycle stage with the digests of what it read and wrote (as a DVC lock)."""

    stage: StageName
    deps: Annotated[list[Subject], Field(max_length=100)]
    outs: Annotated[list[Subject], Field(max_length=100)]


class SignOff(Artifact):
    state: Literal["pending", "sealed"]
    method: Literal["local", "github", "demo"] | None = None
    reviewer: ShortText | None = None
    at: Timestamp | None = None
    commit: Annotated[str, Field(pattern=r"^[0-9a-f]{40}([0-9a-f]{24})?$")] | None = None
    pull_request: Annotated[int, Field(ge=1)] | None = None
    review_id: Annotated[int, Field(ge=1)] | None = None


class LedgerEntry(Artifact):
    kind: Literal["ledger-entry"] = "ledger-entry"
    pivot: Pivot = "v1"
    order_id: OrderId
    lot: GenericId | None = None
    subjects: Annotated[list[Subject], Field(min_length=1, max_length=100)]
    stages: Annotated[list[StageRecord], Field(max_length=10)]
    signoff: SignOff
    created_at: Timestamp


class IndexRow(Artifact):
    order_id: OrderId
    path: RelPath
    digest: Digest
    state: Literal["pending", "sealed"]


class LedgerIndex(Artifact):
    """Generated from the entries; never edited by hand."""

    kind: Literal["ledger-index"] = "ledger-index"
    pivot: Pivot = "v1"
    count: Annotated[int, Field(ge=0)]
    root: Digest = Field(description="Merkle root (RFC 6962 style) over the entries' digests.")
    entries: list[IndexRow]
