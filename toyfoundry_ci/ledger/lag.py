"""Whether the ledger index is current, behind, or wrong: "regenerate, never merge".

Pull-request branches never write ``exchange/ledger/index.json`` (a plain merge of two of them
then never meets a conflict on it); serialized writers do: ``toyfoundry ledger index``, the
intake run, and work on the default branch. So the index may lag the entries, and a lag is
verifiable: every row of the index is its entry as some commit in HEAD's history held it
(or the entry is newer than the index and has no row yet), and the file's count and root are
those of its own rows. A lagging index is a notice; a row no commit ever held, or a count
or root that does not match the rows, is a failure: the index was edited, not regenerated.

``index_state`` rebuilds every row. ``index_state_since`` reaches the same verdict from the
last one (its ``Basis``) and the entries changed since, at a cost that grows with the change:
the changed rows are spliced into the last rebuild, which is compared with the file; rows of
a lagging file are looked up only for the changed entries, and only theirs are looked for
in history. A lagging row of the last verdict still lags when the history it was found in
is the start of HEAD's first-parent line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from toyfoundry_ci.base.canonical import sha256_bytes
from toyfoundry_ci.base.errors import ArtifactError
from toyfoundry_ci.base.git import Git
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import parse_artifact
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.base.reader import UnreadableError, read_present
from toyfoundry_ci.ledger.digest_cache import DigestCache
from toyfoundry_ci.ledger.index import (
    INDEX_BOUND,
    entry_facts,
    entry_rows,
    index_rows,
    index_written_at,
    is_entry_name,
    render_index,
    row_in_index,
    rows_before,
    rows_on_disk,
    splice_index,
)

CATCH_UP = "brought current by the next intake PR or `toyfoundry ledger index`"
CURRENT = "index current: exchange/ledger/index.json equals a fresh rebuild"
FIX = "run `toyfoundry ledger index` and commit the result"
# An entry is a few hundred bytes; a past version above this is not one the index cites.
_ENTRY_BOUND = 1024 * 1024
# Paths few enough to name each on git's command line.
_FEW = 64


@dataclass(frozen=True, slots=True)
class IndexState:
    """What the index on disk is, against a fresh rebuild of the entries."""

    status: Literal["current", "behind", "wrong"]
    behind: tuple[str, ...] = ()  # order IDs whose rows lag their entries
    since: str | None = None  # the commit that last wrote the index
    problems: tuple[tuple[str, str], ...] = field(default=())  # (JSON path, message)
    unreadable: bool = False  # the file itself was refused unread: nothing more to check

    @property
    def notice(self) -> str:
        """The one line readiness and ``ledger verify`` say about a sound index."""
        if self.status == "current":
            return CURRENT
        since = f"since {self.since[:12]}" if self.since else "since the index was written"
        return f"index behind by {plural(len(self.behind), 'entry')} (changed {since}): {CATCH_UP}"


@dataclass(frozen=True, slots=True)
class Basis:
    """What a verdict was reached on, from which the next is reached by what changed."""

    expected: bytes  # the fresh rebuild of the entries then
    head: str  # the commit whose first-parent history the lagging rows were found in
    # The sha256 of the index file when its rows were read (lagging: those that differ
    # from the rebuild, each found in history); None when they were not (a current,
    # missing or wrong index).
    index: str | None = None
    lagging: tuple[str, ...] = ()
    since: str | None = None


def index_state(
    layout: Layout, cache: DigestCache | None = None, history: str = "HEAD"
) -> IndexState:
    """Compare the index with a fresh rebuild; say which rows lag and which are wrong.

    A lagging row must be its entry as a commit of ``history``'s first-parent line held it
    (the base branch's own states: never a commit of the change being judged)."""
    if cache is None:
        with DigestCache(layout) as own:
            found = _state(layout, own, history)[0]
            own.save()
        return found
    return _state(layout, cache, history)[0]


def index_state_since(
    layout: Layout,
    basis: Basis | None,
    changed: Iterable[str],
    head: str,
    tree: Path,
) -> tuple[IndexState, Basis | None]:
    """``index_state`` against ``head``, reached from the last verdict's ``basis`` and the
    repository-relative paths ``changed`` since (those of entries count); the next basis.

    Without a basis, or when the change cannot be followed from it (a path inside the
    entries folder that is not an entry file, another index file with rows that differ,
    a HEAD that does not continue the basis's first-parent line), every row is rebuilt.
    ``tree`` is where the Merkle levels of the expected index are kept between runs.
    """
    changed = list(changed)
    entries = _entry_files(layout, changed)
    if basis is None or entries is None or head == "none":
        return index_basis(layout, head, tree, changed)
    try:
        changes = entry_rows(layout, sorted(entries))
    except ArtifactError as exc:
        return _unbuildable(exc)
    buf = bytearray(basis.expected)
    edited = splice_index(buf, changes, tree)
    if edited is None:
        return index_basis(layout, head, tree, changed)
    expected = bytes(buf) if edited else basis.expected
    data = _differing(layout, expected, head)
    if not isinstance(data, bytes):
        return data
    git = Git(layout.root)
    if basis.index != sha256_bytes(data) or not _continues(git, basis.head, head):
        return index_basis(layout, head, tree, changed)
    lagging, differ = _lagging_rows(data, basis.lagging, changes)
    if not lagging:  # the rows are the rebuild's, so the file should have been
        return index_basis(layout, head, tree, changed)
    past = _past_rows(layout, git, [row for _, row in differ], head)
    positions = rows_before(data, [at for at, _ in differ])
    wrong = [
        _never_held(at, row)
        for at, (_, row) in zip(positions, differ, strict=True)
        if row not in past.get(row["order_id"], [])
    ]
    if wrong:
        return IndexState("wrong", problems=tuple(wrong)), Basis(expected, head)
    # A lagging verdict at the same HEAD asked git when the index was written.
    known = head == basis.head and basis.lagging
    since = basis.since if known else index_written_at(layout, git)
    behind = tuple(sorted(lagging))
    found = IndexState("behind", behind=behind, since=since)
    return found, Basis(expected, head, basis.index, behind, since)


def _entry_files(layout: Layout, changed: Iterable[str]) -> set[str] | None:
    """The entry files among ``changed``; None when a folder inside the entries folder is
    named as an entry file (the rebuild refuses it)."""
    folder = layout.rel(layout.ledger_entries)
    entries = set()
    for rel in changed:
        parent, _, name = rel.rpartition("/")
        if parent == folder:
            if is_entry_name(name):
                entries.add(rel)
        elif rel.startswith(f"{folder}/") and is_entry_name(rel[len(folder) + 1 :].split("/")[0]):
            return None
    return entries


def _lagging_rows(
    data: bytes, lagging: Iterable[str], changes: dict[str, dict[str, Any] | None]
) -> tuple[set[str], list[tuple[int, dict[str, Any]]]]:
    """The rows of the index ``data`` that lag, from those that lagged and the changed
    rows; and (offset, row) of each changed entry's row that differs, in file order."""
    behind = set(lagging) - changes.keys()
    differ = []
    for stem, row in changes.items():
        at, on_disk = row_in_index(data, stem)
        if on_disk != row:
            behind.add(stem)
            if on_disk is not None:
                differ.append((at, on_disk))
    differ.sort(key=lambda found: found[0])
    return behind, differ


def index_basis(
    layout: Layout, head: str, tree: Path | None = None, changed: Iterable[str] = ()
) -> tuple[IndexState, Basis | None]:
    """``index_state`` against ``head`` with every row rebuilt, and the basis of the verdict.

    With ``tree``, the Merkle levels of the rebuild are kept there (computed from the
    leaves: whatever the file held before is not read)."""
    if tree is not None:
        tree.unlink(missing_ok=True)
    with DigestCache(layout) as cache:
        cache.forget(changed)  # what git says changed is read again, whatever its stat
        found = _state(layout, cache, head, tree)
        cache.save()
    return found


def _unbuildable(exc: ArtifactError) -> tuple[IndexState, None]:
    return IndexState("wrong", problems=(("$", f"cannot be rebuilt: {exc.message}"),)), None


def _differing(
    layout: Layout, expected: bytes, head: str
) -> bytes | tuple[IndexState, Basis | None]:
    """The index file's bytes when they differ from ``expected`` (the fresh rebuild), else
    the verdict: current, missing or refused unread."""
    try:
        data = read_present(layout.ledger_index, INDEX_BOUND)
    except UnreadableError as exc:
        found = IndexState("wrong", problems=(("$", exc.reason),), unreadable=True)
        return found, Basis(expected, head)
    if data is None and expected != render_index([]):
        missing = (("$", "is missing; run `toyfoundry ledger index`"),)
        return IndexState("wrong", problems=missing), Basis(expected, head)
    if data is None:
        return IndexState("current"), Basis(expected, head)
    if data == expected:  # its rows read: none lags
        return IndexState("current"), Basis(expected, head, sha256_bytes(data))
    return data


def _continues(git: Git, old: str, new: str) -> bool:
    """Whether ``new`` is ``old`` or a commit whose first-parent line passes through it."""
    if old == new:
        return True
    ran = git.run("rev-list", "--first-parent", "--parents", f"{old}..{new}", "--")
    lines = ran.out.split(b"\n") if ran.ok else []
    last = [line for line in lines if line][-1:]
    return bool(last) and last[0].split()[1:2] == [old.encode()]


def _never_held(at: int, row: dict[str, Any]) -> tuple[str, str]:
    return (
        f"$.entries[{at}]",
        f"{row['order_id']}: a row no commit of {row['path']} ever held"
        f" (edited, not regenerated); {FIX}",
    )


def _state(
    layout: Layout, cache: DigestCache, history: str = "HEAD", tree: Path | None = None
) -> tuple[IndexState, Basis | None]:
    try:
        fresh = index_rows(layout, cache)
    except ArtifactError as exc:
        return _unbuildable(exc)
    expected = render_index(fresh, tree=tree, presorted=True)
    data = _differing(layout, expected, history)
    if not isinstance(data, bytes):
        return data
    rows = rows_on_disk(data, layout.rel(layout.ledger_entries))
    if rows is None or render_index(rows, presorted=True) != data:
        found = IndexState(
            "wrong",
            problems=(
                (
                    "$",
                    "differs from a fresh rebuild, and its count, root or layout do not match"
                    f" its own rows (edited, not regenerated); {FIX}",
                ),
            ),
        )
        return found, Basis(expected, history)
    on_disk = {row["order_id"]: row for row in rows}
    rebuilt = {row["order_id"]: row for row in fresh}
    differ = {i for i in on_disk.keys() | rebuilt.keys() if on_disk.get(i) != rebuilt.get(i)}
    git = Git(layout.root)
    if not git.ok("rev-parse", "--verify", "--quiet", "HEAD"):
        found = IndexState("wrong", problems=(("$", f"differs from a fresh rebuild; {FIX}"),))
        return found, Basis(expected, history)
    past = _past_rows(layout, git, [on_disk[i] for i in differ if i in on_disk], history)
    wrong = [
        _never_held(at, row)
        for at, row in enumerate(rows)
        if row["order_id"] in differ and row not in past.get(row["order_id"], [])
    ]
    if wrong:
        return IndexState("wrong", problems=tuple(wrong)), Basis(expected, history)
    since = index_written_at(layout, git)
    behind = tuple(sorted(differ))
    found = IndexState("behind", behind=behind, since=since)
    return found, Basis(expected, history, sha256_bytes(data), behind, since)


def _past_rows(
    layout: Layout, git: Git, rows: list[dict[str, Any]], history: str = "HEAD"
) -> dict[str, list[dict[str, Any]]]:
    """The rows each of these entries had in HEAD's history (one ``git log``, one cat-file)."""
    if not rows:
        return {}
    wanted = {str(row["path"]) for row in rows}
    # The versions of a few paths are asked of those paths (git diffs only their part of
    # each tree); of many, of the folder. Along first parents both name the same blobs.
    few = [f":(literal){path}" for path in sorted(wanted)] if len(wanted) <= _FEW else None
    out = git.text(
        "log",
        "--first-parent",
        "--root",
        "--format=",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        history,
        "--",
        *(few or [layout.rel(layout.ledger_entries)]),
    )
    versions: dict[str, str] = {}  # blob -> path
    for line in out.splitlines():
        meta, _, path = line.partition("\t")
        fields = meta.split()
        if path in wanted and len(fields) >= 4:
            versions.setdefault(fields[3], path)
    for path in wanted:  # as the tip holds it, even when only a merge resolution wrote it
        versions.setdefault(f"{history}:{path}", path)
    blobs = git.blobs(versions, _ENTRY_BOUND).data
    found: dict[str, list[dict[str, Any]]] = {}
    for name, blob in blobs.items():
        path = versions[name]
        facts = entry_facts(path, parse_artifact(blob))
        if "error" in facts:
            continue
        row = {
            "order_id": path.rpartition("/")[2][:-5],
            "path": path,
            "digest": {"sha256": sha256_bytes(blob)},
            "state": facts["state"],
        }
        found.setdefault(row["order_id"], []).append(row)
    return found
