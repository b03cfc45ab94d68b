"""Purge: clear the drafts and stale telemetry of paraded orders, never what the ledger cites."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from toyfoundry_ci.base import progress
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.lock import holds_lock
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.foundry.cadence import Stage, StageResult, draft_files, select, stage_of
from toyfoundry_ci.ledger.store import read_entry


@holds_lock("purge")
def purge(layout: Layout, order_ids: Sequence[str] | None = None) -> StageResult:
    """Remove outbox drafts, the raw trace and uncited exports of each paraded order.

    ``order_ids`` None means every paraded order. An order not yet paraded is refused:
    purging it would lose its only copy of the drafts.
    """
    result = StageResult("purge")
    chosen = select(layout, order_ids, {Stage.PARADED})
    progress.begin("purge", chosen)
    for order_id in chosen:
        stage = stage_of(layout, order_id)
        if stage.rank < Stage.PARADED.rank:
            result.add(
                order_id,
                "refused",
                f"is {stage.value}: not paraded yet, purging would lose its drafts",
            )
            continue
        entry = read_entry(layout, order_id)
        cited = {s.name for s in entry.subjects} if entry is not None else set()
        removed = [
            layout.rel(path)
            for path in [*draft_files(layout, order_id), *_exports(layout, order_id)]
            if path.exists() and layout.rel(path) not in cited and _remove(path)
        ]
        if removed:
            result.add(order_id, "done", f"cleared {plural(len(removed), 'file')}", removed)
        else:
            result.add(order_id, "unchanged", "nothing left to purge")
    return result


def _exports(layout: Layout, order_id: str) -> list[Path]:
    if not layout.quilt_exports.is_dir():
        return []
    return sorted(layout.quilt_exports.glob(f"{order_id}.*"))


def _remove(path: Path) -> bool:
    path.unlink()
    return True
