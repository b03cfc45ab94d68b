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


class SshSignature(Artifact):
    """An SSH signature (``ssh-keygen -Y sign``) over the seal's canonical statement.

    The statement is rebuilt from the entry (factory, order ID, subject digests, commit,
    reviewer), so the signature proves who approved which bytes on which commit.
    """

    format: Literal["ssh"] = "ssh"
    namespace: Literal["toyfoundry-signoff"] = "toyfoundry-signoff"
    principal: ShortText = Field(description="The signer, as the allowed-signers file names it.")
    factory: ShortText
    signature: Annotated[
        str,
        Field(
            max_length=4000,
            pattern=r"^-----BEGIN SSH SIGNATURE-----\n[A-Za-z0-9+/=\n]+"
            r"-----END SSH SIGNATURE-----\n?$",
        ),
    ]


class SignOff(Artifact):
    state: Literal["pending", "sealed"]
    method: Literal["local", "github", "demo"] | None = None
    reviewer: ShortText | None = None
    at: Timestamp | None = None
    commit: Annotated[str, Field(pattern=r"^[0-9a-f]{40}([0-9a-f]{24})?$")] | None = None
    pull_request: Annotated[int, Field(ge=1)] | None = None
    review_id: Annotated[int, Field(ge=1)] | None = None
    signature: SshSignature | None = None


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
