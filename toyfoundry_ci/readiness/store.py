"""Where readiness keeps its units between runs: one SQLite file under the git directory.

The file lives beside the factory's other caches (``base.cachedir``), where no pull request
can write, and it vouches for nothing it cannot show: it is keyed by the tool's version, the
schemas' digest and the factory's configuration, and every row carries a seal (the sha256 of
the key and the row). A row whose seal does not match, a key that is not this run's, or a
file SQLite cannot read is refused (``CorruptStoreError``); the caller then checks everything
again and writes the file anew. Only the rows a run needs are read, so a run that changes
one file reads a handful of rows whatever the size of the ledger.
"""

from __future__ import annotations

import contextlib
import hashlib
import sqlite3
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from toyfoundry_ci.readiness.units import Unit

FORMAT = 1
BUSY_SECONDS = 30.0
_TABLES = """
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL, seal TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS units (key TEXT PRIMARY KEY, value BLOB NOT NULL, seal TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS problems (check_id TEXT NOT NULL, sort TEXT NOT NULL,
    key TEXT NOT NULL, PRIMARY KEY (check_id, sort, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS deps (path TEXT NOT NULL, key TEXT NOT NULL,
    PRIMARY KEY (path, key)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS states (path TEXT PRIMARY KEY, state TEXT NOT NULL,
    seal TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS volatile (key TEXT PRIMARY KEY) WITHOUT ROWID;
"""


class CorruptStoreError(Exception):
    """The file is not one this run may trust: its rows or its key do not match."""


class UnitStore:
    """The units of the last run, their sums, and the tree they were checked against."""

    def __init__(self, db: sqlite3.Connection, key: dict[str, Any]) -> None:
        self.db = db
        self.key = orjson.dumps(key, option=orjson.OPT_SORT_KEYS)
        self._salt = hashlib.sha256(self.key).digest()

    # -- opening ---------------------------------------------------------------------------

    @classmethod
    @contextlib.contextmanager
    def opened(cls, path: Path, key: dict[str, Any]) -> Iterator[UnitStore]:
        """The store at ``path``, inside one write transaction (runs wait for each other)."""
        path.parent.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(path, timeout=BUSY_SECONDS, isolation_level=None)
        try:
            db.executescript(_TABLES)
            db.execute("BEGIN IMMEDIATE")
            store = cls(db, key)
            yield store
            db.execute("COMMIT")
        finally:
            if db.in_transaction:
                db.execute("ROLLBACK")
            db.close()

    def _seal(self, *fields: str | bytes) -> str:
        # Names, keys and paths hold no NUL (git's -z output cannot): joined by NUL, with the
        # one free-form value last, the fields cannot be told apart from others.
        *names, value = fields
        head = "\0".join(str(n) for n in names).encode("utf-8", "surrogateescape") + b"\0"
        data = value if isinstance(value, bytes) else value.encode("utf-8", "surrogateescape")
        return hashlib.sha256(self._salt + head + data).hexdigest()[:32]

    # -- the run's own facts ---------------------------------------------------------------

    def meta(self, name: str) -> Any | None:
        """A sealed value of the run record (None when absent); a bad seal is refused."""
        row = self.db.execute("SELECT value, seal FROM meta WHERE name = ?", (name,)).fetchone()
        if row is None:
            return None
        if row[1] != self._seal("meta", name, row[0]):
            raise CorruptStoreError(f"meta row {name!r} does not match its seal")
        return orjson.loads(row[0])

    def set_meta(self, name: str, value: Any) -> None:
        data = orjson.dumps(value)
        seal = self._seal("meta", name, data)
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?, ?)", (name, data, seal))

    def matches_key(self) -> bool:
        """Whether the store was written under this run's key (version, schemas, settings)."""
        row = self.db.execute("SELECT value FROM meta WHERE name = 'key'").fetchone()
        return row is not None and row[0] == self.key and self.meta("key") is not None

    def clear(self) -> None:
        """Empty the store under this run's key (the tables made anew, in this format)."""
        for table in ("meta", "units", "problems", "deps", "states", "volatile"):
            self.db.execute(f"DROP TABLE IF EXISTS {table}")
        for statement in _TABLES.split(";"):  # not executescript: it would commit first
            if statement.strip():
                self.db.execute(statement)
        data = self.key
        self.db.execute(
            "INSERT INTO meta VALUES ('key', ?, ?)", (data, self._seal("meta", "key", data))
        )

    # -- path states: what the work tree held where it differed from the tree ------------

    def states(self) -> dict[str, str]:
        found = {}
        for path, state, seal in self.db.execute("SELECT path, state, seal FROM states"):
            if seal != self._seal("state", path, state):
                raise CorruptStoreError(f"state row {path!r} does not match its seal")
            found[path] = state
        return found

    def set_states(self, states: dict[str, str]) -> None:
        self.db.execute("DELETE FROM states")
        self.db.executemany(
            "INSERT INTO states VALUES (?, ?, ?)",
            ((p, s, self._seal("state", p, s)) for p, s in states.items()),
        )

    # -- units -----------------------------------------------------------------------------

    def units(self, keys: Iterable[str]) -> dict[str, Unit]:
        """The stored units among ``keys``."""
        found = {}
        for key in keys:
            row = self.db.execute("SELECT value, seal FROM units WHERE key = ?", (key,)).fetchone()
            if row is None:
                continue
            if row[1] != self._seal("unit", key, row[0]):
                raise CorruptStoreError(f"unit {key!r} does not match its seal")
            sort, problems, counts, deps, followed = orjson.loads(row[0])
            found[key] = Unit(
                key,
                sort,
                {c: tuple(lines) for c, lines in problems.items()},
                {c: tuple(n) for c, n in counts.items()},
                tuple(deps),
                tuple(followed),
            )
        return found

    def put(self, units: Iterable[tuple[Unit, bool, bool]]) -> None:
        """Store each ``(unit, volatile, indexed)``: a volatile unit is computed again on
        every run; an indexed one is found by the paths it read (``readers_of``)."""
        rows, problems, deps, volatile = [], [], [], []
        for unit, is_volatile, indexed in units:
            data = orjson.dumps([unit.sort, unit.problems, unit.counts, unit.deps, unit.followed])
            rows.append((unit.key, data, self._seal("unit", unit.key, data)))
            problems += [(check_id, unit.sort, unit.key) for check_id in unit.problems]
            if indexed:
                deps += [(d, unit.key) for d in unit.deps]
            if is_volatile:
                volatile.append((unit.key,))
        self.db.executemany("INSERT OR REPLACE INTO units VALUES (?, ?, ?)", rows)
        self.db.executemany("INSERT INTO problems VALUES (?, ?, ?)", problems)
        self.db.executemany("INSERT OR IGNORE INTO deps VALUES (?, ?)", deps)
        self.db.executemany("INSERT OR IGNORE INTO volatile VALUES (?)", volatile)

    def delete(self, unit: Unit) -> None:
        self.db.execute("DELETE FROM units WHERE key = ?", (unit.key,))
        self.db.execute("DELETE FROM volatile WHERE key = ?", (unit.key,))
        for check_id in unit.problems:
            self.db.execute(
                "DELETE FROM problems WHERE check_id = ? AND sort = ? AND key = ?",
                (check_id, unit.sort, unit.key),
            )
        self.db.executemany(
            "DELETE FROM deps WHERE path = ? AND key = ?", ((d, unit.key) for d in unit.deps)
        )

    def readers_of(self, paths: Iterable[str]) -> set[str]:
        """The keys of the units that read any of ``paths``."""
        found: set[str] = set()
        for path in paths:
            rows = self.db.execute("SELECT key FROM deps WHERE path = ?", (path,))
            found.update(k for (k,) in rows)
        return found

    def readers_under(self, folder: str) -> set[str]:
        """The keys of the units that read a path inside ``folder`` (ending in "/")."""
        rows = self.db.execute(
            "SELECT key FROM deps WHERE path >= ? AND path < ?", (folder, folder[:-1] + "0")
        )
        return {k for (k,) in rows}

    def volatile(self) -> set[str]:
        return {k for (k,) in self.db.execute("SELECT key FROM volatile")}

    def first_problems(self, check_id: str, limit: int) -> tuple[str, ...]:
        """The first ``limit`` problem lines of a check, in unit order.

        The problems table only orders the units; the lines come from their sealed rows.
        """
        lines: list[str] = []
        rows = self.db.execute(
            "SELECT key FROM problems WHERE check_id = ? ORDER BY sort, key", (check_id,)
        )
        for (key,) in rows:
            unit = self.units([key]).get(key)
            if unit is None or check_id not in unit.problems:
                raise CorruptStoreError(f"the problems of {check_id} name {key!r}, which has none")
            lines.extend(unit.problems[check_id])
            if len(lines) >= limit:
                break
        return tuple(lines[:limit])
