"""Digests of files, cached by (size, mtime_ns, inode) as DVC does, so re-runs hash only news.

The cache lives in ``digests/`` under the factory's cache folder (``base.cachedir``: under the
git directory, never in the work tree, where a commit could plant records), one file per folder and
set of facts asked for together, so a command loads one file per folder it reads, holding
only the facts it asks for. Next to each digest
it keeps small *facts* derived from the parsed file (an entry's state, what an ack cites,
the validation verdict), namespaced by who asked, so a warm run needs neither to hash nor to
parse a file whose stat is unchanged. Facts are a function of a file's bytes, the
release and the schemas (the cache's identity), so ``full=True`` re-reads and re-hashes
every file, trusting no stat, and re-derives facts only where the bytes changed;
``cold=True`` ignores the cache altogether.

``files`` is the bulk path: given a folder, the names in it and every fact wanted of them,
it stats each file once (relative to an open folder, which spares the kernel the path
walk), and reads each file whose stat changed exactly once: hashing it, parsing it once and
deriving every fact from that one parse. Above ``PARALLEL_THRESHOLD`` files the reading is
spread over worker processes. Everything a run has seen is remembered with the stat it had,
so no file is stat-ed or read twice in one run whoever asks.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import hashlib
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import orjson

from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.cachedir import cache_root
from toyfoundry_ci.base.canonical import sha256_bytes
from toyfoundry_ci.base.gcpause import gc_paused
from toyfoundry_ci.base.kinds import kind_for_path, max_bytes_for
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import MAX_BYTES, parse_artifact, too_big
from toyfoundry_ci.base.reader import (
    FOLDER_FLAGS,
    LINK_OR_SPECIAL,
    MISSING,
    UnreadableError,
    is_link,
    read_bounded,
    read_file,
)

if TYPE_CHECKING:
    from concurrent.futures import ProcessPoolExecutor

CACHE_VERSION = 5
# What a reader derives from a file: called with its repository-relative path and its
# parsed value (or the loader's ParseError); must return a JSON value. Extractors run in
# worker processes, so they must be module-level functions.
Extract = Callable[[str, Any], Any]
Wants = tuple[tuple[str, Extract], ...]
# A record: [size, mtime_ns, inode, sha256, {namespace: facts}].
Record = list[Any]
# Files to read before worker processes pay for themselves, and files per worker task.
PARALLEL_THRESHOLD = 2000
_CHUNK = 1000
# Stat keys for what is not a readable regular file.
MISSING_KEY = (-1, -1, -1)
NOT_REGULAR_KEY = (-2, -2, -2)
NOT_REGULAR_FACTS = {"error": f"$: {LINK_OR_SPECIAL}"}


class _Refusal(dict[str, Any]):
    """The facts of a file that is not a regular file: the refusal, whatever is asked."""

    def __missing__(self, _namespace: str) -> dict[str, str]:
        return NOT_REGULAR_FACTS


_REFUSED = _Refusal()


def cache_dir(layout: Layout) -> Path:
    return cache_root(layout.root) / "digests"


# One file as read by a worker: (name, stat key, sha256, {namespace: facts}).
_Read = tuple[str, tuple[int, int, int], str, dict[str, Any] | None]
# What is cached of a file: (sha256, size, mtime_ns, inode).
Known = tuple[str, int, int, int] | None
# One file as ``files`` answers: (name, sha256, {namespace: facts}).
_Found = tuple[str, str, dict[str, Any]]


class DigestCache:
    """Digest and facts per file, by folder; ``save`` persists the folders that changed."""

    def __init__(
        self, layout: Layout, *, full: bool = False, cold: bool = False, jobs: int | None = None
    ) -> None:
        self.layout = layout
        self.full = full or cold
        self.cold = cold
        self.jobs = jobs if jobs is not None else (os.cpu_count() or 1)
        self.hashed = 0
        self._root = str(layout.root) + os.sep
        self._folders: dict[str, dict[str, Record]] = {}
        self._dirty: set[str] = set()
        self._loaded: dict[str, set[tuple[str, ...]]] = {}
        # The stat key each file had when this run first looked at it, by folder.
        self._seen: dict[str, dict[str, tuple[int, int, int]]] = {}
        # Per folder: the names listed, and the last answer of ``files`` with what it covers.
        self._listed: dict[str, list[str]] = {}
        self._answers: dict[str, tuple[list[str], set[str], list[_Found]]] = {}
        self._workers: ProcessPoolExecutor | None = None
        # Repository-relative files read again whatever their stat (``forget``).
        self._stale: set[str] = set()

    def forget(self, rels: Iterable[str]) -> None:
        """Read these files again, whatever their stat says: git's object IDs say they
        changed (an edit can put back a file's size and mtime)."""
        self._stale.update(rels)

    def close(self) -> None:
        """Stop the worker processes, if any were started."""
        if self._workers is not None:
            self._workers.shutdown()
            self._workers = None

    def __enter__(self) -> DigestCache:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _pool(self) -> ProcessPoolExecutor | None:
        """The worker processes, started on first need and kept for the run."""
        if self.jobs <= 1:
            return None
        if self._workers is None:
            # Imported here: multiprocessing costs ~20 ms, a third of a small hook run.
            from concurrent.futures import ProcessPoolExecutor

            self._workers = ProcessPoolExecutor(max_workers=self.jobs)
        return self._workers

    def json_names(self, folder: str) -> list[str]:
        """The sorted names of the ``*.json`` files directly in ``folder``, listed once a run."""
        names = self._listed.get(folder)
        if names is None:
            try:
                with os.scandir(self._root + folder) as it:
                    names = [e.name for e in it if e.name.endswith(".json")]
                names.sort()
            except (FileNotFoundError, NotADirectoryError):
                names = []
            self._listed[folder] = names
        return names

    def files(self, folder: str, names: Iterable[str], wants: Wants) -> list[_Found]:
        """(name, sha256, facts) of each named file in ``folder`` (repository-relative).

        Files that are missing are left out; a file that is not a regular file has the
        empty digest and the refusal as each wanted fact. Asking again in the same run
        for the same names and no new facts costs nothing.
        """
        names = list(names)
        needed = [ns for ns, _ in wants]
        answer = self._answers.get(folder)
        if answer is not None and answer[0] == names and answer[1].issuperset(needed):
            return answer[2]
        out = self._files(folder, names, wants, needed)
        covered = set(needed) | (answer[1] if answer is not None and answer[0] == names else set())
        self._answers[folder] = (names, covered, out)
        return out

    def _files(
        self, folder: str, names: list[str], wants: Wants, needed: list[str]
    ) -> list[_Found]:
        records = self._records(folder, needed)
        seen = self._seen.setdefault(folder, {})
        with gc_paused():
            unseen = [n for n in names if n not in seen]
            if self.full:  # read everything not yet read in this run, stat or not
                todo = unseen
                check = [n for n in names if n in seen] if len(unseen) < len(names) else []
            else:
                self._stat_all(folder, unseen, seen)
                todo, check = [], names
            for name in check:
                key = seen[name]
                if key[0] < 0:
                    continue
                rec = records.get(name)
                if (
                    rec is None
                    or (self._stale and f"{folder}/{name}" in self._stale)
                    or rec[0] != key[0]
                    or rec[1] != key[1]
                    or rec[2] != key[2]
                    or not all(ns in rec[4] for ns in needed)
                ):
                    todo.append(name)
            if todo:
                self._read(folder, todo, wants, records, seen)
            out: list[_Found] = []
            append = out.append
            for name in names:
                key = seen[name]
                if key[0] >= 0:
                    rec = records[name]
                    append((name, rec[3], rec[4]))
                elif key is NOT_REGULAR_KEY:
                    append((name, "", _REFUSED))
        return out

    def digest(self, rel: str) -> str | None:
        """The file's sha256 (from the cache when its stat is unchanged); None when missing.

        A file that is not a regular file has the empty digest, which matches nothing.
        """
        folder, _, name = rel.rpartition("/")
        key = self._seen.get(folder, {}).get(name)
        if key is not None:
            if key is MISSING_KEY:
                return None
            if key is NOT_REGULAR_KEY:
                return ""
            return str(self._folders[folder][name][3])
        found = self.files(folder, [name], ())
        return found[0][1] if found else None

    def save(self) -> None:
        """Write the records of every folder that changed (atomically; losing them is harmless)."""
        if not self._dirty:
            return
        folder = cache_dir(self.layout)
        # A cache that cannot be written only costs speed next time.
        with contextlib.suppress(OSError), gc_paused():
            folder.mkdir(parents=True, exist_ok=True)
            for name in sorted(self._dirty):
                records = self._folders[name]
                for group in sorted(self._loaded.get(name, ())):
                    files = _group_rows(records, group, self._seen.get(name, {}))
                    doc = {"version": _identity(), "folder": name, "facts": list(group),
                           "files": files}  # fmt: skip
                    path = _cache_file(folder, name, group)
                    write_bytes_atomic(path, orjson.dumps(doc), durable=False)
        self._dirty.clear()

    def _stat_all(
        self, folder: str, names: list[str], seen: dict[str, tuple[int, int, int]]
    ) -> None:
        if not names:
            return
        try:
            path = self._root + folder if folder else self._root
            dir_fd = os.open(path, FOLDER_FLAGS)
        except OSError as exc:  # a linked folder is refused like a linked file
            seen.update(dict.fromkeys(names, _folder_key(exc, path)))
            return
        try:
            for name in names:
                try:
                    st = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
                except (FileNotFoundError, NotADirectoryError):
                    seen[name] = MISSING_KEY
                    continue
                if stat.S_ISREG(st.st_mode):
                    seen[name] = (st.st_size, st.st_mtime_ns, st.st_ino)
                else:
                    seen[name] = NOT_REGULAR_KEY
        finally:
            os.close(dir_fd)

    def _read(
        self,
        folder: str,
        names: list[str],
        wants: Wants,
        records: dict[str, Record],
        seen: dict[str, tuple[int, int, int]],
    ) -> None:
        base = self._root + folder if folder else self._root.rstrip(os.sep)
        prefix = folder + "/" if folder else ""
        pool = self._pool() if len(names) >= PARALLEL_THRESHOLD else None
        known: list[Known] = []
        if self.full:  # re-hash everything, but re-derive facts only of changed bytes
            needed = [ns for ns, _ in wants]
            for name in names:
                rec = records.get(name)
                ok = rec is not None and all(ns in rec[4] for ns in needed)
                known.append((rec[3], rec[0], rec[1], rec[2]) if ok else None)  # type: ignore[index]
        found = read_files(base, prefix, names, wants, known=known, pool=pool)
        changed = False
        returned = set()
        for name, key, sha, facts in found:
            returned.add(name)
            if key[0] < 0:  # a sentinel, perhaps a copy made by a worker process
                seen[name] = MISSING_KEY if key == MISSING_KEY else NOT_REGULAR_KEY
                continue
            seen[name] = key
            self.hashed += 1
            rec = records.get(name)
            changed = True
            if facts is None:  # the bytes as cached, under a new stat
                records[name] = [*key, sha, rec[4]]  # type: ignore[index]
            elif rec is None or rec[0:3] != list(key) or rec[3] != sha:
                records[name] = [*key, sha, facts]
            else:
                rec[4].update(facts)
        if len(returned) < len(names):  # files found exactly as cached: same stat, same bytes
            for name in names:
                if name not in returned:
                    rec = records[name]
                    seen[name] = (rec[0], rec[1], rec[2])
                    self.hashed += 1
        if changed:
            self._dirty.add(folder)

    def _records(self, folder: str, needed: Sequence[str] = ()) -> dict[str, Record]:
        """The folder's records, with the facts ``needed`` loaded from their cache file.

        Each set of facts asked for together has its own cache file: a command loads one
        file per folder, and one that needs only small facts (the index: an entry's state)
        never loads large ones (verify: the subject lists).
        """
        records = self._folders.setdefault(folder, {})
        group = tuple(sorted(needed))
        loaded = self._loaded.setdefault(folder, set())
        if group not in loaded:
            loaded.add(group)
            if not self.cold:
                stored = _load(_cache_file(cache_dir(self.layout), folder, group), folder, group)
                _merge(records, stored)
        return records


def _nothing(_rel: str, _value: Any) -> None:
    return None


def read_files(
    folder: str,
    prefix: str,
    names: Sequence[str],
    wants: Wants,
    *,
    known: Sequence[Known] = (),
    pool: ProcessPoolExecutor | None = None,
) -> list[_Read]:
    """Open, stat, read, hash and parse each named file in ``folder`` once; derive each fact.

    ``prefix`` + name is the path extractors are given. The stat key of a missing file is
    ``MISSING_KEY``, of anything but a regular file (a link, a directory) ``NOT_REGULAR_KEY``.
    ``known`` (aligned with ``names``) holds, per file, the (sha256, size, mtime_ns, inode)
    whose facts are cached, or None: a file that still has that digest is hashed but not
    parsed; it comes back with facts None when its stat changed, and not at all when it did
    not. Given a ``pool``, many files are spread over its worker processes.
    """
    if pool is None or len(names) < PARALLEL_THRESHOLD:
        return _read_chunk(folder, prefix, names, wants, known)
    starts = range(0, len(names), _CHUNK)
    n = len(starts)
    results = pool.map(
        _read_chunk,
        [folder] * n,
        [prefix] * n,
        [names[i : i + _CHUNK] for i in starts],
        [wants] * n,
        [known[i : i + _CHUNK] for i in starts] if known else [()] * n,
    )
    return [read for chunk in results for read in chunk]


def _read_chunk(
    folder: str, prefix: str, names: Sequence[str], wants: Wants, known: Sequence[Known] = ()
) -> list[_Read]:
    out: list[_Read] = []
    parse = any(extract is not _nothing for _, extract in wants)
    with gc_paused():
        try:
            dir_fd = os.open(folder, FOLDER_FLAGS)
        except OSError as exc:
            key = _folder_key(exc, folder)
            return [(name, key, "", {}) for name in names]
        try:
            for i, name in enumerate(names):
                read = _read_one(dir_fd, name)
                if len(read) == 3:  # MISSING_KEY or NOT_REGULAR_KEY
                    out.append((name, read, "", {}))
                    continue
                st, data = read
                key = (st.st_size, st.st_mtime_ns, st.st_ino)
                sha = sha256_bytes(data)
                cached = known[i] if known else None
                if cached is not None and cached[0] == sha:  # the same bytes: the facts stand
                    if cached[1:] != key:  # only the stat changed: say so, without facts
                        out.append((name, key, sha, None))
                    continue
                rel = prefix + name
                value = _parse(rel, data) if parse else None
                out.append((name, key, sha, {ns: extract(rel, value) for ns, extract in wants}))
        finally:
            os.close(dir_fd)
    return out


def _parse(rel: str, data: bytes) -> Any:
    if len(data) > MAX_BYTES and len(data) > (limit := max_bytes_for(kind_for_path(rel))):
        return too_big(len(data), limit)
    return parse_artifact(data)


def _folder_key(exc: OSError, folder: str) -> tuple[int, int, int]:
    if exc.errno == errno.ELOOP or is_link(folder):
        return NOT_REGULAR_KEY
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return MISSING_KEY
    raise exc


def _read_one(dir_fd: int, name: str) -> tuple[os.stat_result, bytes] | tuple[int, int, int]:
    try:
        return read_bounded(name, None, dir_fd=dir_fd)
    except UnreadableError as exc:
        return MISSING_KEY if exc.reason == MISSING else NOT_REGULAR_KEY


@functools.cache
def _identity() -> str:
    """What cached facts were derived with: this format, this release and these schemas.

    Facts are verdicts (valid or not, what a file cites); a new release or a changed
    schema may judge the same bytes differently, so either makes the cache start afresh.
    """
    from toyfoundry_ci import __version__
    from toyfoundry_ci.validation.schemas import registry

    root = registry().root
    schemas = sorted(root.rglob("*.json"))
    digest = hashlib.sha256()
    for path in schemas:
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{CACHE_VERSION}/{__version__}/{digest.hexdigest()[:16]}"


def _cache_file(folder: Path, name: str, group: tuple[str, ...]) -> Path:
    facts = "+".join(quote(ns, safe="") for ns in group)
    return folder / f"{quote(name, safe='') or '_root'}@{facts}.json"


def _load(path: Path, folder: str, group: tuple[str, ...]) -> dict[str, list[Any]]:
    try:
        with gc_paused():
            doc = orjson.loads(read_file(path, None))
    except (UnreadableError, orjson.JSONDecodeError):
        return {}
    if not isinstance(doc, dict) or doc.get("version") != _identity():
        return {}
    files = doc.get("files")
    if doc.get("folder") != folder or doc.get("facts") != list(group):
        return {}
    return files if isinstance(files, dict) else {}


def _merge(records: dict[str, Record], stored: dict[str, list[Any]]) -> None:
    """Add stored rows ([size, mtime_ns, inode, sha256, facts]) to the records.

    A row for another version of a file than the one already known is dropped: whichever
    is stale, the current stat decides, and the facts are derived again.
    """
    with gc_paused():
        if not records:  # the common case: one file per folder, taken as it is
            records.update((k, v) for k, v in stored.items() if type(v) is list and len(v) == 5)
            return
        for name, row in stored.items():
            if type(row) is not list or len(row) != 5:
                continue
            rec = records.get(name)
            if rec is None:
                records[name] = row
            elif rec[0] == row[0] and rec[1] == row[1] and rec[2] == row[2] and rec[3] == row[3]:
                rec[4].update(row[4])


def _group_rows(
    records: dict[str, Record], group: tuple[str, ...], seen: dict[str, tuple[int, int, int]]
) -> dict[str, list[Any]]:
    """The rows of one cache file: each record with the facts of ``group`` it has.

    Files this run found gone are left out, so the cache does not keep what was deleted.
    """
    with gc_paused():
        out = {}
        for name, rec in records.items():
            facts = rec[4]
            if seen.get(name, rec) is MISSING_KEY or not all(ns in facts for ns in group):
                continue
            out[name] = [*rec[:4], {ns: facts[ns] for ns in group}]
        return out
