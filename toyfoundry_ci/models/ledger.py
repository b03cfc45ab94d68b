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


Permission = Literal["admin", "maintain", "write"]
CommitId = Annotated[str, Field(pattern=r"^[0-9a-f]{40}([0-9a-f]{24})?$")]


class SealedDigest(Artifact):
    """A subject's digest as it was at the reviewed commit: what the approval covers."""

    name: RelPath
    digest: Digest


class Approval(Artifact):
    """One approval that counted: who (by user ID), which review, of which commit, with what
    permission on the repository when the seal was made."""

    reviewer: ShortText
    reviewer_id: Annotated[int, Field(ge=1)]
    review_id: Annotated[int, Field(ge=1)]
    commit: CommitId
    permission: Permission


class SignOff(Artifact):
    """The seal. A github seal names the approving review (``reviewer``, ``reviewer_id``,
    ``review_id``, ``commit``, ``permission``), every approval that counted (``approvals``)
    and the subjects' digests at the reviewed commit (``digests``)."""

    state: Literal["pending", "sealed"]
    method: Literal["local", "github", "demo"] | None = None
    reviewer: ShortText | None = None
    reviewer_id: Annotated[int, Field(ge=1)] | None = None
    permission: Permission | None = None
    at: Timestamp | None = None
    commit: CommitId | None = None
    pull_request: Annotated[int, Field(ge=1)] | None = None
    review_id: Annotated[int, Field(ge=1)] | None = None
    approvals: Annotated[list[Approval], Field(max_length=20)] | None = None
    digests: Annotated[list[SealedDigest], Field(max_length=100)] | None = None
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
