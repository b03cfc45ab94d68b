"""What the hub keeps besides evidence: receipts of pushes and notifications to High Command."""

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
    Text,
    Timestamp,
)


class ReceiptItem(Artifact):
    order_id: OrderId
    path: RelPath
    digest: Digest


class Receipt(Artifact):
    """The hub's record of one push: what arrived, when, in which publication."""

    kind: Literal["receipt"] = "receipt"
    pivot: Pivot = "v1"
    receipt_id: GenericId
    factory: GenericId
    hub: ShortText
    pushed_at: Timestamp
    publication: ShortText | None = Field(
        default=None, description="The commit (git, GitHub) or folder write that carried it."
    )
    source: Annotated[str, Field(pattern=r"^[0-9a-f]{40}([0-9a-f]{24})?$")] | None = Field(
        default=None,
        description="The factory's commit the push was made from: `ci merge` verifies every"
        " ledger change since the source of this factory's last receipt.",
    )
    items: Annotated[list[ReceiptItem], Field(min_length=1)]


class NotifiedOrder(Artifact):
    order_id: OrderId
    digest: Digest


class Notification(Artifact):
    """Tells High Command that a lot graduated Parade -> Promote."""

    kind: Literal["notification"] = "notification"
    pivot: Pivot = "v1"
    notification_id: GenericId
    event: Literal["lot-graduated"] = "lot-graduated"
    lot: GenericId
    factory: GenericId
    receipt_id: GenericId
    orders: Annotated[list[NotifiedOrder], Field(min_length=1)]
    message: Text
    created_at: Timestamp
