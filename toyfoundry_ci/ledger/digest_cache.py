"""Digests of files, cached by (size, mtime_ns, inode) as DVC does, so re-runs hash only news.

The cache lives in ``.toyfoundry/cache/digests/``, one file per folder (git-ignored), so a
command that reads only the ledger entries loads only their records. Next to each digest
it keeps small *facts* derived from the parsed file (an entry's state, what an ack cites,
the validation verdict), namespaced by who asked, so a warm run needs neither to hash nor to
parse a file whose stat is unchanged. ``full=True`` ignores what is cached and re-reads
everything.

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
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import orjson

from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.canonical import sha256_bytes
from toyfoundry_ci.base.gcpause import gc_paused
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import MAX_BYTES, parse_artifact, too_big

CACHE_VERSION = 2
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
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NONBLOCK", 0)  # a FIFO named *.json must not hang the run
)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_CLOEXEC", 0)
# Stat keys for what is not a readable regular file.
MISSING_KEY = (-1, -1, -1)
NOT_REGULAR_KEY = (-2, -2, -2)
NOT_REGULAR_FACTS = {"error": "$: not a regular file (symbolic link?); refused"}
_LEGACY_CACHE = "ledger-digests.json"


def cache_dir(layout: Layout) -> Path:
    return layout.root / ".toyfoundry" / "cache" / "digests"


@dataclass(frozen=True, slots=True)
class Scan:
    """One file as seen now: its digest and the facts asked for."""

    sha256: str
    facts: Any


# One file as read by a worker: (name, stat key, sha256, {namespace: facts}).
_Read = tuple[str, tuple[int, int, int], str, dict[str, Any]]


class DigestCache:
    """Digest and facts per file, by folder; ``save`` persists the folders that changed."""

    def __init__(self, layout: Layout, *, full: bool = False, jobs: int | None = None) -> None:
        self.layout = layout
        self.full = full
        self.jobs = jobs if jobs is not None else (os.cpu_count() or 1)
        self.hashed = 0
        self._root = str(layout.root) + os.sep
        self._folders: dict[str, dict[str, Record]] = {}
        self._dirty: set[str] = set()
        # The stat key each file had when this run first looked at it, by folder.
        self._seen: dict[str, dict[str, tuple[int, int, int]]] = {}

    def files(
        self, folder: str, names: Iterable[str], wants: Wants
    ) -> list[tuple[str, str, dict[str, Any]]]:
        """(name, sha256, facts) of each named file in ``folder`` (repository-relative).

        Files that are missing are left out; a file that is not a regular file has the
        empty digest and the refusal as each wanted fact.
        """
        names = list(names)
        records = self._records(folder)
        seen = self._seen.setdefault(folder, {})
        needed = [ns for ns, _ in wants]
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
                    or rec[0] != key[0]
                    or rec[1] != key[1]
                    or rec[2] != key[2]
                    or not all(ns in rec[4] for ns in needed)
                ):
                    todo.append(name)
            if todo:
                self._read(folder, todo, wants, records, seen)
            out: list[tuple[str, str, dict[str, Any]]] = []
            append = out.append
            for name in names:
                key = seen[name]
                if key[0] >= 0:
                    rec = records[name]
                    append((name, rec[3], rec[4]))
                elif key is NOT_REGULAR_KEY:
                    append((name, "", dict.fromkeys(needed, NOT_REGULAR_FACTS)))
        return out

    def scan(self, rel: str, namespace: str, extract: Extract) -> Scan | None:
        """The digest and ``namespace`` facts of the file at ``rel``; None when it is missing."""
        folder, _, name = rel.rpartition("/")
        found = self.files(folder, [name], ((namespace, extract),))
        return Scan(found[0][1], found[0][2][namespace]) if found else None

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
            ignore = folder.parent / ".gitignore"
            if not ignore.exists():
                ignore.write_text("*\n", encoding="utf-8")
            (folder.parent / _LEGACY_CACHE).unlink(missing_ok=True)
            for name in sorted(self._dirty):
                doc = {"version": CACHE_VERSION, "folder": name, "files": self._folders[name]}
                write_bytes_atomic(_cache_file(folder, name), orjson.dumps(doc), durable=False)
        self._dirty.clear()

    def _stat_all(
        self, folder: str, names: list[str], seen: dict[str, tuple[int, int, int]]
    ) -> None:
        if not names:
            return
        try:
            dir_fd = os.open(self._root + folder if folder else self._root, _DIR_FLAGS)
        except (FileNotFoundError, NotADirectoryError):
            seen.update(dict.fromkeys(names, MISSING_KEY))
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
        for name, key, sha, facts in read_files(base, prefix, names, wants, jobs=self.jobs):
            if key[0] < 0:  # a sentinel, perhaps a copy made by a worker process
                seen[name] = MISSING_KEY if key == MISSING_KEY else NOT_REGULAR_KEY
                continue
            seen[name] = key
            self.hashed += 1
            rec = records.get(name)
            if (
                rec is None
                or rec[0] != key[0]
                or rec[1] != key[1]
                or rec[2] != key[2]
                or rec[3] != sha
            ):
                records[name] = [*key, sha, facts]
            else:
                rec[4].update(facts)
        self._dirty.add(folder)

    def _records(self, folder: str) -> dict[str, Record]:
        records = self._folders.get(folder)
        if records is None:
            path = _cache_file(cache_dir(self.layout), folder)
            records = {} if self.full else _load(path, folder)
            self._folders[folder] = records
        return records


def _nothing(_rel: str, _value: Any) -> None:
    return None


def read_files(
    folder: str, prefix: str, names: Sequence[str], wants: Wants, *, jobs: int = 1
) -> list[_Read]:
    """Open, stat, read, hash and parse each named file in ``folder`` once; derive each fact.

    ``prefix`` + name is the path extractors are given. The stat key of a missing file is
    ``MISSING_KEY``, of anything but a regular file (a link, a directory) ``NOT_REGULAR_KEY``.
    Many files are spread over ``jobs`` worker processes.
    """
    if jobs <= 1 or len(names) < PARALLEL_THRESHOLD:
        return _read_chunk(folder, prefix, names, wants)
    # Imported here: multiprocessing costs ~20 ms, a third of a small hook run.
    from concurrent.futures import ProcessPoolExecutor

    chunks = [names[i : i + _CHUNK] for i in range(0, len(names), _CHUNK)]
    n = len(chunks)
    with ProcessPoolExecutor(max_workers=jobs) as pool:
        results = pool.map(_read_chunk, [folder] * n, [prefix] * n, chunks, [wants] * n)
        return [read for chunk in results for read in chunk]


def _read_chunk(folder: str, prefix: str, names: Sequence[str], wants: Wants) -> list[_Read]:
    out: list[_Read] = []
    parse = any(extract is not _nothing for _, extract in wants)
    with gc_paused():
        try:
            dir_fd = os.open(folder, _DIR_FLAGS)
        except (FileNotFoundError, NotADirectoryError):
            return [(name, MISSING_KEY, "", {}) for name in names]
        try:
            for name in names:
                read = _read_one(dir_fd, name)
                if len(read) == 3:  # MISSING_KEY or NOT_REGULAR_KEY
                    out.append((name, read, "", {}))
                    continue
                st, data = read
                value: Any = None
                if parse:
                    value = too_big(len(data)) if len(data) > MAX_BYTES else parse_artifact(data)
                rel = prefix + name
                facts = {ns: extract(rel, value) for ns, extract in wants}
                key = (st.st_size, st.st_mtime_ns, st.st_ino)
                out.append((name, key, sha256_bytes(data), facts))
        finally:
            os.close(dir_fd)
    return out


def _read_one(dir_fd: int, name: str) -> tuple[os.stat_result, bytes] | tuple[int, int, int]:
    try:
        fd = os.open(name, _OPEN_FLAGS, dir_fd=dir_fd)
    except (FileNotFoundError, NotADirectoryError):
        return MISSING_KEY
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.EISDIR, errno.ENXIO):
            return NOT_REGULAR_KEY
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return NOT_REGULAR_KEY
        data = os.read(fd, st.st_size + 1)
        # A short read of a regular file is its end; one byte more than the size means
        # it grew while being read, so read on to the real end.
        if len(data) > st.st_size:
            chunks = [data]
            while chunk := os.read(fd, 1 << 20):
                chunks.append(chunk)
            data = b"".join(chunks)
    finally:
        os.close(fd)
    return st, data


def _cache_file(folder: Path, name: str) -> Path:
    return folder / f"{quote(name, safe='') or '_root'}.json"


def _load(path: Path, folder: str) -> dict[str, Record]:
    try:
        with gc_paused():
            doc = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    if not isinstance(doc, dict) or doc.get("version") != CACHE_VERSION:
        return {}
    files = doc.get("files")
    if doc.get("folder") != folder or not isinstance(files, dict):
        return {}
    with gc_paused():
        return {
            k: v for k, v in files.items() if type(v) is list and len(v) == 5 and type(v[4]) is dict
        }


def json_files(folder: Path) -> list[str]:
    """The names of the ``*.json`` files directly in ``folder``, sorted."""
    try:
        with os.scandir(folder) as it:
            found = [e.name for e in it if e.name.endswith(".json")]
    except FileNotFoundError:
        return []
    found.sort()
    return found
