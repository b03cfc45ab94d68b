"""The ledger index: a deterministic function of the entries, with an RFC 6962 Merkle root.

Rows are sorted by order ID and written with the canonical JSON writer, so the same entries
give the same bytes whatever the order they were found in and whatever the machine. The root
is the Merkle Tree Hash of RFC 6962 §2.1 over the entries' sha256 digests (leaf ``0x00``,
node ``0x01`` prefixes), so one changed entry changes the root.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import re
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import orjson

from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.cachedir import cache_root
from toyfoundry_ci.base.canonical import dumps
from toyfoundry_ci.base.errors import ArtifactError
from toyfoundry_ci.base.gcpause import gc_paused
from toyfoundry_ci.base.git import Git, on_default_branch
from toyfoundry_ci.base.ids import ORDER_ID, is_order_id
from toyfoundry_ci.base.kinds import max_bytes_for
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import ParseError
from toyfoundry_ci.base.reader import (
    MISSING,
    UnreadableError,
    read_buffer,
    read_file,
    read_present,
)
from toyfoundry_ci.ledger.digest_cache import (
    MISSING_KEY,
    NOT_REGULAR_FACTS,
    NOT_REGULAR_KEY,
    DigestCache,
    Wants,
    read_files,
)
from toyfoundry_ci.validation.schemas import registry

_LEAF = b"\x00"
_NODE = b"\x01"
NAMESPACE = "entry"


def merkle_root(leaf_digests: Sequence[str], cache: Path | None = None) -> str:
    """RFC 6962 Merkle Tree Hash over leaves whose data are the given hex sha256 digests.

    Pairing nodes level by level and promoting a lone last node unchanged builds the same
    tree as RFC 6962's split at the largest power of two below n. With ``cache`` (a file
    under the factory's cache folder, outside the work tree) the levels of the last tree
    are kept, and only the nodes above the first changed leaf are recomputed: an order
    appended at the end costs log2(n) hashes instead of 2n. The cached levels are used only
    for the leaves they were built from (the file names the digest of its leaf list and of
    its levels); without ``cache`` every level is computed from the leaves, as a check must.
    """
    if not leaf_digests:
        return hashlib.sha256(b"").hexdigest()
    leaves = bytes.fromhex("".join(leaf_digests))
    old_leaves, old_levels = _load_tree(cache) if cache else (b"", [])
    if leaves == old_leaves and old_levels:
        return old_levels[-1].hex()
    levels = _tree(leaves, old_levels, _first_difference(leaves, old_leaves))
    if cache is not None:
        _save_tree(cache, leaves, levels)
    return levels[-1].hex()


def _tree(leaves: bytes, old: list[bytes], start: int) -> list[bytes]:
    """Every level of the tree, each as one blob of 32-byte nodes.

    Nodes whose leaves all lie before leaf ``start`` are taken from ``old``.
    """
    sha = hashlib.sha256
    count = len(leaves) // 32
    kept = old[0][: start * 32] if old else b""
    fresh = [sha(_LEAF + leaves[i : i + 32]).digest() for i in range(len(kept), len(leaves), 32)]
    level = b"".join([kept, *fresh])
    levels = [level]
    while count > 1:
        start //= 2  # a node is unchanged when both its children are
        depth = len(levels)
        kept = old[depth][: start * 32] if depth < len(old) else b""
        # Node j hashes the 64 bytes of its two children, level[64j : 64j + 64].
        parts = [kept]
        parts += [
            sha(_NODE + level[i : i + 64]).digest()
            for i in range(2 * len(kept), (count // 2) * 64, 64)
        ]
        if count % 2:
            parts.append(level[-32:])
        level = b"".join(parts)
        count = (count + 1) // 2
        levels.append(level)
    return levels


def _first_difference(new: bytes, old: bytes) -> int:
    """The index of the first 32-byte leaf where ``new`` and ``old`` differ."""
    n = min(len(new), len(old)) // 32
    a, b = memoryview(new), memoryview(old)
    if a[: n * 32] == b[: n * 32]:
        return n
    low, high = 0, n  # the first difference lies in leaves [low, high)
    while high - low > 1:
        mid = (low + high) // 2
        if a[low * 32 : mid * 32] == b[low * 32 : mid * 32]:
            low = mid
        else:
            high = mid
    return low


_TREE_MAGIC = b"toyfoundry-merkle-v3\n"
INDEX_BOUND = max_bytes_for("ledger-index")


def _load_tree(path: Path) -> tuple[bytes, list[bytes]]:
    """The leaves and levels of the cached tree; empty when missing, not whole or not sealed.

    The file opens with the sha256 of everything after it (leaf list and levels): levels
    that are not the ones saved with these leaves are not used.
    """
    try:
        data = read_file(path, None)
    except UnreadableError:
        return b"", []
    seal = len(_TREE_MAGIC) + 32
    head = seal + 8
    if not data.startswith(_TREE_MAGIC) or len(data) < head:
        return b"", []
    if hashlib.sha256(memoryview(data)[seal:]).digest() != data[len(_TREE_MAGIC) : seal]:
        return b"", []
    count = int.from_bytes(data[seal:head], "big")
    sizes = [count]
    while sizes[-1] > 1:
        sizes.append((sizes[-1] + 1) // 2)
    if count == 0 or len(data) != head + 32 * (count + sum(sizes)):
        return b"", []
    offset = head + 32 * count
    levels = []
    for size in sizes:
        levels.append(data[offset : offset + 32 * size])
        offset += 32 * size
    return data[head : head + 32 * count], levels


def _save_tree(path: Path, leaves: bytes, levels: list[bytes]) -> None:
    body = b"".join([(len(leaves) // 32).to_bytes(8, "big"), leaves, *levels])
    # Losing the cache only costs speed; a torn or edited one is refused by its seal.
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        seal = hashlib.sha256(body).digest()
        write_bytes_atomic(path, b"".join([_TREE_MAGIC, seal, body]), durable=False)


def tree_seal(path: Path) -> str | None:
    """The seal a file of Merkle levels opens with (the sha256 of the rest); None: none."""
    try:
        with path.open("rb") as file:
            head = file.read(len(_TREE_MAGIC) + 32)
    except OSError:
        return None
    seal = head[len(_TREE_MAGIC) :]
    return seal.hex() if head.startswith(_TREE_MAGIC) and len(seal) == 32 else None


def tree_cache(layout: Layout) -> Path:
    """Where the last index's Merkle levels are kept (outside the work tree)."""
    return cache_root(layout.root) / "ledger-merkle.bin"


def entry_facts(_rel: str, value: Any) -> dict[str, Any]:
    """What the index needs from an entry file: its order ID and sign-off state, or why not."""
    if isinstance(value, ParseError):
        return {"error": f"{value.where}: {value.message}"}
    try:
        return {"order_id": value["order_id"], "state": value["signoff"]["state"]}
    except (KeyError, TypeError):
        return {"error": "$: not a ledger entry (order_id or signoff.state missing)"}


def index_rows(layout: Layout, cache: DigestCache) -> list[dict[str, Any]]:
    """One row per entry file, sorted by order ID; a malformed entry is an ArtifactError."""
    folder = layout.rel(layout.ledger_entries)
    with gc_paused():
        names = [n for n in cache.json_names(folder) if _ENTRY_NAME.fullmatch(n)]
        found = cache.files(folder, names, _WANTS)
        return [_row(folder, name, sha, facts[NAMESPACE]) for name, sha, facts in found]


_WANTS: Wants = ((NAMESPACE, entry_facts),)


def _row(folder: str, name: str, sha256: str, facts: dict[str, Any]) -> dict[str, Any]:
    stem = name[:-5]
    if "error" in facts or facts["order_id"] != stem or facts["state"] not in _STATES:
        _refuse(f"{folder}/{name}", stem, facts)
    return {
        "order_id": stem,
        "path": f"{folder}/{name}",
        "digest": {"sha256": sha256},
        "state": facts["state"],
    }


_STATES = frozenset(("pending", "sealed"))


def _refuse(rel: str, stem: str, facts: dict[str, Any]) -> None:
    if "error" in facts:
        raise ArtifactError(f"{rel}::{facts['error']}", hint="fix or restore the entry")
    if facts["order_id"] != stem:
        raise ArtifactError(
            f"{rel}::$.order_id: names {facts['order_id']!r} in a file named for {stem!r}",
            hint="an entry file is named after its order ID",
        )
    raise ArtifactError(f"{rel}::$.signoff.state: unknown state {facts['state']!r}")


def render_index(
    rows: Iterable[dict[str, Any]], *, tree: Path | None = None, presorted: bool = False
) -> bytes:
    """The index file's bytes for the given rows (any order, or sorted when ``presorted``).

    ``tree`` is where the Merkle levels of the last index are cached.
    """
    with gc_paused():
        ordered = rows if presorted and isinstance(rows, list) else sorted(rows, key=_order_id)
        root = merkle_root([r["digest"]["sha256"] for r in ordered], tree)
        doc = {
            "kind": "ledger-index",
            "pivot": registry().current,
            "count": len(ordered),
            "root": {"sha256": root},
            "entries": ordered,
        }
        return dumps(doc)


def fresh_index(
    layout: Layout, *, full: bool = False, cold: bool = False, cached_tree: bool = False
) -> bytes:
    """The bytes a rebuild would write now.

    The root is computed from the leaves unless ``cached_tree`` (a rebuild that writes, not a
    check that compares) lets the cached Merkle levels of the same leaves stand in.
    """
    tree = tree_cache(layout) if cached_tree and not (full or cold) else None
    with DigestCache(layout, full=full, cold=cold) as cache:
        data = render_index(index_rows(layout, cache), tree=tree)
        cache.save()
    return data


def rebuild_index(layout: Layout, *, full: bool = False, cold: bool = False) -> bool:
    """Write ``exchange/ledger/index.json`` from the entries; return whether it changed."""
    data = fresh_index(layout, full=full, cold=cold, cached_tree=True)
    return write_bytes_atomic(layout.ledger_index, data)


def update_index(layout: Layout, changed: Iterable[Path | str]) -> bool:
    """Re-index only the ``changed`` entry files, trusting the index on disk for the rest.

    This is ``git update-index`` to ``rebuild_index``'s ``git add -A``: what parade and
    sign-off use after writing entries they name, at a cost that does not grow with the
    ledger's files (no directory scan, no stat of other entries). An entry file that no
    longer exists leaves the index. When the index on disk is missing or not one this
    version wrote, the whole index is rebuilt instead. ``ledger verify`` and readiness
    still compare the index with a full rebuild.
    """
    with gc_paused():
        return _update_index(layout, changed)


def keep_index(layout: Layout, changed: Iterable[Path | str]) -> bool:
    """``update_index`` where work keeps the index: on the default branch, or outside git.

    On any other branch the index is left as it is and lags the entries (readiness says by
    how much): two pull requests that both rewrote it would conflict on every plain merge.
    The intake run and ``toyfoundry ledger index`` bring it current.
    """
    if not on_default_branch(layout.root):
        return False
    return catch_up_index(layout, changed)


def catch_up_index(
    layout: Layout, changed: Iterable[Path | str] = (), *, staged: bool = False
) -> bool:
    """Bring the index current by splicing in the entries ``changed`` and every entry changed
    since the commit that last wrote it (``_lagging``): what the commit hook does on the
    default branch, at a cost that grows with the change, not the ledger. With no such
    commit the whole index is rebuilt. ``staged``: only the entries the next commit holds
    (as staged), none git does not track."""
    lagging = _lagging(layout, staged=staged)
    if lagging is None:
        return rebuild_index(layout)
    return update_index(layout, [*changed, *lagging])


def index_written_at(layout: Layout, git: Git) -> str | None:
    """The commit that last wrote the index: what a lagging index is a rebuild as of."""
    return (
        git.text("log", "-1", "--format=%H", "--", layout.rel(layout.ledger_index)).strip() or None
    )


def _lagging(layout: Layout, *, staged: bool = False) -> list[str] | None:
    """The entry files changed since the commit that last wrote the index: what it lags after
    merges of branches that left it alone (None: no such commit, rebuild). Asked of git, so
    it costs what changed, not what the ledger holds."""
    git = Git(layout.root)
    if not git.ok("rev-parse", "--verify", "--quiet", "HEAD"):
        # Outside git the index follows each write; before the first commit no commit says
        # what it lags, and the ledger is as small as it gets: rebuild.
        return None if git.ok("rev-parse", "--git-dir") else []
    since = index_written_at(layout, git)
    if since is None:
        return None
    folder = layout.rel(layout.ledger_entries)
    cached = ["--cached"] if staged else []
    tracked = git.text(
        "diff", *cached, "--name-only", "--relative", "--no-renames", since, "--", folder
    ).split("\n")
    others = ["ls-files", "--others", "--exclude-standard", "--", folder]
    untracked = [] if staged else git.text(*others).split("\n")
    found = {
        p for p in (*tracked, *untracked) if p.startswith(f"{folder}/") and p.endswith(".json")
    }
    return sorted(p for p in found if _ENTRY_NAME.fullmatch(p.rpartition("/")[2]))


def _update_index(layout: Layout, changed: Iterable[Path | str]) -> bool:
    changes = entry_rows(layout, changed)
    try:
        buf = read_buffer(layout.ledger_index, INDEX_BOUND)  # one copy of a large file
    except UnreadableError as exc:
        if exc.reason != MISSING:
            raise
        return rebuild_index(layout)
    edited = splice_index(buf, changes, tree_cache(layout))
    if edited is None:
        return rebuild_index(layout)
    return edited and write_bytes_atomic(layout.ledger_index, buf, compare=False)


def splice_index(
    buf: bytearray, changes: dict[str, dict[str, Any] | None], tree: Path
) -> bool | None:
    """Apply ``changes`` (order ID -> row, None to remove) to the index bytes in ``buf``, in
    place; return whether they changed. ``tree`` keeps the Merkle levels of the bytes.

    A canonical index is edited row by row (``_splice``); one this version wrote otherwise
    (no rows) is parsed and rendered again. None, with ``buf`` untouched, when the bytes are
    not an index this version wrote: the caller rebuilds from the entries.
    """
    edited = _splice(buf, changes, tree)
    if edited is not None:
        return edited
    rows = rows_on_disk(bytes(buf))
    if rows is None:
        return None
    for stem, row in changes.items():
        at = bisect.bisect_left(rows, stem, key=_order_id)
        present = at < len(rows) and rows[at]["order_id"] == stem
        rows[at : at + present] = [] if row is None else [row]
    data = render_index(rows, tree=tree, presorted=True)
    if data == buf:
        return False
    buf[:] = data
    return True


def entry_rows(layout: Layout, changed: Iterable[Path | str]) -> dict[str, dict[str, Any] | None]:
    """The index row of each named entry file as it is on disk, by order ID (None: removed)."""
    folder = layout.rel(layout.ledger_entries)
    names = []
    for path in changed:
        rel = layout.rel(layout.root / path)
        parent, _, name = rel.rpartition("/")
        if parent != folder or not _ENTRY_NAME.fullmatch(name):
            raise ArtifactError(
                f"{rel}: not a ledger entry file",
                hint=f"name files in {folder}/ after their order ID: <order ID>.json",
            )
        names.append(name)
    changes: dict[str, dict[str, Any] | None] = {}
    for name, key, sha, facts in read_files(
        str(layout.ledger_entries), f"{folder}/", names, _WANTS
    ):
        if key == NOT_REGULAR_KEY:
            raise ArtifactError(f"{folder}/{name}::{NOT_REGULAR_FACTS['error']}")
        if key == MISSING_KEY:
            changes[name[:-5]] = None
            continue
        assert facts is not None  # noqa: S101 - no digest is passed as known: all are parsed
        changes[name[:-5]] = _row(folder, name, sha, facts[NAMESPACE])
    return changes


def index_outcome(layout: Layout, changed: bool) -> str:
    """What ``ledger index`` says it did."""
    if changed:
        return f"wrote {layout.rel(layout.ledger_index)}"
    return "index already current; nothing written"


# The canonical index file around its rows, and the boundaries of one row. Rows are the
# only objects indented by four spaces, so these markers cannot match inside a row.
_INDEX_HEAD = re.compile(rb'\A\{\n  "count": ([0-9]+),\n  "entries": \[\n')
_INDEX_TAIL = re.compile(
    rb'\n  \],\n  "kind": "ledger-index",\n  "pivot": "([^"\n]*)",\n'
    rb'  "root": \{\n    "sha256": "([0-9a-f]{64})"\n  \}\n\}\n\Z'
)
_ROW_START = b"\n    {\n"
_ROW_END = b"\n    }"
_ID_MARK = b'\n      "order_id": "'
_SHA_IN_ROW = re.compile(rb'\n        "sha256": "([0-9a-f]{64})"\n')
_ONE_ROW_HEAD = b'{\n  "entries": [\n'
_ONE_ROW_TAIL = b"\n  ]\n}\n"


def _splice(buf: bytearray, changes: dict[str, dict[str, Any] | None], tree: Path) -> bool | None:
    """Apply ``changes`` (order ID -> row, None to remove) to the index bytes in ``buf``.

    Each row is found by bisection over the sorted file and replaced in place, and the
    Merkle levels are updated from the first changed leaf, so nothing costs a pass over
    every row. Returns whether anything changed; None, with ``buf`` untouched, when the
    file is not a canonical index with rows (the caller then parses it).
    """
    head = _INDEX_HEAD.match(buf)
    tail = _INDEX_TAIL.search(buf, max(0, len(buf) - 256))
    if head is None or tail is None or tail.group(1) != registry().current.encode():
        return None
    count = int(head.group(1))
    begin, tail_size = head.end() - 1, len(buf) - tail.start()
    leaves, levels = _leaves(
        buf, begin, tail.start(), count, root=tail.group(2).decode(), tree=tree
    )
    if len(leaves) != 32 * count:
        return None
    # Edited in place: a replaced row of the same size moves nothing, an added or removed
    # one moves the rest of the file once.
    leaf_buf = bytearray(leaves)
    first = None
    # Removals last: when one takes the last row, nothing is added after it.
    for stem, row in sorted(changes.items(), key=lambda change: (change[1] is None, change[0])):
        end = len(buf) - tail_size
        at, present = _find_row(buf, begin, end, stem)
        if row is None and (not present or count == 1):
            if present:  # the last row goes: the empty index has no rows to splice
                buf[:] = render_index([])
                return True
            continue
        # The rows before ``at``, counted from whichever end of the file is nearer.
        if at - begin < end - at:
            index = buf.count(_ROW_START, begin, at)
        else:
            index = count - buf.count(_ROW_START, at, end)
        if not _splice_row(buf, at, end, present, None if row is None else _row_bytes(row)):
            continue
        first = index if first is None else min(first, index)
        leaf = b"" if row is None else bytes.fromhex(row["digest"]["sha256"])
        leaf_buf[32 * index : 32 * (index + present)] = leaf
        count += (row is not None) - present
    if first is None:
        return False
    leaves = bytes(leaf_buf)
    levels = _tree(leaves, levels, first)
    _save_tree(tree, leaves, levels)
    at = len(buf) - tail_size + (tail.start(2) - tail.start())
    buf[at : at + 64] = levels[-1].hex().encode()
    buf[: head.end(1)] = b'{\n  "count": %d' % count
    return True


def _leaves(
    data: bytes | bytearray, begin: int, end: int, count: int, *, root: str, tree: Path
) -> tuple[bytes, list[bytes]]:
    """The leaves (and cached levels) of the index in ``data``, trusting the cache only
    when its root is the file's."""
    leaves, levels = _load_tree(tree)
    if len(leaves) == 32 * count and levels and levels[-1].hex() == root:
        return leaves, levels
    found = _SHA_IN_ROW.findall(data, begin, end)
    return bytes.fromhex(b"".join(found).decode()), []


def _find_row(data: bytes | bytearray, low: int, high: int, stem: str) -> tuple[int, bool]:
    """Where the row of ``stem`` starts (its leading newline) and whether it is there;
    where it would go (``high`` when after the last row) when it is not.

    Bisection over byte offsets: the first row starting at or after a midpoint names an
    order ID, and the rows are sorted by it.
    """
    key = stem.encode()
    answer, match = high, False
    reach = len(_ROW_START) - 1  # a row starting just before ``high`` still counts
    while low < high:
        mid = (low + high) // 2
        start = data.find(_ROW_START, mid, high + reach)
        if start < 0:
            high = mid
            continue
        id_at = data.index(_ID_MARK, start) + len(_ID_MARK)
        found = data[id_at : data.index(b'"', id_at)]
        if found >= key:
            answer, match, high = start, found == key, mid
        else:
            low = start + 1
    return answer, match


def _splice_row(buf: bytearray, at: int, end: int, present: bool, block: bytes | None) -> bool:
    """Replace or remove the row at ``at`` in ``buf``, or insert ``block`` there.

    Rows are joined by ",\n"; ``at`` is the newline that precedes a row, ``end`` the end
    of the last row. Returns False when the row was already ``block``.
    """
    if not present:
        assert block is not None  # noqa: S101 - the caller skips removing what is absent
        if at == end:
            buf[end:end] = b",\n" + block
        else:
            buf[at + 1 : at + 1] = block + b",\n"
        return True
    stop = buf.index(_ROW_END, at + 1) + len(_ROW_END)
    if block is not None:
        if buf[at + 1 : stop] == block:
            return False
        buf[at + 1 : stop] = block
    elif stop == end:  # the last row goes with the "," before it
        del buf[at - 1 : stop]
    else:
        del buf[at + 1 : stop + 2]
    return True


def row_in_index(data: bytes, stem: str) -> tuple[int, dict[str, Any] | None]:
    """Where the row of ``stem`` starts in the bytes of a canonical index, found by
    bisection, and the row (None when it has none: then where it would go)."""
    head = _INDEX_HEAD.match(data)
    tail = _INDEX_TAIL.search(data, max(0, len(data) - 256))
    if head is None or tail is None:  # the index with no rows
        return 0, None
    at, present = _find_row(data, head.end() - 1, tail.start(), stem)
    if not present:
        return at, None
    stop = data.index(_ROW_END, at + 1) + len(_ROW_END)
    row: dict[str, Any] = orjson.loads(data[at + 1 : stop])
    return at, row


def rows_before(data: bytes, offsets: Iterable[int]) -> list[int]:
    """The position among the rows of each row starting at one of ``offsets`` (ascending)."""
    found, counted, since = [], 0, 0
    for offset in offsets:
        counted += data.count(_ROW_START, since, offset)
        since = offset
        found.append(counted)
    return found


def _row_bytes(row: dict[str, Any]) -> bytes:
    """One row as it appears inside the canonical index (indented as a second-level item)."""
    whole = dumps({"entries": [row]})
    return whole[len(_ONE_ROW_HEAD) : -len(_ONE_ROW_TAIL)]


def _order_id(row: dict[str, Any]) -> str:
    return str(row["order_id"])


def rows_on_disk(data: bytes, folder: str | None = None) -> list[dict[str, Any]] | None:
    """The rows of an index file's bytes, or None when it is not a current index.

    Only the shape is checked (each row as ``_row`` writes one, its entry's file in
    ``folder`` when given); ``ledger verify`` compares the whole file with a fresh rebuild.
    The file is anyone's to edit: a row of another shape makes it no index, never an error.
    """
    try:
        doc = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if (
        not isinstance(doc, dict)
        or doc.get("kind") != "ledger-index"
        or doc.get("pivot") != registry().current
        or not isinstance(doc.get("entries"), list)
    ):
        return None
    rows: list[dict[str, Any]] = doc["entries"]
    if not all(_is_row(row, folder) for row in rows):
        return None
    ids = [row["order_id"] for row in rows]
    return rows if ids == sorted(ids) else None


_ROW_KEYS = frozenset(("order_id", "path", "digest", "state"))
_SHA256 = re.compile(r"[0-9a-f]{64}")


def _is_row(row: Any, folder: str | None) -> bool:
    """Whether ``row`` has the shape of a row ``_row`` writes."""
    if type(row) is not dict or row.keys() != _ROW_KEYS:
        return False
    oid, path, digest = row["order_id"], row["path"], row["digest"]
    return (
        type(oid) is str
        and is_order_id(oid)
        and type(path) is str
        and (path == f"{folder}/{oid}.json" if folder else path.endswith(f"/{oid}.json"))
        and type(digest) is dict
        and digest.keys() == {"sha256"}
        and type(digest["sha256"]) is str
        and _SHA256.fullmatch(digest["sha256"]) is not None
        and type(row["state"]) is str
        and row["state"] in _STATES
    )


def index_is_current(layout: Layout) -> bool:
    """Whether the index on disk equals a fresh rebuild from the entries."""
    on_disk = read_present(layout.ledger_index, INDEX_BOUND)
    if on_disk is None:
        return not entry_names(layout)
    return on_disk == fresh_index(layout)


_ENTRY_NAME = re.compile(ORDER_ID.strip("^$") + r"\.json")


def is_entry_name(name: str) -> bool:
    """Whether ``name`` is an entry file's: ``<order ID>.json``."""
    return _ENTRY_NAME.fullmatch(name) is not None


def entry_names(layout: Layout) -> list[str]:
    """The names of the entry files (``<order ID>.json``), sorted."""
    if not layout.ledger_entries.is_dir():
        return []
    return sorted(p.name for p in layout.ledger_entries.iterdir() if _ENTRY_NAME.fullmatch(p.name))
