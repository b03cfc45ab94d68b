"""The unit checks, recomputed only where the work tree changed since the last run.

The last run's units, their sums and the tree they were checked against live in a
``UnitStore`` under the git directory. A run asks git what differs from that tree
(``readiness.changes``), recomputes the units those paths own or were read by, and keeps the
rest; the outcome is built from the sums as a full run builds it, so both say the same. The
ledger index is checked whole (``ledger.index``), again only when a ledger file changed.
Outside a git repository, with ``--full``, or when the store is not this run's (another
version, other schemas or settings, a row that does not match its seal), everything is
checked and the store written anew.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from toyfoundry_ci import __version__
from toyfoundry_ci.base.cachedir import cache_root
from toyfoundry_ci.base.gcpause import gc_paused
from toyfoundry_ci.base.git import GitError
from toyfoundry_ci.base.kinds import REPO_LOCATIONS
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import MAX_BYTES
from toyfoundry_ci.base.reader import UnreadableError, read_present
from toyfoundry_ci.base.settings import SETTINGS_FILES
from toyfoundry_ci.readiness import _git
from toyfoundry_ci.readiness.artifacts import ARTIFACT_UNITS, build_artifacts_valid
from toyfoundry_ci.readiness.artifacts import CHECK_ID as ARTIFACTS
from toyfoundry_ci.readiness.changes import (
    ABSENT,
    UNKNOWN,
    Feed,
    IndexChanges,
    checkout_feed,
    head_tree,
    staged_feed,
    tree_diff,
    work_tree_feed,
)
from toyfoundry_ci.readiness.checks import MAX_DETAILS, Check
from toyfoundry_ci.readiness.indexbasis import forget, index_verdict
from toyfoundry_ci.readiness.store import CorruptStoreError, UnitStore
from toyfoundry_ci.readiness.trace import (
    ENTRIES,
    ENTRY_UNITS,
    PARADED_UNITS,
    TRACE_BUILDERS,
    build_ledger_index,
    decides_index,
    ledger_index,
)
from toyfoundry_ci.readiness.units import (
    Build,
    Family,
    Problems,
    Unit,
    add_counts,
    first_problems,
    is_trusted_path,
    sum_counts,
)
from toyfoundry_ci.validation.schemas import schema_root

log = logging.getLogger(__name__)

FAMILIES: dict[str, Family] = {"a": ARTIFACT_UNITS, "e": ENTRY_UNITS, "p": PARADED_UNITS}
BUILDERS: tuple[tuple[str, Build], ...] = ((ARTIFACTS, build_artifacts_valid), *TRACE_BUILDERS)
STORE_FILE = "readiness.sqlite"
# The modules whose code decides a unit: a change to them is a change of the tool.
_UNIT_MODULES = (
    "readiness/artifacts.py",
    "readiness/trace.py",
    "readiness/units.py",
    "readiness/indexbasis.py",
    "ledger/index.py",
    "ledger/lag.py",
)


def unit_checks(
    layout: Layout,
    *,
    full: bool = False,
    staged: IndexChanges | None = None,
    as_staged: dict[str, tuple[tuple[str, ...], bool]] | None = None,
    checkout: bool = False,
) -> list[Check]:
    """The outcome of every unit check (artifacts, ledger traceability, index).

    ``staged``: the run of a commit hook, given what the index changes (``staged_feed``).
    ``checkout``: a CI job's run over a checkout of the commit it judges (``checkout_feed``).
    ``as_staged`` is filled with the artifacts-valid problems of each staged artifact, and
    whether they are of its staged bytes (``staged_verdicts``).
    """
    if staged is None and not _git.in_work_tree(layout.root):
        return checked_in_full(layout)
    path = store_path(layout)
    try:
        return _run(layout, path, full=full, staged=staged, as_staged=as_staged, checkout=checkout)
    except (CorruptStoreError, sqlite3.DatabaseError, GitError) as exc:
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            # Another run held the store longer than the wait: check in full, beside it.
            log.debug("readiness store busy (%s): checking everything", exc)
            return checked_in_full(layout)
        # A bad row, an unreadable file, a tree git no longer has: start the store again.
        log.debug("readiness store refused (%s): checking everything", exc)
        with contextlib.suppress(OSError):
            path.unlink(missing_ok=True)
    except OSError as exc:  # no store can be written here: every run is full
        log.debug("readiness store unavailable (%s): checking everything", exc)
        return checked_in_full(layout)
    try:
        return _run(layout, path, full=True)
    except (sqlite3.DatabaseError, OSError, GitError) as exc:
        log.debug("readiness store unavailable (%s): checking everything", exc)
        return checked_in_full(layout)


def store_path(layout: Layout) -> Path:
    """The readiness store of the factory at ``layout`` (under the git directory)."""
    return cache_root(layout.root) / STORE_FILE


def store_key(layout: Layout) -> dict[str, Any]:
    """What the stored units were computed under: another key, another computation."""
    schemas = hashlib.sha256()
    root = schema_root()
    for path in sorted(root.rglob("*.json")):
        schemas.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    settings = hashlib.sha256()
    for rel, _keys in SETTINGS_FILES:
        try:
            data = read_present(layout.root / rel, MAX_BYTES)
        except UnreadableError:
            data = None  # the settings reader refuses it, with its message
        settings.update(rel.encode() + b"\0" + (b"-" if data is None else data))
    code = hashlib.sha256()
    package = Path(__file__).resolve().parent.parent
    for rel in _UNIT_MODULES:
        code.update((package / rel).read_bytes())
    return {
        "format": 2,
        "tool": __version__,
        "code": code.hexdigest(),
        "schemas": schemas.hexdigest(),
        "settings": settings.hexdigest(),
        "root": str(layout.root),
    }


def _owner_folders() -> list[str]:
    return sorted({loc.folder for loc in REPO_LOCATIONS})


def _run(
    layout: Layout,
    path: Path,
    *,
    full: bool,
    staged: IndexChanges | None = None,
    as_staged: dict[str, tuple[tuple[str, ...], bool]] | None = None,
    checkout: bool = False,
) -> list[Check]:
    with UnitStore.opened(path, store_key(layout)) as store:
        last_tree = store.meta("tree") if store.matches_key() else None
        # A commit hook's run asks git only what the index changes; a store it would fill
        # from nothing, or a staged file not on disk as staged, has the work tree walked.
        feed = None
        if staged is not None and not full and last_tree is not None:
            feed = staged_feed(layout.root, staged)
        # The folders git tracks nothing in, as the last walk found them.
        known = tuple(str(d) for d in store.meta("untracked_dirs") or ())
        if feed is not None and staged is not None:
            head = staged.head
            feed = Feed(feed.tree, feed.states, known)
        else:
            head, tree, index_file = head_tree(layout.root)
            if checkout and not full and last_tree is not None and head != "none":
                feed = checkout_feed(layout.root, tree, index_file, known)
        walked = feed is None
        if feed is None:
            feed = work_tree_feed(layout.root, tree, index_file, _owner_folders())
        recomputed: list[Unit] = []
        in_tree: set[str] = set()  # paths known to be in ``feed.tree``, by the tree diff
        if full or last_tree is None:
            totals = _rebuild(layout, store)
            index = _index(layout, store, None, head, totals)
        else:
            changed, in_tree = _changed(layout, store, feed, str(last_tree))
            totals, recomputed = _update(layout, store, changed, feed)
            # The index check is the ledger's own, and may look at history: kept while HEAD
            # and every ledger file stay as they were, else reached from the last verdict.
            stored = store.meta("index")
            if (
                stored is None
                or store.meta("head") != head
                or any(decides_index(layout, p) for p in changed)
            ):
                index = _index(layout, store, changed, head, totals)
            else:
                index = Check(stored[0], stored[1], stored[2], stored[3], tuple(stored[4]))
        states = {p: now for p, (_before, now) in feed.states.items()}
        if not walked:
            untracked = _untracked_reads(layout, feed, recomputed, in_tree)
            states |= dict.fromkeys(untracked, UNKNOWN)
        store.set_meta("tree", feed.tree)
        store.set_meta("head", head)
        store.set_meta("totals", totals)
        store.set_meta("index", [index.id, index.status, index.message, index.fix, index.details])
        store.set_meta("untracked_dirs", list(feed.untracked_dirs))
        store.set_states(states)
        checks = [_build(check_id, build, totals, store) for check_id, build in BUILDERS]
        if staged is not None and as_staged is not None:
            as_staged.update(staged_verdicts(store, staged, states, hashed=not walked))
    return [*checks, index]


def staged_verdicts(
    store: UnitStore, staged: IndexChanges, states: dict[str, str], *, hashed: bool
) -> dict[str, tuple[tuple[str, ...], bool]]:
    """Staged path -> (its artifacts-valid problems, whether they are the staged bytes'),
    for each staged regular file with a unit.

    They are the staged bytes' when this run hashed the file and found the staged object ID
    (``hashed``: the staged feed; a walk takes git's stat for the content, and a file put
    back under a staged blob's size and mtime would pass for it): staged-artifacts need not
    read them again. Otherwise they say what artifacts-valid already names for the file.
    """
    paths = [
        rel
        for rel, (_before, now) in staged.states.items()
        if now not in (UNKNOWN, ABSENT) and ":" not in now
    ]
    units = store.units(f"a:{rel}" for rel in paths)
    return {
        rel: (
            units[f"a:{rel}"].problems.get(ARTIFACTS, ()),
            hashed and states.get(rel) == staged.states[rel][1],
        )
        for rel in paths
        if f"a:{rel}" in units
    }


def _untracked_reads(
    layout: Layout, feed: Feed, units: Iterable[Unit], in_tree: set[str]
) -> list[str]:
    """The files git does not track that ``units`` read, found without walking the tree.

    A staged run's feed names only what the index changes; a file a recomputed unit read
    that is on disk but neither staged nor in HEAD's tree is untracked. It is stored as not
    known, so the next run computes its readers again (what it held was never hashed).
    ``in_tree``: paths the tree diff already found in HEAD's tree, not asked again.
    """
    root = str(layout.root)
    real_dirs: dict[str, bool] = {}
    present = sorted(
        {
            dep
            for unit in units
            for dep in unit.deps
            if dep not in feed.states
            and dep not in in_tree
            and is_trusted_path(root, dep, real_dirs)
            and os.path.lexists(f"{root}/{dep}")
        }
    )
    if not present:
        return []
    tracked = set(_git.in_tree(layout.root, feed.tree, present))
    return [dep for dep in present if dep not in tracked]


def _has_entries(totals: dict[str, list[int]]) -> bool:
    return bool(totals.get(ENTRIES) and totals[ENTRIES][0])


def _index(
    layout: Layout,
    store: UnitStore,
    changed: set[str] | None,
    head: str,
    totals: dict[str, list[int]],
) -> Check:
    """The ledger-index check: from the last verdict and ``changed`` (None: in full)."""
    if not _has_entries(totals):
        forget(store)
        return ledger_index(layout, has_entries=False)
    return build_ledger_index(layout, index_verdict(layout, store, changed, head))


def _changed(
    layout: Layout, store: UnitStore, feed: Feed, last_tree: str
) -> tuple[set[str], set[str]]:
    """The paths whose state may differ from what the stored units were computed from; and
    those of them the tree diff found in ``feed.tree``."""
    last = store.states()
    rolled = tree_diff(layout.root, last_tree, feed.tree) if last_tree != feed.tree else {}
    in_tree = {rel for rel, (_before, now) in rolled.items() if now not in (ABSENT, UNKNOWN)}
    changed = set()
    for rel in set(last) | set(rolled) | set(feed.states):
        if rel in last:
            before = last[rel]
        elif rel in rolled:
            before = rolled[rel][0]
        else:
            before = feed.states[rel][0]
        if rel in feed.states:
            now = feed.states[rel][1]
        else:
            now = rolled[rel][1] if rel in rolled else UNKNOWN
        if UNKNOWN in (before, now) or before != now:
            changed.add(rel)
    return changed, in_tree


def _dirty_keys(layout: Layout, store: UnitStore, changed: set[str], feed: Feed) -> set[str]:
    keys = set(store.readers_of(changed)) | store.volatile()
    for folder in feed.untracked_dirs:
        keys |= store.readers_under(folder)
    for rel in changed:
        for family in FAMILIES.values():
            keys.update(family.keys_for(layout, rel))
    return keys


# A family with this many units to compute has them spread over worker processes, in
# chunks of ``_CHUNK``; the artifacts' family spreads its own (``check_files``).
_PARALLEL_MIN = 2000
_CHUNK = 500


def _compute(layout: Layout, keys: Iterable[str]) -> dict[str, Unit | None]:
    by_family: dict[str, list[str]] = {}
    for key in sorted(keys):
        by_family.setdefault(key[0], []).append(key)
    workers = os.cpu_count() or 1
    spread = [
        prefix
        for prefix, family_keys in by_family.items()
        if prefix != "a" and workers > 1 and len(family_keys) >= _PARALLEL_MIN
    ]
    found: dict[str, Unit | None] = {}  # here first: the artifacts start their own workers
    for prefix, family_keys in by_family.items():
        if prefix not in spread:
            found.update(FAMILIES[prefix].compute(layout, family_keys))
    if not spread:
        return found
    # Imported here: multiprocessing costs ~20 ms, a third of a small hook run.
    from concurrent.futures import ProcessPoolExecutor

    pool = ProcessPoolExecutor(max_workers=workers)
    try:
        root = str(layout.root)
        futures = [
            pool.submit(_compute_chunk, root, prefix, by_family[prefix][i : i + _CHUNK])
            for prefix in spread
            for i in range(0, len(by_family[prefix]), _CHUNK)
        ]
        for future in futures:
            found.update(future.result())
    except BaseException:  # Ctrl-C, a worker's error: the queued chunks are not waited for
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return found


def _compute_chunk(root: str, prefix: str, keys: list[str]) -> dict[str, Unit | None]:
    """One worker's share of a family's units (run in a worker process)."""
    return FAMILIES[prefix].compute(Layout(Path(root)), keys)


def _compute_all(layout: Layout) -> dict[str, Unit | None]:
    return _compute(layout, [k for f in FAMILIES.values() for k in f.list_keys(layout)])


def _stored(layout: Layout, unit: Unit, real_dirs: dict[str, bool]) -> tuple[Unit, bool, bool]:
    """A unit as the store keeps it: whether it is volatile, whether found by its reads."""
    return unit, _volatile(layout, unit, real_dirs), not FAMILIES[unit.key[0]].owns_deps


def _volatile(layout: Layout, unit: Unit, real_dirs: dict[str, bool]) -> bool:
    root = str(layout.root)
    if any(os.path.islink(f"{root}/{dep}") for dep in unit.followed):  # noqa: PTH114
        return True
    return not all(is_trusted_path(root, dep, real_dirs) for dep in unit.deps)


def _rebuild(layout: Layout, store: UnitStore) -> dict[str, list[int]]:
    store.clear()
    with gc_paused():  # a unit per file, none of them garbage
        units = [u for u in _compute_all(layout).values() if u is not None]
        real_dirs: dict[str, bool] = {}
        store.put(_stored(layout, unit, real_dirs) for unit in units)
        return totals_of(units)


def totals_of(units: Iterable[Unit]) -> dict[str, list[int]]:
    """Each check's summed counters, and its number of problem lines ("lines:<id>")."""
    totals: dict[str, list[int]] = {}
    for unit in units:
        for check_id, counts in unit.counts.items():
            total = totals.setdefault(check_id, [])
            if len(counts) > len(total):
                total += [0] * (len(counts) - len(total))
            for i, n in enumerate(counts):
                total[i] += n
        for check_id, lines in unit.problems.items():
            totals.setdefault("lines:" + check_id, [0])[0] += len(lines)
    return totals


def _update(
    layout: Layout, store: UnitStore, changed: set[str], feed: Feed
) -> tuple[dict[str, list[int]], list[Unit]]:
    """The totals after recomputing the units ``changed`` decides, and those units."""
    keys = _dirty_keys(layout, store, changed, feed)
    old = store.units(keys)
    new = _compute(layout, keys)
    totals: dict[str, list[int]] = dict(store.meta("totals") or {})
    real_dirs: dict[str, bool] = {}
    for key in keys:
        before, after = old.get(key), new.get(key)
        for unit, sign in ((before, -1), (after, 1)):
            if unit is None:
                continue
            for check_id, _build in BUILDERS:
                counts = unit.counts.get(check_id, ())
                totals[check_id] = list(add_counts(tuple(totals.get(check_id, ())), counts, sign))
                lines = totals.get("lines:" + check_id, [0])[0]
                totals["lines:" + check_id] = [lines + sign * len(unit.problems.get(check_id, ()))]
        if before is not None:
            store.delete(before)
        if after is not None:
            store.put([_stored(layout, after, real_dirs)])
    return totals, [unit for unit in new.values() if unit is not None]


def _build(check_id: str, build: Build, totals: dict[str, list[int]], store: UnitStore) -> Check:
    total = totals.get("lines:" + check_id, [0])[0]
    first = store.first_problems(check_id, MAX_DETAILS) if total else ()
    return build(tuple(totals.get(check_id, ())), Problems(first, total))


def checked_in_full(layout: Layout) -> list[Check]:
    """The unit checks with every unit computed now, in memory: no store read or written."""
    units = [u for u in _compute_all(layout).values() if u is not None]
    checks = [
        build(sum_counts(units, check_id), first_problems(units, check_id))
        for check_id, build in BUILDERS
    ]
    entries = sum_counts(units, ENTRIES)
    return [*checks, ledger_index(layout, bool(entries and entries[0]))]
