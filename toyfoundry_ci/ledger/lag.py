"""Whether the ledger index is current, behind, or wrong: "regenerate, never merge".

Pull-request branches never write ``exchange/ledger/index.json`` (a plain merge of two of them
then never meets a conflict on it); serialized writers do: ``toyfoundry ledger index``, the
intake run, and work on the default branch. So the index may lag the entries, and a lag is
verifiable: every row of the index is its entry as some commit in HEAD's history held it
(or the entry is newer than the index and has no row yet), and the file's count and root are
those of its own rows. A lagging index is a notice; a row no commit ever held, or a count
or root that does not match the rows, is a failure: the index was edited, not regenerated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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
    index_rows,
    index_written_at,
    render_index,
    rows_on_disk,
)

CATCH_UP = "brought current by the next intake PR or `toyfoundry ledger index`"
FIX = "run `toyfoundry ledger index` and commit the result"
# An entry is a few hundred bytes; a past version above this is not one the index cites.
_ENTRY_BOUND = 1024 * 1024


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
            return "index current: exchange/ledger/index.json equals a fresh rebuild"
        since = f"since {self.since[:12]}" if self.since else "since the index was written"
        return f"index behind by {plural(len(self.behind), 'entry')} (changed {since}): {CATCH_UP}"


def index_state(
    layout: Layout, cache: DigestCache | None = None, history: str = "HEAD"
) -> IndexState:
    """Compare the index with a fresh rebuild; say which rows lag and which are wrong.

    A lagging row must be its entry as a commit of ``history``'s first-parent line held it
    (the base branch's own states: never a commit of the change being judged)."""
    if cache is None:
        with DigestCache(layout) as own:
            found = _state(layout, own, history)
            own.save()
        return found
    return _state(layout, cache, history)


def _state(layout: Layout, cache: DigestCache, history: str = "HEAD") -> IndexState:
    try:
        fresh = index_rows(layout, cache)
    except ArtifactError as exc:
        return IndexState("wrong", problems=(("$", f"cannot be rebuilt: {exc.message}"),))
    try:
        data = read_present(layout.ledger_index, INDEX_BOUND)
    except UnreadableError as exc:
        return IndexState("wrong", problems=(("$", exc.reason),), unreadable=True)
    if data is None:
        if not fresh:
            return IndexState("current")
        return IndexState("wrong", problems=(("$", "is missing; run `toyfoundry ledger index`"),))
    if data == render_index(fresh, presorted=True):
        return IndexState("current")
    rows = rows_on_disk(data)
    if rows is None or render_index(rows, presorted=True) != data:
        return IndexState(
            "wrong",
            problems=(
                (
                    "$",
                    "differs from a fresh rebuild, and its count, root or layout do not match"
                    f" its own rows (edited, not regenerated); {FIX}",
                ),
            ),
        )
    on_disk = {row["order_id"]: row for row in rows}
    rebuilt = {row["order_id"]: row for row in fresh}
    differ = {i for i in on_disk.keys() | rebuilt.keys() if on_disk.get(i) != rebuilt.get(i)}
    git = Git(layout.root)
    if not git.ok("rev-parse", "--verify", "--quiet", "HEAD"):
        return IndexState("wrong", problems=(("$", f"differs from a fresh rebuild; {FIX}"),))
    past = _past_rows(layout, git, [on_disk[i] for i in differ if i in on_disk], history)
    wrong = [
        (
            f"$.entries[{at}]",
            f"{row['order_id']}: a row no commit of {row['path']} ever held"
            f" (edited, not regenerated); {FIX}",
        )
        for at, row in enumerate(rows)
        if row["order_id"] in differ and row not in past.get(row["order_id"], [])
    ]
    if wrong:
        return IndexState("wrong", problems=tuple(wrong))
    since = index_written_at(layout, git)
    return IndexState("behind", behind=tuple(sorted(differ)), since=since)


def _past_rows(
    layout: Layout, git: Git, rows: list[dict[str, Any]], history: str = "HEAD"
) -> dict[str, list[dict[str, Any]]]:
    """The rows each of these entries had in HEAD's history (one ``git log``, one cat-file)."""
    if not rows:
        return {}
    wanted = {str(row["path"]) for row in rows}
    folder = layout.rel(layout.ledger_entries)
    out = git.text(
        "log",
        "--first-parent",
        "--format=",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        history,
        "--",
        folder,
    )
    versions: dict[str, str] = {}  # blob -> path
    for line in out.splitlines():
        meta, _, path = line.partition("\t")
        fields = meta.split()
        if path in wanted and len(fields) >= 4:
            versions.setdefault(fields[3], path)
    for path in wanted:  # as HEAD holds it, even when only a merge resolution wrote it
        versions.setdefault(f"HEAD:{path}", path)
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
