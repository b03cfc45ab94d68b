"""What changed in the work tree since the last readiness run, as git sees it.

git's index is a change feed with its own stat cache (racy-git safe: an entry written in the
same second as the index is compared by content): ``git diff-index`` against a tree names
every path whose content differs from it, ``git ls-files --others`` every file git does not
track. A path that neither names is the tree's, by its object ID; no stat of ours decides.
Files git reports as modified but not yet hashed, and untracked ones, are hashed here.

A commit hook asks less (``staged_feed``): what the index changes against HEAD's tree, one
``git diff-index --cached`` that stats no file of the work tree, each staged file checked on
disk against its staged blob.
"""

from __future__ import annotations

import mmap
import os
import re
import stat
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from toyfoundry_ci.base.git import Git, blob_id
from toyfoundry_ci.base.reader import UnreadableError, read_file

# The state of a path: its blob ID, "-" absent, "l:<target>" a link, "?" not known.
ABSENT = "-"
UNKNOWN = "?"
_NO_ID = "0" * 40


@dataclass(frozen=True, slots=True)
class Feed:
    """The tree the work tree was compared with, and the paths that differ from it."""

    tree: str
    # Path -> (state in ``tree``, state now), for every path the work tree differs in.
    states: dict[str, tuple[str, str]]
    # Folders git does not track at all (``ls-files --others --directory``), with a "/".
    untracked_dirs: tuple[str, ...]


def _text(data: bytes) -> list[str]:
    return [f for f in data.decode("utf-8", errors="surrogateescape").split("\0") if f]


def head_tree(root: Path) -> tuple[str, str, Path]:
    """HEAD's commit and tree (``none`` and the empty tree before the first commit), and
    the index file."""
    git = Git(root)
    ran = git.run("rev-parse", "--git-path", "index", "HEAD", "HEAD^{tree}")
    lines = ran.out.decode("utf-8", errors="surrogateescape").splitlines()
    if ran.ok and len(lines) == 3:
        return lines[1], lines[2], root / lines[0]
    index = git.text("rev-parse", "--git-path", "index").strip()
    empty = git.out("hash-object", "-t", "tree", "--stdin", stdin=b"").decode().strip()
    return "none", empty, root / index


def racy_entries(index: Path) -> dict[str, str]:
    """Index entries whose stat git may wrongly trust: path -> the blob ID git recorded.

    git compares an entry's recorded stat with the file's; with the mtime put back and the
    size kept, only the ctime tells, and only when it falls in a later second than the one
    recorded. An entry recorded in the second the index was written (or the one before)
    may hide such a change, so its file is hashed (``work_tree_feed``). They are found by
    the recorded ctime, read from the index itself without walking every entry.
    """
    try:
        with index.open("rb") as file:
            written = int(os.fstat(file.fileno()).st_mtime)
            # Mapped, not read: the scan below touches the pages once, no copy is made.
            with mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as data:
                return _racy(data, written)
    except (OSError, ValueError):  # ValueError: an empty file cannot be mapped
        return {}


def _racy(data: mmap.mmap, written: int) -> dict[str, str]:
    if len(data) < 12 or data[:4] != b"DIRC" or data[4:8] not in (b"\0\0\0\2", b"\0\0\0\3"):
        return {}  # version 4 names paths by their difference to the last: not read here
    found: dict[str, str] = {}
    # Either second, at every offset (overlaps too): one scan, where two ``find`` take 3x.
    marks = re.compile(b"|".join(re.escape(s.to_bytes(4, "big")) for s in (written - 1, written)))
    hit = marks.search(data, 12)
    while hit is not None:
        entry = _entry_at(data, hit.start())
        if entry is not None:
            found[entry[0]] = entry[1]
        hit = marks.search(data, hit.start() + 1)
    return found


def _entry_at(data: mmap.mmap, at: int) -> tuple[str, str] | None:
    """The (path, blob ID) of an index entry starting at ``at``, if one does."""
    flags_at = at + 60
    if flags_at + 2 > len(data):
        return None
    flags = int.from_bytes(data[flags_at : flags_at + 2], "big")
    start = flags_at + 2 + (2 if flags & 0x4000 else 0)
    end = data.find(b"\0", start)
    length = flags & 0xFFF
    if end < 0 or (length != 0xFFF and end - start != length) or end == start:
        return None
    return data[start:end].decode("utf-8", errors="surrogateescape"), data[at + 40 : at + 60].hex()


# Larger files are not hashed for the feed: the units they decide are recomputed every run.
HASH_BOUND = 64 << 20


def own_state(root: Path, rel: str) -> str:
    """A path's state read from the work tree: the blob ID of a regular file's bytes."""
    path = root / rel
    try:
        info = os.lstat(path)
    except (FileNotFoundError, NotADirectoryError):
        return ABSENT
    except OSError:
        return UNKNOWN
    if stat.S_ISLNK(info.st_mode):
        return "l:" + str(path.readlink())
    if not stat.S_ISREG(info.st_mode) or info.st_size > HASH_BOUND:
        return UNKNOWN  # decided afresh each run: never hashed, never trusted
    try:
        return blob_id(read_file(path, HASH_BOUND))
    except UnreadableError:
        return UNKNOWN


def _raw_state(root: Path, rel: str, mode: str, oid: str) -> str:
    if oid == _NO_ID and mode != "000000":  # modified in the work tree, not hashed by git yet
        return own_state(root, rel)
    return _tree_state(mode, oid)


def tree_diff(root: Path, old: str, new: str) -> dict[str, tuple[str, str]]:
    """Path -> (state in ``old``, state in ``new``) for every path the two trees differ in."""
    out = Git(root).out("diff-tree", "-r", "-z", "--raw", "--no-renames", old, new, "--")
    return _parse_raw(root, out, worktree=False)


def _parse_raw(root: Path, out: bytes, *, worktree: bool) -> dict[str, tuple[str, str]]:
    fields = _text(out)
    found: dict[str, tuple[str, str]] = {}
    for head, rel in zip(fields[0::2], fields[1::2], strict=True):
        src_mode, dst_mode, src, dst, status = head.lstrip(":").split()[:5]
        before = _tree_state(src_mode, src)
        if status == "U":
            found[rel] = (UNKNOWN, UNKNOWN)
        elif worktree:
            found[rel] = (before, _raw_state(root, rel, dst_mode, dst))
        else:
            found[rel] = (before, _tree_state(dst_mode, dst))
    return found


def _tree_state(mode: str, oid: str) -> str:
    if mode == "000000":
        return ABSENT
    if mode == "160000":
        return UNKNOWN
    return ("L:" + oid) if mode == "120000" else oid


@dataclass(frozen=True, slots=True)
class IndexChanges:
    """What the index changes against HEAD's tree: one ``git diff-index --cached``."""

    head: str
    tree: str
    # Path -> (state in ``tree``, state in the index), for every path they differ in.
    states: dict[str, tuple[str, str]]
    # Path -> the status letter (A, D, M, T, U) and the staged (mode, object ID).
    staged: dict[str, tuple[str, str, str]]
    index: Path | None = None  # the index file they were read from


def index_changes(root: Path) -> IndexChanges:
    """The staged changes: what the next commit records against HEAD (the empty tree
    before the first commit). The index is read once; no file of the work tree is."""
    head, tree, index = head_tree(root)
    out = Git(root).out("diff-index", "--cached", "-z", "--raw", "--no-renames", tree, "--")
    fields = _text(out)
    staged: dict[str, tuple[str, str, str]] = {}
    for head_fields, rel in zip(fields[0::2], fields[1::2], strict=True):
        _src_mode, dst_mode, _src, dst, status = head_fields.lstrip(":").split()[:5]
        staged[rel] = (status[:1], dst_mode, dst)
    return IndexChanges(head, tree, _parse_raw(root, out, worktree=False), staged, index)


def staged_feed(root: Path, changes: IndexChanges) -> Feed | None:
    """The work tree as the commit hook leaves it: HEAD's tree and the staged changes.

    It takes every tracked file the index does not change to be as HEAD holds it (pre-commit
    stashes unstaged edits before its hooks run) and looks for no file git does not track.
    Each staged path is read from disk: when one is not as staged (an unstaged edit, a
    link, a conflict), there is no such feed (None) and the caller walks the work tree.
    So is an entry whose stat git may wrongly trust (``racy_entries``) when its file is not
    what git recorded: ``git add`` kept the old bytes, and the work tree is not the index.
    """
    for rel, (_before, now) in changes.states.items():
        if now == UNKNOWN or own_state(root, rel) != now:
            return None
    racy = racy_entries(changes.index) if changes.index is not None else {}
    for rel, recorded in racy.items():
        if rel not in changes.states and own_state(root, rel) != recorded:
            return None
    return Feed(changes.tree, dict(changes.states), ())


def checkout_feed(root: Path, tree: str, index: Path, known: tuple[str, ...]) -> Feed | None:
    """A checkout of HEAD, as a CI job makes one: the work tree taken to be ``tree``.

    git is asked whether any tracked file differs from HEAD's tree (one ``git diff-index
    --quiet HEAD``, through its own stat cache, which re-reads the entries it cannot trust),
    and each entry whose stat git may wrongly trust (``racy_entries``) is hashed here. A
    file git does not track is not looked for: no commit records it, and a job checks the
    commit. ``known``: the folders git tracks nothing in, as the last walk found them. None
    when the work tree is not the commit (the caller walks it).
    """
    if not Git(root).ok("diff-index", "--quiet", "HEAD", "--"):
        return None
    for rel, recorded in racy_entries(index).items():
        if own_state(root, rel) != recorded:
            return None
    return Feed(tree, {}, known)


def work_tree_feed(root: Path, tree: str, index: Path, folders: Iterable[str]) -> Feed:
    """Every path whose content in the work tree differs from ``tree`` (HEAD's).

    One ``git status``: tracked paths with their object IDs in HEAD and in the index (a
    path modified in the work tree is hashed here), untracked and ignored ones by name, a
    folder git tracks nothing in as one entry. Such a folder holding one of ``folders``
    is listed file by file (``git ls-files --others``).
    """
    git = Git(root)
    out = git.out(
        "status", "--porcelain=v2", "-z", "--no-renames", "--untracked-files=normal",
        "--ignored=traditional", "--ignore-submodules=none",
    )  # fmt: skip
    states: dict[str, tuple[str, str]] = {}
    dirs: list[str] = []
    for record in _text(out):
        kind = record[:1]
        if kind in "?!":
            rel = record[2:]
            if rel.endswith("/"):
                dirs.append(rel)
            else:  # read only by the units that name it; a HEAD file git untracked stays
                states[rel] = (states.get(rel, (ABSENT, ""))[0], UNKNOWN)
        elif kind == "1":
            fields = record.split(" ", 8)
            xy, m_head, m_index, m_work, h_head, h_index = (fields[1], *fields[3:8])
            before = _tree_state(m_head, h_head)
            now = own_state(root, fields[8]) if xy[1] != "." else _tree_state(m_index, h_index)
            states[fields[8]] = (before, ABSENT if m_work == "000000" else now)
        elif kind == "u":
            states[record.split(" ", 10)[10]] = (UNKNOWN, UNKNOWN)
    inside = [f for f in folders if any(f == d[:-1] or f.startswith(d) for d in dirs)]
    if inside:
        spec = [f":(literal){folder}" for folder in inside]
        for rel in _text(git.out("ls-files", "-z", "--others", "--", *spec)):
            states[rel] = (states.get(rel, (ABSENT, ""))[0], own_state(root, rel))
    for rel, (before, now) in list(states.items()):
        if now == UNKNOWN and any(rel.startswith(f + "/") for f in folders):
            states[rel] = (before, own_state(root, rel))
    for rel, recorded in racy_entries(index).items():
        # An entry git vouched for by its stat (unchanged, or as staged) is read here.
        before, vouched = states.get(rel, (UNKNOWN, recorded))
        if vouched == recorded and (now := own_state(root, rel)) != recorded:
            states[rel] = (before, now)
    return Feed(tree, states, tuple(dirs))
