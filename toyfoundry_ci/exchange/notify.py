"""Notifications: tell High Command that a lot graduated Parade -> Promote.

The notification is a file on the hub (``notifications/*.json``) listing the orders and the
receipt; hubs that have people on them (GitHub) also get an issue with the same facts, so
downstream teams can schedule their integration drills.
"""

from __future__ import annotations

from collections.abc import Sequence

from toyfoundry_ci.base.canonical import dumps
from toyfoundry_ci.base.clock import now
from toyfoundry_ci.base.ids import is_order_id
from toyfoundry_ci.base.markdown import COMMENT_LIMIT, cell, checked_id, code, fit, table
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.hub.protocol import HubFile
from toyfoundry_ci.models.common import Digest
from toyfoundry_ci.models.hub import Notification, NotifiedOrder, Receipt


def notification_for(
    receipt: Receipt, lot: str, orders: Sequence[tuple[str, str]]
) -> tuple[HubFile, str, str]:
    """The notification file for ``receipt``, with a title and body for a human notice."""
    notice = Notification(
        notification_id=receipt.receipt_id.replace("receipt-", "notice-", 1),
        lot=lot,
        factory=receipt.factory,
        receipt_id=receipt.receipt_id,
        orders=[NotifiedOrder(order_id=o, digest=Digest(sha256=d)) for o, d in sorted(orders)],
        message=(
            f"Lot {lot} from factory {receipt.factory} graduated Parade -> Promote: "
            f"{plural(len(orders), 'order')}, receipt {receipt.receipt_id}."
        ),
        created_at=now(),
    )
    title = f"Lot {lot} graduated: {plural(len(orders), 'order')} from {receipt.factory}"
    rows = [[checked_id(o, is_order_id), cell(d[:16])] for o, d in sorted(orders)]
    body = (
        f"{code(notice.message)}\n\nSchedule integration drills for these orders.\n\n"
        f"{table(['order', 'order sha256'], rows)}\n\n"
        f"Receipt: {code(f'receipts/{receipt.receipt_id}.json')}\n"
    )
    path = f"notifications/{notice.notification_id}.json"
    where = f"notifications/{notice.notification_id}.json on the hub lists every order"
    return HubFile(path, dumps(notice.to_json())), title, fit(body, COMMENT_LIMIT, where)
