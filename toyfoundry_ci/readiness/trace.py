"""Traceability of paraded orders: ledger entry, evidence digests, storyboard, telemetry, index.

These checks report "not applicable" until the ledger holds entries (nothing paraded yet),
then apply to every entry: no silent pass. A rejected order (its ack's disposition is
``reject``) is complete with its order, its ack, its storyboard note and its ledger entry:
nothing was produced, so no check asks it for a report or a telemetry export.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toyfoundry_ci.base.canonical import sha256_file
from toyfoundry_ci.base.errors import UnsafeIdError
from toyfoundry_ci.base.ids import is_order_id
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import MAX_BYTES, ParseError, read_artifact
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.base.reader import UnreadableError, read_present
from toyfoundry_ci.ledger.lag import FIX, index_state
from toyfoundry_ci.readiness.checks import Check, CheckFn, failed, not_applicable, passed

NO_ENTRIES = "no ledger entries yet: nothing paraded"
# The ledger is write-once: what it cites is restored, never re-made.
RESTORE_FROM_GIT = "restore the files named above from git: `git checkout -- FILE`"
EXPORT_ROLE = "quilt-export"


@dataclass(frozen=True, slots=True)
class Entry:
    """A ledger entry as read from disk: its file and value (None when unreadable)."""

    path: Path
    value: dict[str, Any] | None

    @property
    def order_id(self) -> str:
        return self.path.stem

    def subjects(self) -> list[dict[str, Any]]:
        subjects = (self.value or {}).get("subjects")
        return [s for s in subjects if isinstance(s, dict)] if isinstance(subjects, list) else []

    def rejected(self, layout: Layout) -> bool:
        """Whether the ack this entry cites rejects the order (read from the ack itself)."""
        for subject in self.subjects():
            name = subject.get("name")
            if subject.get("role") != "acknowledgement" or _digest_problem(layout, subject):
                continue
            ack = read_artifact(layout.root / str(name))
            return isinstance(ack, dict) and ack.get("disposition") == "reject"
        return False


def _entries(layout: Layout) -> list[Entry]:
    folder = layout.ledger_entries
    if not folder.is_dir():
        return []
    entries = []
    for path in sorted(folder.glob("*.json")):
        value = read_artifact(path)
        entries.append(Entry(path, value if isinstance(value, dict) else None))
    return entries


def _paraded(layout: Layout) -> dict[str, Path]:
    """Order ID -> the first evidence in exchange/ that says it was paraded (ack or report)."""
    found: dict[str, Path] = {}
    for folder, prefix in ((layout.acknowledgements, "ACK-"), (layout.reports, "RPT-")):
        for path in sorted(folder.glob(f"{prefix}*.json")):
            order_id = path.stem.removeprefix(prefix)
            if is_order_id(order_id):
                found.setdefault(order_id, path)
    return found


def ledger_entries(layout: Layout) -> Check:
    """Every paraded order (an ack or report in exchange/) has a readable ledger entry."""
    entries = _entries(layout)
    if not entries:
        return not_applicable("ledger-entries", NO_ENTRIES)
    have = {e.order_id for e in entries if e.value is not None}
    problems = [f"{layout.rel(e.path)}: unreadable" for e in entries if e.value is None]
    for order_id, evidence in _paraded(layout).items():
        if order_id not in have:
            entry = layout.rel(layout.ledger_entry_file(order_id))
            problems.append(f"{order_id}: paraded ({layout.rel(evidence)}) but {entry} is missing")
    if problems:
        return failed(
            "ledger-entries",
            f"{plural(len(problems), 'paraded order')} without a usable ledger entry",
            RESTORE_FROM_GIT,
            problems,
        )
    return passed("ledger-entries", f"every paraded order has its ledger entry ({len(entries)})")


def _digest_problem(layout: Layout, subject: dict[str, Any]) -> str | None:
    name = subject.get("name")
    digest = subject.get("digest")
    expected = digest.get("sha256") if isinstance(digest, dict) else None
    if not isinstance(name, str):
        return "a subject names no file"
    if ".." in name.split("/") or name.startswith("/"):
        return f"subject {name!r} is not a repository path"
    path = layout.root / name
    if not path.is_file() or path.is_symlink():
        return f"{name}: missing"
    if sha256_file(path) != expected:
        return f"{name}: sha256 differs from the ledger"
    return None


def ledger_evidence(layout: Layout) -> Check:
    """Each entry's evidence files exist and match the digests the entry cites."""
    entries = [e for e in _entries(layout) if e.value is not None]
    if not entries:
        return not_applicable("ledger-evidence", NO_ENTRIES)
    problems = []
    count = 0
    for entry in entries:
        for subject in entry.subjects():
            count += 1
            problem = _digest_problem(layout, subject)
            if problem:
                problems.append(f"{entry.order_id}: {problem}")
    if problems:
        return failed(
            "ledger-evidence",
            f"evidence differs from the ledger: {plural(len(problems), 'file')}",
            RESTORE_FROM_GIT,
            problems,
        )
    return passed("ledger-evidence", f"evidence matches the ledger ({plural(count, 'file')})")


def storyboard_notes(layout: Layout) -> Check:
    """Each entry's order has a non-empty storyboard note."""
    entries = _entries(layout)
    if not entries:
        return not_applicable("storyboard-notes", NO_ENTRIES)
    problems = []
    for entry in entries:
        try:
            note = layout.storyboard_file(entry.order_id)
        except UnsafeIdError:
            problems.append(f"{layout.rel(entry.path)}: file name is not an order ID")
            continue
        try:
            text = read_present(note, MAX_BYTES)
        except UnreadableError as exc:
            problems.append(f"{entry.order_id}: {layout.rel(note)} {exc.reason}")
            continue
        if not text or not text.strip():
            problems.append(f"{entry.order_id}: {layout.rel(note)} missing or empty")
    if problems:
        return failed(
            "storyboard-notes",
            f"{plural(len(problems), 'paraded order')} without a storyboard note",
            "restore the notes named above from git (`git checkout -- FILE`), or write them:"
            " what happened to the order and why",
            problems,
        )
    return passed("storyboard-notes", f"{plural(len(entries), 'storyboard note')} present")


def telemetry_exports(layout: Layout) -> Check:
    """Each produced order's entry cites a quilt export whose files match their checksums.

    An entry that cites no export is complete only when its ack rejects the order; the ack is
    read for those entries alone, so a ledger of produced orders costs no extra read.
    """
    entries = [e for e in _entries(layout) if e.value is not None]
    if not entries:
        return not_applicable("telemetry-exports", NO_ENTRIES)
    problems = []
    rejected = 0
    for entry in entries:
        exports = [s for s in entry.subjects() if s.get("role") == EXPORT_ROLE]
        if not exports and entry.rejected(layout):
            rejected += 1
        elif not exports:
            name = layout.rel(entry.path)
            problems.append(f"{name}: the entry of a produced order cites no telemetry export")
        for subject in exports:
            problem = _digest_problem(layout, subject) or _manifest_problem(layout, subject)
            if problem:
                problems.append(f"{entry.order_id}: {problem}")
    if problems:
        return failed(
            "telemetry-exports",
            f"{plural(len(problems), 'telemetry export problem')}",
            RESTORE_FROM_GIT,
            problems,
        )
    produced = len(entries) - rejected
    if not produced:
        return passed(
            "telemetry-exports", f"{plural(rejected, 'rejected order')}: nothing produced"
        )
    message = f"telemetry exports of {plural(produced, 'produced order')} match"
    return passed("telemetry-exports", message + (f"; {rejected} rejected" if rejected else ""))


def _manifest_problem(layout: Layout, subject: dict[str, Any]) -> str | None:
    """A cited export manifest lists files with checksums: those must match too."""
    name = str(subject.get("name"))
    if not name.endswith(".manifest.json"):
        return None
    manifest = read_artifact(layout.root / name)
    if isinstance(manifest, ParseError) or not isinstance(manifest, dict):
        return f"{name}: unreadable manifest"
    for item in manifest.get("files") or []:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            return f"{name}: malformed file list"
        path = str(item["path"])
        if not (layout.root / path).is_file():
            # Manifests may name their files relative to their own folder.
            path = str(Path(name).parent / path)
        problem = _digest_problem(layout, {"name": path, "digest": item.get("digest")})
        if problem:
            return f"{name} lists {problem}"
    return None


def ledger_index(layout: Layout) -> Check:
    """``exchange/ledger/index.json`` is a fresh rebuild of the entries, or lags them
    verifiably (every row is its entry as a commit held it): a notice, not a failure."""
    if not _entries(layout):
        return not_applicable("ledger-index", NO_ENTRIES)
    state = index_state(layout)
    if state.status != "wrong":
        return passed("ledger-index", state.notice)
    rel = layout.rel(layout.ledger_index)
    return failed(
        "ledger-index",
        f"{rel} is not a rebuild of the entries, now or at any commit",
        FIX,
        [f"{rel}::{where}: {message}" for where, message in state.problems],
    )


TRACE_CHECKS: tuple[CheckFn, ...] = (
    ledger_entries,
    ledger_evidence,
    storyboard_notes,
    telemetry_exports,
    ledger_index,
)
