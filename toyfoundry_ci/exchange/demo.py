"""The demo Alfa batch: directives High Command would send, for a hub that is still empty."""

from __future__ import annotations

from datetime import timedelta

from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.canonical import dumps
from toyfoundry_ci.base.clock import now
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.hub.folder import FolderHub
from toyfoundry_ci.models.exchange import Order

DEMO_SKUS = ("TOY-ROBOT-01", "TOY-TRAIN-02", "TOY-KITE-03")
DEMO_REVIEWER = "Demo Reviewer (toyfoundry shift --demo)"


def seed_demo_batch(layout: Layout, hub: FolderHub, count: int = 3) -> list[str]:
    """Write a demo batch into an embedded hub with no directives; return the order IDs."""
    if any(p.startswith("orders/") for p in hub.listing()):
        return []
    skus = _catalogue_skus(layout) or list(DEMO_SKUS)
    issued = now()
    year = issued.year
    ids = []
    for n in range(count):
        order_id = f"ALFA-{year}-{9001 + n:04d}"
        order = Order.model_validate(
            {
                "order_id": order_id,
                "issued_at": issued,
                "ack_due_by": issued + timedelta(days=2),
                "due_date": (issued + timedelta(days=21)).date(),
                "lines": [{"line": 1, "sku": skus[n % len(skus)], "qty": 24 * (n + 1)}],
                "notes": "Demo Alfa batch directive (toyfoundry shift --demo).",
            }
        )
        write_bytes_atomic(hub.root / "orders" / f"{order_id}.json", dumps(order.to_json()))
        ids.append(order_id)
    return ids


def _catalogue_skus(layout: Layout) -> list[str]:
    return sorted(p.stem for p in layout.blueprints.glob("*.json"))
