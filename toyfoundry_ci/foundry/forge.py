"""Forge: pick blueprint and recipe per order line, draft the factory order and its ack.

The acknowledgement cites the directive's digest. An unknown SKU rejects its line; a due date
the line cannot meet changes the line's promised date; neither is a crash. The promise comes
from the recipe's bottleneck, so it is an estimate the Drill's simulation then tests.
"""

from __future__ import annotations

from collections.abc import Sequence

from toyfoundry_ci.base import progress
from toyfoundry_ci.base.atomic import write_bytes_atomic, write_json_atomic
from toyfoundry_ci.base.canonical import sha256_bytes
from toyfoundry_ci.base.clock import stamp
from toyfoundry_ci.base.errors import ArtifactError
from toyfoundry_ci.base.kinds import max_bytes_for
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.lock import holds_lock
from toyfoundry_ci.base.reader import read_file
from toyfoundry_ci.foundry.artifacts import load
from toyfoundry_ci.foundry.cadence import Stage, StageResult, select, stage_of
from toyfoundry_ci.foundry.catalogue import Catalogue, load_catalogue
from toyfoundry_ci.foundry.timing import ack_time, next_shift_start, on_calendar
from toyfoundry_ci.models.catalogue import Recipe
from toyfoundry_ci.models.exchange import AckLine, Acknowledgement, Disposition, Order

# Promises leave this much slack over the bottleneck estimate.
PROMISE_MARGIN = 1.15


@holds_lock("forge")
def forge(layout: Layout, order_ids: Sequence[str] | None = None) -> StageResult:
    """Draft ``outbox/orders/<id>.json`` and ``outbox/acks/ACK-<id>.json`` per order.

    ``order_ids`` None means every order that is new.
    """
    result = StageResult("forge")
    chosen = select(layout, order_ids, {Stage.NEW})
    if not chosen:
        return result
    catalogue = load_catalogue(layout)
    progress.begin("forge", chosen)
    for order_id in chosen:
        stage = stage_of(layout, order_id)
        if stage.rank >= Stage.PARADED.rank:
            result.add(order_id, "unchanged", f"already {stage.value}; nothing to forge")
            continue
        path = layout.order_file(order_id)
        if not path.exists():
            result.add(
                order_id,
                "refused",
                f"no directive {layout.rel(path)}; pull it from the hub first",
            )
            continue
        try:
            order = load(layout, path, Order, "order")
        except ArtifactError as exc:
            result.add(order_id, "refused", exc.message)
            continue
        data = read_file(path, max_bytes_for("order"))
        ack = draft_ack(order, sha256_bytes(data), catalogue)
        draft = layout.outbox_order_file(order_id)
        ack_path = layout.outbox_ack_file(order_id)
        changed = write_bytes_atomic(draft, data)
        changed = write_json_atomic(ack_path, ack.to_json()) or changed
        paths = (layout.rel(draft), layout.rel(ack_path))
        if changed:
            result.add(order_id, "done", f"drafted, ack {ack.disposition}", paths)
        else:
            result.add(order_id, "unchanged", "drafts already up to date; nothing to do", paths)
    return result


def bottleneck_minutes(recipe: Recipe) -> float:
    """Expected minutes between good units at the slowest station, defects included."""
    per_unit = max(s.cycle_time.mean * (1 + s.defect_rate) / s.capacity for s in recipe.stations)
    kept = 1.0
    for s in recipe.stations:
        kept *= 1 - s.defect_rate * (1 - s.rework_rate)
    return per_unit / max(kept, 0.01)


def fill_minutes(recipe: Recipe) -> float:
    """The time the first unit needs to cross the empty line."""
    return sum(s.cycle_time.mean for s in recipe.stations)


def draft_ack(order: Order, order_digest: str, catalogue: Catalogue) -> Acknowledgement:
    """The factory's answer to ``order``: a line per order line, with reasons."""
    issued = ack_time(order.issued_at, order.ack_due_by)
    start = next_shift_start(issued)
    work: dict[str, float] = {}  # minutes booked per recipe, lines in order
    lines: list[AckLine] = []
    reasons: list[str] = []
    for line in order.lines:
        recipe = catalogue.recipe_for(line.sku)
        if recipe is None:
            reason = f"unknown SKU {line.sku}: not in the catalogue"
            reasons.append(f"line {line.line}: {reason}")
            lines.append(
                AckLine(
                    line=line.line,
                    sku=line.sku,
                    qty_ordered=line.qty,
                    qty_committed=0,
                    status="rejected",
                    reason=reason,
                )
            )
            continue
        booked = work.get(recipe.recipe_id, fill_minutes(recipe))
        booked += line.qty * bottleneck_minutes(recipe)
        work[recipe.recipe_id] = booked
        ready = on_calendar(start, booked * PROMISE_MARGIN, recipe.shift_minutes).date()
        due = line.due_date or order.due_date
        late: str | None = None
        if ready > due:
            late = f"earliest date on {recipe.recipe_id} is {ready}, after the due date {due}"
            reasons.append(f"line {line.line}: {late}")
        lines.append(
            AckLine(
                line=line.line,
                sku=line.sku,
                qty_ordered=line.qty,
                qty_committed=line.qty,
                status="accepted" if late is None else "changed",
                promised_date=due if late is None else ready,
                reason=late,
            )
        )
    return Acknowledgement.model_validate(
        {
            "ack_id": f"ACK-{order.order_id}",
            "order": {"order_id": order.order_id, "digest": {"sha256": order_digest}},
            "disposition": _disposition(lines),
            "reasons": reasons,
            "lines": [line.to_json() for line in lines],
            "issued_at": stamp(issued),
        }
    )


def _disposition(lines: list[AckLine]) -> Disposition:
    statuses = {line.status for line in lines}
    if statuses == {"accepted"}:
        return "accept"
    if statuses == {"rejected"}:
        return "reject"
    return "accept-with-changes"
