"""Traceability of paraded orders: ledger entry, evidence digests, storyboard, telemetry, index.

These checks report "not applicable" until the ledger holds entries (nothing paraded yet),
then apply to every entry: no silent pass. A rejected order (its ack's disposition is
``reject``) is complete with its order, its ack, its storyboard note and its ledger entry:
nothing was produced, so no check asks it for a report or a telemetry export.

Each entry is one unit (``readiness.units``) feeding four checks, and each paraded order (an
ack or report in exchange/) one more feeding ``ledger-entries``: a run recomputes only the
units whose files changed. The index is checked whole, by ``ledger.index``.
"""

from __future__ import annotations

import fnmatch
import functools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from toyfoundry_ci.base.canonical import sha256_file
from toyfoundry_ci.base.errors import UnsafeIdError
from toyfoundry_ci.base.ids import check_order_id, is_order_id
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import MAX_BYTES, ParseError, read_artifact
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.base.reader import UnreadableError, read_present
from toyfoundry_ci.ledger.lag import FIX, IndexState, index_state
from toyfoundry_ci.readiness.checks import Check, failed, not_applicable, passed
from toyfoundry_ci.readiness.units import Family, Problems, Reads, Unit

NO_ENTRIES = "no ledger entries yet: nothing paraded"
# The ledger is write-once: what it cites is restored, never re-made.
RESTORE_FROM_GIT = "restore the files named above from git: `git checkout -- FILE`"
EXPORT_ROLE = "quilt-export"
ENTRIES = "ledger-entries"
EVIDENCE = "ledger-evidence"
NOTES = "storyboard-notes"
TELEMETRY = "telemetry-exports"
INDEX = "ledger-index"


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

    def rejected(self, reads: Reads) -> bool:
        """Whether the ack this entry cites rejects the order (read from the ack itself)."""
        for subject in self.subjects():
            name = subject.get("name")
            if subject.get("role") != "acknowledgement" or _digest_problem(reads, subject):
                continue
            ack = read_artifact(reads.path(str(name)))
            return isinstance(ack, dict) and ack.get("disposition") == "reject"
        return False


def _digest_problem(reads: Reads, subject: dict[str, Any]) -> str | None:
    name = subject.get("name")
    digest = subject.get("digest")
    expected = digest.get("sha256") if isinstance(digest, dict) else None
    if not isinstance(name, str):
        return "a subject names no file"
    if ".." in name.split("/") or name.startswith("/"):
        return f"subject {name!r} is not a repository path"
    path = reads.path(name)
    if not os.path.isfile(path) or os.path.islink(path):  # noqa: PTH113, PTH114 - a string per file
        return f"{name}: missing"
    if name not in reads.digests:
        reads.digests[name] = sha256_file(path)
    if reads.digests[name] != expected:
        return f"{name}: sha256 differs from the ledger"
    return None


def _manifest_problem(reads: Reads, subject: dict[str, Any]) -> str | None:
    """A cited export manifest lists files with checksums: those must match too."""
    name = str(subject.get("name"))
    if not name.endswith(".manifest.json"):
        return None
    manifest = read_artifact(reads.path(name))
    if isinstance(manifest, ParseError) or not isinstance(manifest, dict):
        return f"{name}: unreadable manifest"
    for item in manifest.get("files") or []:
        if not isinstance(item, dict) or not isinstance(item.get("path"), str):
            return f"{name}: malformed file list"
        path = str(item["path"])
        if not os.path.isfile(reads.path(path, follows=True)):  # noqa: PTH113 - a string
            # Manifests may name their files relative to their own folder.
            path = str(Path(name).parent / path)
        problem = _digest_problem(reads, {"name": path, "digest": item.get("digest")})
        if problem:
            return f"{name} lists {problem}"
    return None


# -- the entry unit: one ledger entry's share of four checks ------------------------------


@functools.cache
def _folder(layout: Layout, name: str) -> str:
    """A folder of the layout (``ledger_entries``, ``storyboard``...) relative to its root."""
    folder: Path = getattr(layout, name)
    return layout.rel(folder)


def _entry_folder(layout: Layout) -> str:
    return _folder(layout, "ledger_entries")


def _names(folder: Path, pattern: str) -> list[str]:
    """The names ``sorted(folder.glob(pattern))`` yields, without a Path for each."""
    try:
        with os.scandir(folder) as found:
            return sorted(e.name for e in found if fnmatch.fnmatchcase(e.name, pattern))
    except (FileNotFoundError, NotADirectoryError):
        return []


def entry_keys(layout: Layout) -> list[str]:
    return [f"e:{name}" for name in _names(layout.ledger_entries, "*.json")]


def _entry_unit(layout: Layout, name: str) -> Unit | None:
    path = layout.ledger_entries / name
    if not os.path.lexists(path):
        return None
    reads = Reads(layout)
    rel = f"{_entry_folder(layout)}/{name}"
    value = read_artifact(reads.path(rel))
    entry = Entry(path, value if isinstance(value, dict) else None)
    problems = {ENTRIES: _unreadable(rel, entry), NOTES: _note_problems(reads, rel, entry)}
    counts: dict[str, tuple[int, ...]] = {ENTRIES: (1,), NOTES: (1,)}
    if entry.value is not None:
        subjects = entry.subjects()
        problems[EVIDENCE] = tuple(
            f"{entry.order_id}: {problem}"
            for subject in subjects
            if (problem := _digest_problem(reads, subject))
        )
        counts[EVIDENCE] = (1, len(subjects))
        telemetry, rejected = _telemetry_problems(reads, entry)
        problems[TELEMETRY] = telemetry
        counts[TELEMETRY] = (1, int(rejected))
    return reads.unit(f"e:{name}", f"0/{name}", problems, counts)


def _unreadable(rel: str, entry: Entry) -> tuple[str, ...]:
    return () if entry.value is not None else (f"{rel}: unreadable",)


def _note_problems(reads: Reads, rel: str, entry: Entry) -> tuple[str, ...]:
    try:
        order_id = check_order_id(entry.order_id)
    except UnsafeIdError:
        return (f"{rel}: file name is not an order ID",)
    note_rel = f"{_folder(reads.layout, 'storyboard')}/{order_id}.md"
    note = reads.path(note_rel)
    try:
        text = read_present(note, MAX_BYTES)
    except UnreadableError as exc:
        return (f"{entry.order_id}: {note_rel} {exc.reason}",)
    if not text or not text.strip():
        return (f"{entry.order_id}: {note_rel} missing or empty",)
    return ()


def _telemetry_problems(reads: Reads, entry: Entry) -> tuple[tuple[str, ...], bool]:
    """The entry's telemetry problems, and whether it is complete as a rejected order.

    An entry that cites no export is complete only when its ack rejects the order; the ack is
    read for those entries alone, so a ledger of produced orders costs no extra read.
    """
    exports = [s for s in entry.subjects() if s.get("role") == EXPORT_ROLE]
    if not exports and entry.rejected(reads):
        return (), True
    problems = []
    if not exports:
        name = f"{_entry_folder(reads.layout)}/{entry.path.name}"
        problems.append(f"{name}: the entry of a produced order cites no telemetry export")
    for subject in exports:
        problem = _digest_problem(reads, subject) or _manifest_problem(reads, subject)
        if problem:
            problems.append(f"{entry.order_id}: {problem}")
    return tuple(problems), False


def _entry_keys_for(layout: Layout, rel: str) -> Iterator[str]:
    path = PurePosixPath(rel)
    if str(path.parent) == _entry_folder(layout) and path.name.endswith(".json"):
        yield f"e:{path.name}"


def _compute_entries(layout: Layout, keys: list[str]) -> dict[str, Unit | None]:
    return {key: _entry_unit(layout, key[2:]) for key in keys}


ENTRY_UNITS = Family("entry", entry_keys, _entry_keys_for, _compute_entries)


# -- the paraded unit: an order with evidence in exchange/ needs its ledger entry -----------


def _paraded_keys(layout: Layout) -> list[str]:
    found: dict[str, None] = {}
    for folder, prefix in ((layout.acknowledgements, "ACK-"), (layout.reports, "RPT-")):
        for name in _names(folder, f"{prefix}*.json"):
            order_id = name[len(prefix) : -len(".json")]
            if is_order_id(order_id):
                found.setdefault(f"p:{order_id}")
    return list(found)


def _paraded_keys_for(layout: Layout, rel: str) -> Iterator[str]:
    path = PurePosixPath(rel)
    folder = str(path.parent)
    if folder == _entry_folder(layout) and is_order_id(path.stem) and path.suffix == ".json":
        yield f"p:{path.stem}"
    for evidence, prefix in (("acknowledgements", "ACK-"), ("reports", "RPT-")):
        named = path.name.startswith(prefix) and path.suffix == ".json"
        if named and folder == _folder(layout, evidence):
            order_id = path.stem.removeprefix(prefix)
            if is_order_id(order_id):
                yield f"p:{order_id}"


def _paraded_unit(layout: Layout, order_id: str) -> Unit | None:
    reads = Reads(layout)
    order_id = check_order_id(order_id)
    ack = f"{_folder(layout, 'acknowledgements')}/ACK-{order_id}.json"
    report = f"{_folder(layout, 'reports')}/RPT-{order_id}.json"
    if os.path.lexists(reads.path(ack)):
        evidence, sort = ack, f"1/0/ACK-{order_id}.json"
    elif os.path.lexists(reads.path(report)):
        evidence, sort = report, f"1/1/RPT-{order_id}.json"
    else:
        return None
    entry_file = f"{_entry_folder(layout)}/{order_id}.json"
    value = read_artifact(reads.path(entry_file))
    problems: dict[str, tuple[str, ...]] = {}
    if not isinstance(value, dict):
        missing = f"{entry_file} is missing"
        problems[ENTRIES] = (f"{order_id}: paraded ({evidence}) but {missing}",)
    return reads.unit(f"p:{order_id}", sort, problems, {})


def _compute_paraded(layout: Layout, keys: list[str]) -> dict[str, Unit | None]:
    return {key: _paraded_unit(layout, key[2:]) for key in keys}


PARADED_UNITS = Family(
    "paraded", _paraded_keys, _paraded_keys_for, _compute_paraded, owns_deps=True
)


# -- the checks, built from their units' sums and first problems ---------------------------


def build_ledger_entries(counts: tuple[int, ...], problems: Problems) -> Check:
    """Every paraded order (an ack or report in exchange/) has a readable ledger entry."""
    entries = counts[0] if counts else 0
    if not entries:
        return not_applicable(ENTRIES, NO_ENTRIES)
    if problems.total:
        return failed(
            ENTRIES,
            f"{plural(problems.total, 'paraded order')} without a usable ledger entry",
            RESTORE_FROM_GIT,
            problems.first,
            problems.total,
        )
    return passed(ENTRIES, f"every paraded order has its ledger entry ({entries})")


def build_ledger_evidence(counts: tuple[int, ...], problems: Problems) -> Check:
    """Each entry's evidence files exist and match the digests the entry cites."""
    readable, subjects = (*counts, 0, 0)[:2]
    if not readable:
        return not_applicable(EVIDENCE, NO_ENTRIES)
    if problems.total:
        return failed(
            EVIDENCE,
            f"evidence differs from the ledger: {plural(problems.total, 'file')}",
            RESTORE_FROM_GIT,
            problems.first,
            problems.total,
        )
    return passed(EVIDENCE, f"evidence matches the ledger ({plural(subjects, 'file')})")


def build_storyboard_notes(counts: tuple[int, ...], problems: Problems) -> Check:
    """Each entry's order has a non-empty storyboard note."""
    entries = counts[0] if counts else 0
    if not entries:
        return not_applicable(NOTES, NO_ENTRIES)
    if problems.total:
        return failed(
            NOTES,
            f"{plural(problems.total, 'paraded order')} without a storyboard note",
            "restore the notes named above from git (`git checkout -- FILE`), or write them:"
            " what happened to the order and why",
            problems.first,
            problems.total,
        )
    return passed(NOTES, f"{plural(entries, 'storyboard note')} present")


def build_telemetry_exports(counts: tuple[int, ...], problems: Problems) -> Check:
    """Each produced order's entry cites a quilt export whose files match their checksums."""
    readable, rejected = (*counts, 0, 0)[:2]
    if not readable:
        return not_applicable(TELEMETRY, NO_ENTRIES)
    if problems.total:
        return failed(
            TELEMETRY,
            f"{plural(problems.total, 'telemetry export problem')}",
            RESTORE_FROM_GIT,
            problems.first,
            problems.total,
        )
    produced = readable - rejected
    if not produced:
        return passed(TELEMETRY, f"{plural(rejected, 'rejected order')}: nothing produced")
    message = f"telemetry exports of {plural(produced, 'produced order')} match"
    return passed(TELEMETRY, message + (f"; {rejected} rejected" if rejected else ""))


def ledger_index(layout: Layout, has_entries: bool) -> Check:
    """``exchange/ledger/index.json`` is a fresh rebuild of the entries, or lags them
    verifiably (every row is its entry as a commit held it): a notice, not a failure."""
    if not has_entries:
        return not_applicable(INDEX, NO_ENTRIES)
    return build_ledger_index(layout, index_state(layout))


def build_ledger_index(layout: Layout, state: IndexState) -> Check:
    """The ledger-index check of an index in ``state``."""
    if state.status != "wrong":
        return passed(INDEX, state.notice)
    rel = layout.rel(layout.ledger_index)
    return failed(
        INDEX,
        f"{rel} is not a rebuild of the entries, now or at any commit",
        FIX,
        [f"{rel}::{where}: {message}" for where, message in state.problems],
    )


def decides_index(layout: Layout, rel: str) -> bool:
    """Whether a change to ``rel`` can change the ledger-index check."""
    ledger = layout.rel(layout.ledger_index.parent)
    return rel == ledger or rel.startswith(ledger + "/")


# The checks of these families, in report order, each with the builder of its outcome.
TRACE_BUILDERS = (
    (ENTRIES, build_ledger_entries),
    (EVIDENCE, build_ledger_evidence),
    (NOTES, build_storyboard_notes),
    (TELEMETRY, build_telemetry_exports),
)
