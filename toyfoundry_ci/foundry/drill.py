"""Drill: simulate the order's production, weave the quilt, draft the parade report.

Seeded from the order's digest and timed from its acknowledgement, so a re-run writes the
same bytes. Rejected lines are not built; an order whose ack rejects it has nothing to drill.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import orjson

from toyfoundry_ci.base import progress
from toyfoundry_ci.base.atomic import write_bytes_atomic, write_json_atomic
from toyfoundry_ci.base.canonical import dumps, sha256_bytes, sha256_file
from toyfoundry_ci.base.clock import stamp
from toyfoundry_ci.base.errors import ArtifactError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.lock import holds_lock
from toyfoundry_ci.foundry import heatmap, quilt
from toyfoundry_ci.foundry.artifacts import load
from toyfoundry_ci.foundry.cadence import Stage, StageResult, select, stage_of
from toyfoundry_ci.foundry.catalogue import Catalogue, load_catalogue
from toyfoundry_ci.foundry.simulate import LineJob, ProductionLine, RunTrace, simulate
from toyfoundry_ci.foundry.timing import next_shift_start, on_calendar, seed_of
from toyfoundry_ci.models.common import Digest, FileRef
from toyfoundry_ci.models.exchange import Acknowledgement, Order, Report, ReportLine, Verdict
from toyfoundry_ci.models.telemetry import TelemetryExport
from toyfoundry_ci.validation.shard import Shard


@holds_lock("drill")
def drill(
    layout: Layout, order_ids: Sequence[str] | None = None, shard: Shard | None = None
) -> StageResult:
    """Simulate each forged order; write its report draft and quilt exports.

    ``order_ids`` None means every forged order. ``shard`` keeps the orders whose ID hashes
    to it (``validation.shard``), so n CI jobs split a lot without talking to each other.
    """
    result = StageResult("drill")
    chosen = select(layout, order_ids, {Stage.FORGED})
    if shard is not None:
        chosen = [oid for oid in chosen if shard.holds(oid)]
    if not chosen:
        return result
    catalogue = load_catalogue(layout)
    progress.begin("drill", chosen)
    for order_id in chosen:
        try:
            _drill_one(layout, catalogue, order_id, result)
        except ArtifactError as exc:
            result.add(order_id, "refused", exc.message)
    return result


def _drill_one(layout: Layout, catalogue: Catalogue, order_id: str, result: StageResult) -> None:
    stage = stage_of(layout, order_id)
    if stage is Stage.NEW:
        result.add(order_id, "refused", f"not forged yet; run `toyfoundry forge {order_id}`")
        return
    if stage.rank >= Stage.PARADED.rank:
        result.add(order_id, "unchanged", f"already {stage.value}; nothing to drill")
        return
    order_path, ack_path = layout.order_file(order_id), layout.outbox_ack_file(order_id)
    order = load(layout, order_path, Order, "order")
    ack = load(layout, ack_path, Acknowledgement, "acknowledgement")
    order_digest, ack_digest = sha256_file(order_path), sha256_file(ack_path)
    if ack.order.digest.sha256 != order_digest:
        result.add(
            order_id,
            "refused",
            f"{layout.rel(ack_path)} cites another version of the order;"
            f" run `toyfoundry forge {order_id}` again",
        )
        return
    if ack.disposition == "reject":
        result.add(order_id, "unchanged", "the ack rejects the order; nothing to drill")
        return
    if _is_current(layout, order_id, order_digest, ack_digest):
        result.add(order_id, "unchanged", "already drilled from this order and ack; nothing to do")
        return
    seed = seed_of(order_digest)
    trace = simulate(_production(ack, catalogue), seed)
    shift = min(r.shift_minutes for r in catalogue.recipes.values())
    start = next_shift_start(ack.issued_at)
    finished = on_calendar(start, trace.makespan, shift)
    manifest = write_exports(layout, order_id, seed, trace, finished)
    telemetry = FileRef(path=layout.rel(manifest), digest=Digest(sha256=sha256_file(manifest)))
    report = draft_report(
        order,
        ack,
        order_digest,
        ack_digest,
        trace,
        seed=seed,
        start=start,
        shift=shift,
        telemetry=telemetry,
    )
    path = layout.outbox_report_file(order_id)
    write_json_atomic(path, report.to_json())
    result.add(
        order_id,
        "done",
        f"{report.verdict}: {sum(li.units_good for li in report.lines)} good units,"
        f" makespan {report.run.makespan_minutes:g} min, yield {report.yield_pct:g}%",
        (layout.rel(path), layout.rel(manifest)),
    )


def _is_current(layout: Layout, order_id: str, order_digest: str, ack_digest: str) -> bool:
    path = layout.outbox_report_file(order_id)
    if not path.exists():
        return False
    try:
        report = load(layout, path, Report, "report")
    except ArtifactError:
        return False
    ref = report.telemetry
    if ref is None or report.order.digest.sha256 != order_digest:
        return False
    manifest = layout.root / ref.path
    return (
        report.ack.digest.sha256 == ack_digest
        and manifest.is_file()
        and sha256_file(manifest) == ref.digest.sha256
    )


def _production(ack: Acknowledgement, catalogue: Catalogue) -> list[ProductionLine]:
    """Committed lines grouped by recipe; lines on one recipe share its stations in order."""
    jobs: dict[str, list[LineJob]] = {}
    for line in ack.lines:
        recipe = catalogue.recipe_for(line.sku)
        if line.qty_committed == 0 or recipe is None:
            continue
        jobs.setdefault(recipe.recipe_id, []).append(
            LineJob(line.line, line.sku, line.qty_committed)
        )
    return [ProductionLine(catalogue.recipes[rid], tuple(js)) for rid, js in jobs.items()]


def draft_report(
    order: Order,
    ack: Acknowledgement,
    order_digest: str,
    ack_digest: str,
    trace: RunTrace,
    *,
    seed: int,
    start: datetime,
    shift: int,
    telemetry: FileRef | None = None,
) -> Report:
    """The parade report draft: quantities, yield, timing and the verdict against the order."""
    outcomes = {o.line: o for o in trace.lines}
    finished = on_calendar(start, trace.makespan, shift)
    lines: list[ReportLine] = []
    on_time = True
    for line in order.lines:
        outcome = outcomes.get(line.line)
        due = line.due_date or order.due_date
        if outcome is not None:
            on_time = on_time and on_calendar(start, outcome.finished_at, shift).date() <= due
        lines.append(
            ReportLine(
                line=line.line,
                sku=line.sku,
                qty_committed=outcome.qty if outcome else 0,
                units_started=outcome.started if outcome else 0,
                units_good=outcome.good if outcome else 0,
                units_defective=outcome.defective if outcome else 0,
                units_scrapped=outcome.scrapped if outcome else 0,
            )
        )
    on_time = on_time and finished.date() <= order.due_date
    started = sum(li.units_started for li in lines)
    good = sum(li.units_good for li in lines)
    return Report.model_validate(
        {
            "report_id": f"RPT-{order.order_id}",
            "order": {"order_id": order.order_id, "digest": {"sha256": order_digest}},
            "ack": {"ack_id": ack.ack_id, "digest": {"sha256": ack_digest}},
            "run": {
                "seed": seed,
                "started_at": stamp(start),
                "makespan_minutes": round(trace.makespan, 2),
                "finished_at": stamp(finished),
                "stations": len(trace.stations),
            },
            "lines": [li.to_json() for li in lines],
            "yield_pct": round(100 * good / started, 2) if started else 0.0,
            "on_time": on_time,
            "verdict": _verdict(order, lines, on_time),
            "issued_at": stamp(finished),
            "telemetry": telemetry.to_json() if telemetry else None,
        }
    )


def _verdict(order: Order, lines: list[ReportLine], on_time: bool) -> Verdict:
    good = sum(li.units_good for li in lines)
    if good == 0:
        return "failed"
    if good < sum(line.qty for line in order.lines):
        return "short"
    return "fulfilled" if on_time else "late"


def write_exports(
    layout: Layout, order_id: str, seed: int, trace: RunTrace, generated_at: datetime
) -> Path:
    """Write the quilt exports, the manifest citing them, and the raw trace; return the manifest."""
    woven = quilt.weave(trace)
    files = {
        ".quilt.csv": ("csv", quilt.to_csv(woven)),
        ".quilt.json": ("json", dumps(quilt.to_json(woven, order_id, seed))),
        ".quilt.svg": ("svg", heatmap.render_svg(woven, order_id)),
    }
    entries = []
    for suffix, (fmt, data) in files.items():
        path = layout.quilt_export_file(order_id, suffix)
        write_bytes_atomic(path, data)
        entries.append(
            {
                "path": layout.rel(path),
                "format": fmt,
                "digest": {"sha256": sha256_bytes(data)},
                "bytes": len(data),
            }
        )
    manifest = TelemetryExport.model_validate(
        {
            "order_id": order_id,
            "seed": seed,
            "bucket_minutes": woven.bucket_minutes,
            "buckets": woven.buckets,
            "stations": list(woven.stations),
            "metrics": list(quilt.METRICS),
            "files": entries,
            "generated_at": stamp(generated_at),
        }
    )
    path = layout.quilt_export_file(order_id, ".manifest.json")
    write_json_atomic(path, manifest.to_json())
    raw = {
        "order_id": order_id,
        "seed": seed,
        "stations": [
            {"name": s.name, "busy": s.busy, "stay": s.stay, "done": s.done, "defects": s.defects}
            for s in trace.stations
        ],
    }
    write_bytes_atomic(layout.quilt_raw_file(order_id), orjson.dumps(raw))
    return path
