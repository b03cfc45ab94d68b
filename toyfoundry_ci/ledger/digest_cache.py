"""Digests of files, cached by (size, mtime_ns, inode) as DVC does, so re-runs hash only news.

The cache lives in ``.toyfoundry/cache/`` (git-ignored). Next to each digest it keeps small
*facts* read from the file (an entry's state, what an ack cites), namespaced by who asked, so
a warm run needs neither to hash nor to parse a file whose stat is unchanged. ``full=True``
ignores what is cached and re-reads everything.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.canonical import sha256_bytes
from toyfoundry_ci.base.layout import Layout

CACHE_VERSION = 1
# What a reader derives from a file's bytes; must be a JSON value.
Extract = Callable[[bytes], Any]


def cache_file(layout: Layout) -> Path:
    return layout.root / ".toyfoundry" / "cache" / "ledger-digests.json"


@dataclass(frozen=True, slots=True)
class Scan:
    """One file as seen now: its digest and the facts asked for (None when it is missing)."""

    sha256: str
    facts: Any


class DigestCache:
    """Digest and facts per repository-relative path; ``save`` persists what changed."""

    def __init__(self, layout: Layout, *, full: bool = False) -> None:
        self.layout = layout
        self.full = full
        self._records: dict[str, list[Any]] = {} if full else _load(cache_file(layout))
        self._dirty = full
        self.hashed = 0

    def scan(
        self,
        path: Path | str,
        namespace: str,
        extract: Extract,
        *,
        rel: str | None = None,
        st: os.stat_result | None = None,
    ) -> Scan | None:
        """The file's digest and ``extract(bytes)``; None when the file is missing.

        ``rel`` and ``st`` may be passed by callers that already have them (a directory
        scan of a large ledger spends most of its time on exactly these).
        """
        rel = rel or self.layout.rel(Path(path))
        if st is None:
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                return None
        if not stat.S_ISREG(st.st_mode):
            # A checkout must not smuggle in a file from elsewhere through a link.
            return Scan("", {"error": "$: not a regular file (symbolic link?); refused"})
        key = [st.st_size, st.st_mtime_ns, st.st_ino]
        record = self._records.get(rel)
        if record is not None and record[:3] == key and namespace in record[4]:
            return Scan(record[3], record[4][namespace])
        with open(path, "rb") as fh:  # noqa: PTH123 - str paths from scandir, for speed
            data = fh.read()
        self.hashed += 1
        digest = sha256_bytes(data)
        facts = extract(data)
        if record is None or record[:4] != [*key, digest]:
            record = [*key, digest, {}]
            self._records[rel] = record
        record[4][namespace] = facts
        self._dirty = True
        return Scan(digest, facts)

    def digest(self, path: Path | str, rel: str | None = None) -> str | None:
        """The file's sha256 (from the cache when its stat is unchanged); None when missing."""
        rel = rel or self.layout.rel(Path(path))
        record = self._records.get(rel)
        if record is not None:
            try:
                st = os.lstat(path)
            except FileNotFoundError:
                return None
            if record[:3] == [st.st_size, st.st_mtime_ns, st.st_ino]:
                return str(record[3])
        scan = self.scan(path, "digest", _nothing, rel=rel)
        return None if scan is None else scan.sha256

    def save(self) -> None:
        if not self._dirty:
            return
        path = cache_file(self.layout)
        # A cache that cannot be written only costs speed next time.
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            ignore = path.parent / ".gitignore"
            if not ignore.exists():
                ignore.write_text("*\n", encoding="utf-8")
            write_bytes_atomic(
                path, orjson.dumps({"version": CACHE_VERSION, "files": self._records})
            )
        self._dirty = False


def _nothing(_data: bytes) -> None:
    return None


def _load(path: Path) -> dict[str, list[Any]]:
    try:
        doc = orjson.loads(path.read_bytes())
    except (OSError, orjson.JSONDecodeError):
        return {}
    if not isinstance(doc, dict) or doc.get("version") != CACHE_VERSION:
        return {}
    files = doc.get("files")
    if not isinstance(files, dict):
        return {}
    return {
        k: v
        for k, v in files.items()
        if isinstance(v, list) and len(v) == 5 and isinstance(v[4], dict)
    }


def json_files(layout: Layout, folder: Path) -> list[tuple[str, os.DirEntry[str]]]:
    """The ``*.json`` files directly in ``folder`` as (relative path, entry), sorted by name."""
    prefix = layout.rel(folder) + "/"
    try:
        with os.scandir(folder) as it:
            found = [(prefix + e.name, e) for e in it if e.name.endswith(".json")]
    except FileNotFoundError:
        return []
    found.sort(key=lambda pair: pair[0])
    return found
