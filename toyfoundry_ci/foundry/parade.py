"""Parade: a valid, paired order / ack / report moves into exchange/ and into the ledger.

Pairing means the ack cites the directive's digest, the report cites the directive's and the
ack's digests, and the quilt export manifest and every file it lists match their digests.
Only then do the ack and report move from outbox/ to exchange/, the storyboard note is
written (kept if it exists: it is meant to be edited) and the ledger entry is created with
sign-off pending. An order whose ack rejects it parades with its ack alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from toyfoundry_ci.base import progress
from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.canonical import sha256_file
from toyfoundry_ci.base.clock import stamp
from toyfoundry_ci.base.errors import ArtifactError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import MAX_BYTES
from toyfoundry_ci.base.lock import holds_lock
from toyfoundry_ci.base.reader import read_file
from toyfoundry_ci.foundry.artifacts import load
from toyfoundry_ci.foundry.cadence import Stage, StageResult, select, stage_of
from toyfoundry_ci.foundry.storyboard import render_note
from toyfoundry_ci.ledger.index import keep_index
from toyfoundry_ci.ledger.store import write_entry
from toyfoundry_ci.models.common import Digest
from toyfoundry_ci.models.exchange import Acknowledgement, Order, Report
from toyfoundry_ci.models.ledger import LedgerEntry, Role, StageRecord, Subject
from toyfoundry_ci.models.telemetry import TelemetryExport
from toyfoundry_ci.readiness import require_not_halted


@holds_lock("parade")
def parade(
    layout: Layout, order_ids: Sequence[str] | None = None, *, lot: str | None = None
) -> StageResult:
    """Move each drilled order's evidence into exchange/ and create its ledger entry.

    ``order_ids`` None means every drilled order (and every forged order its ack rejects).
    ``lot`` names the shift's lot in the ledger entry.
    """
    require_not_halted(layout, "parade")
    result = StageResult("parade")
    chosen = select(layout, order_ids, {Stage.DRILLED, Stage.FORGED})
    progress.begin("parade", chosen)
    for order_id in chosen:
        try:
            _parade_one(layout, order_id, lot, result, named=order_ids is not None)
        except ArtifactError as exc:
            result.add(order_id, "refused", exc.message)
    if result.done:
        # On the default branch the index is kept current (only the new entries are read:
        # the cost does not grow with the ledger); on a pull-request branch it lags.
        keep_index(layout, [layout.ledger_entry_file(o.order_id) for o in result.done])
    return result


def _parade_one(
    layout: Layout, order_id: str, lot: str | None, result: StageResult, *, named: bool
) -> None:
    stage = stage_of(layout, order_id)
    if stage.rank >= Stage.PARADED.rank:
        result.add(order_id, "unchanged", f"already {stage.value}; nothing to parade")
        return
    if stage is Stage.NEW:
        result.add(order_id, "refused", f"not forged yet; run `toyfoundry forge {order_id}`")
        return
    order_path, ack_draft = layout.order_file(order_id), layout.outbox_ack_file(order_id)
    order = load(layout, order_path, Order, "order")
    ack = load(layout, ack_draft, Acknowledgement, "acknowledgement")
    if stage is Stage.FORGED and ack.disposition != "reject":
        if named:
            result.add(order_id, "refused", f"not drilled yet; run `toyfoundry drill {order_id}`")
        return
    order_digest, ack_digest = sha256_file(order_path), sha256_file(ack_draft)
    problems = _pairing_problems(layout, order_id, order_digest, ack)
    report: Report | None = None
    exports: list[Subject] = []
    if ack.disposition != "reject":
        report = load(layout, layout.outbox_report_file(order_id), Report, "report")
        problems += _report_problems(layout, order_digest, ack_digest, report)
        if not problems:
            exports = _export_subjects(layout, report, problems)
    if problems:
        result.add(order_id, "refused", "not paired: " + "; ".join(problems))
        return
    paths = _move_evidence(layout, order_id, report is not None)
    note = layout.storyboard_file(order_id)
    if not note.exists():
        write_bytes_atomic(note, render_note(order, ack, report).encode())
    paths.append(layout.rel(note))
    entry = _entry(layout, order, ack, report, exports, lot=lot)
    write_entry(layout, entry)
    paths.append(layout.rel(layout.ledger_entry_file(order_id)))
    result.add(order_id, "done", "paraded; ledger entry created, sign-off pending", paths)


def _pairing_problems(
    layout: Layout, order_id: str, order_digest: str, ack: Acknowledgement
) -> list[str]:
    problems = []
    if ack.order.order_id != order_id or ack.ack_id != f"ACK-{order_id}":
        problems.append(f"the ack answers {ack.order.order_id}, not {order_id}")
    if ack.order.digest.sha256 != order_digest:
        problems.append(
            f"the ack cites another version of {layout.rel(layout.order_file(order_id))}"
            f" (forge again)"
        )
    return problems


def _report_problems(
    layout: Layout, order_digest: str, ack_digest: str, report: Report
) -> list[str]:
    problems = []
    if report.order.digest.sha256 != order_digest:
        problems.append("the report cites another version of the order (drill again)")
    if report.ack.digest.sha256 != ack_digest:
        problems.append("the report cites another version of the ack (drill again)")
    if report.telemetry is None:
        problems.append("the report cites no quilt export (drill again)")
    elif not (layout.root / report.telemetry.path).is_file():
        problems.append(f"the quilt export {report.telemetry.path} is missing (drill again)")
    elif sha256_file(layout.root / report.telemetry.path) != report.telemetry.digest.sha256:
        problems.append(f"{report.telemetry.path} changed since the drill (drill again)")
    return problems


def _export_subjects(layout: Layout, report: Report, problems: list[str]) -> list[Subject]:
    """The manifest and every file it lists, each checked against its digest."""
    assert report.telemetry is not None  # noqa: S101 - checked by _report_problems
    manifest_path = layout.root / report.telemetry.path
    manifest = load(layout, manifest_path, TelemetryExport, "telemetry-export")
    subjects = [_subject(manifest_path, layout, "quilt-export")]
    for item in manifest.files:
        path = layout.root / item.path
        if not path.is_file() or sha256_file(path) != item.digest.sha256:
            problems.append(f"{item.path} does not match the export manifest (drill again)")
            continue
        subjects.append(Subject(name=item.path, role="quilt-export", digest=item.digest))
    return subjects


def _move_evidence(layout: Layout, order_id: str, with_report: bool) -> list[str]:
    """Copy the drafts into exchange/, then remove them: a crash between leaves both."""
    moves = [(layout.outbox_ack_file(order_id), layout.ack_file(order_id))]
    if with_report:
        moves.append((layout.outbox_report_file(order_id), layout.report_file(order_id)))
    for draft, final in moves:
        write_bytes_atomic(final, read_file(draft, MAX_BYTES))
    for draft, _ in moves:
        draft.unlink()
    return [layout.rel(final) for _, final in moves]


def _subject(path: Path, layout: Layout, role: Role) -> Subject:
    return Subject(name=layout.rel(path), role=role, digest=Digest(sha256=sha256_file(path)))


def _entry(
    layout: Layout,
    order: Order,
    ack: Acknowledgement,
    report: Report | None,
    exports: list[Subject],
    *,
    lot: str | None,
) -> LedgerEntry:
    oid = order.order_id
    order_s = _subject(layout.order_file(oid), layout, "order")
    ack_s = _subject(layout.ack_file(oid), layout, "acknowledgement")
    subjects = [order_s, ack_s]
    stages = [StageRecord(stage="forge", deps=[order_s], outs=[ack_s])]
    created: datetime = ack.issued_at
    if report is not None:
        report_s = _subject(layout.report_file(oid), layout, "report")
        subjects += [report_s, *exports]
        stages.append(StageRecord(stage="drill", deps=[order_s, ack_s], outs=[report_s, *exports]))
        stages.append(
            StageRecord(stage="parade", deps=[ack_s, report_s, *exports], outs=[ack_s, report_s])
        )
        created = report.issued_at
    else:
        stages.append(StageRecord(stage="parade", deps=[ack_s], outs=[ack_s]))
    return LedgerEntry.model_validate(
        {
            "order_id": oid,
            "lot": lot,
            "subjects": [s.to_json() for s in subjects],
            "stages": [s.to_json() for s in stages],
            "signoff": {"state": "pending"},
            "created_at": stamp(created),
        }
    )
