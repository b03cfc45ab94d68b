"""A pull request's readiness at the cost of the pull request: its base is trusted.

The protected base took only merges whose gate was green, so what a PR leaves as the base
had it is not checked again. The checks that look at every order run on a *view* of the
checkout: a scratch folder holding the factory's shared files (docs, plans, catalogue,
logs) and the files of the orders the PR touches, each order's files named after its ID.
The index is checked by splicing the PR's entries into the base's index, which is what a
rebuild from the PR's entries gives when the base's index was current. The other checks
(docs, machine state, folder links) cost nothing per order and run on the checkout itself.

A change the view cannot scope — to the factory's configuration, or a base without a
canonical index — checks everything, as a run outside a pull request does.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from toyfoundry_ci.actions import _git
from toyfoundry_ci.base.canonical import sha256_bytes
from toyfoundry_ci.base.clock import stamp
from toyfoundry_ci.base.git import not_an_option
from toyfoundry_ci.base.ids import is_order_id
from toyfoundry_ci.base.kinds import kind_for_path, max_bytes_for
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import entry_rows, fresh_index, spliced_index, tree_cache
from toyfoundry_ci.readiness import ReadinessResult, run_readiness
from toyfoundry_ci.readiness.checks import Check, artifacts_valid, failed, passed, repository_checks
from toyfoundry_ci.readiness.halt import change_log_entries, derive
from toyfoundry_ci.readiness.log import read_runs, run_record
from toyfoundry_ci.readiness.trace import ledger_index

# What can change the verdict on every order at once: such a PR is checked in full.
CONFIGURATION = ("pyproject.toml", ".toyfoundry/config.toml")
INDEX = "exchange/ledger/index.json"
SCOPED_NOTE = "orders this pull request touches; the base is trusted"


@dataclass(frozen=True, slots=True)
class PrReadiness:
    """The PR's readiness, the index a rebuild would write (None: no ledger), and its scope."""

    result: ReadinessResult
    fresh: bytes | None
    orders: tuple[str, ...] | None  # None: every order was checked
    view: Layout | None = None  # the scoped view, while ``scoped_readiness`` is open


def order_of(layout: Layout, path: str) -> str | None:
    """The order ID a repository path belongs to by its name, or None when it is shared."""
    folder, _, name = path.rpartition("/")
    for owned, prefix, suffixes in _per_order_folders(layout):
        if folder != owned or not name.startswith(prefix):
            continue
        for suffix in suffixes:
            if name.endswith(suffix):
                stem = name[len(prefix) : -len(suffix)]
                return stem if is_order_id(stem) else None
    return None


def _per_order_folders(layout: Layout) -> tuple[tuple[str, str, tuple[str, ...]], ...]:
    exports = (".manifest.json", ".quilt.csv", ".quilt.json", ".quilt.svg")
    return (
        (layout.rel(layout.orders), "", (".json",)),
        (layout.rel(layout.acknowledgements), "ACK-", (".json",)),
        (layout.rel(layout.reports), "RPT-", (".json",)),
        (layout.rel(layout.ledger_entries), "", (".json",)),
        (layout.rel(layout.quilt_exports), "", exports),
        (layout.rel(layout.storyboard), "", (".md",)),
    )


def scopable(changed: list[str]) -> bool:
    """Whether the PR's changes can be checked on a view (no configuration changed)."""
    return not any(path in CONFIGURATION for path in changed)


@contextmanager
def scoped_readiness(layout: Layout, base: str) -> Iterator[PrReadiness]:
    """Readiness of the PR checked out at ``layout``, its base branch at ``base``, at the
    PR's cost: what the checkout holds is compared with where it left the base branch (the
    merge base, which the base branch's gate passed), and only the difference is checked."""
    trusted = _merge_base(layout, base)
    changed = _changed_since(layout, trusted) if trusted is not None else []
    base_index = _base_index(layout, trusted) if trusted and scopable(changed) else None
    if base_index is None:
        result = run_readiness(layout, record=False)
        fresh = fresh_index(layout) if layout.ledger_entries.is_dir() else None
        yield PrReadiness(result, fresh, None)
        return
    orders = sorted({o for p in changed if (o := order_of(layout, p)) is not None})
    anchor = _anchor(base_index, orders)
    with tempfile.TemporaryDirectory(prefix="toyfoundry-pr-view-") as scratch:
        view = Layout(Path(scratch))
        _fill_view(layout, view, [*orders, *anchor], changed)
        fresh = _spliced(layout, base_index, changed)
        checks = tuple(_checks(layout, view, fresh))
        yield PrReadiness(_result(layout, checks), fresh, tuple(orders), view)


def _merge_base(layout: Layout, base: str) -> str | None:
    """Where the checkout left the base branch; None when git cannot tell (a shallow clone)."""
    not_an_option(base, "commit", "pass the PR's base commit SHA")
    ran = _git.checkout(layout.root).run("merge-base", base, "HEAD")
    return ran.out.decode().strip() if ran.ok else None


def _changed_since(layout: Layout, trusted: str) -> list[str]:
    """Paths the checkout holds otherwise than ``trusted``: committed, staged or not, untracked."""
    git = _git.checkout(layout.root)
    committed = git.text("diff", "--name-only", "--no-renames", "-z", trusted, "HEAD").split("\0")
    folders = (layout.orders.parent, layout.storyboard.parent, layout.outbox_orders.parent,
               layout.telemetry, layout.readiness_log.parent)  # fmt: skip
    loose = _git.status_paths(layout.root, tuple(layout.rel(f) for f in folders))
    return sorted({p for p in [*committed, *loose] if p})


def _base_index(layout: Layout, base: str) -> bytes | None:
    """The base's committed index, or None when it has none (nothing to splice into)."""
    bound = max_bytes_for(kind_for_path(INDEX))
    return _git.checkout(layout.root).blob(f"{base}:{INDEX}", bound)


_INDEX_ROW_ID = re.compile(rb'\n      "order_id": "([^"\n]+)"')


def _anchor(base_index: bytes, touched: list[str]) -> list[str]:
    """One order of the base the PR leaves alone, checked with the touched ones: a view whose
    touched orders lost their entries still has a ledger, as the checkout does."""
    for match in _INDEX_ROW_ID.finditer(base_index):
        oid = match.group(1).decode("utf-8", errors="replace")
        if oid not in touched and is_order_id(oid):
            return [oid]
    return []


def _fill_view(layout: Layout, view: Layout, orders: list[str], changed: list[str]) -> None:
    """Copy into ``view`` the checkout's shared files, those of ``orders``, and ``changed``."""
    owned = [f":(exclude){folder}/*" for folder, _, _ in _per_order_folders(layout)]
    git = _git.checkout(layout.root)
    shared = git.text("ls-files", "-z", "--", ".", *owned).split("\0")
    theirs = [
        f"{folder}/{prefix}{oid}{suffix}"
        for oid in orders
        for folder, prefix, suffixes in _per_order_folders(layout)
        for suffix in suffixes
    ]
    for rel in dict.fromkeys(filter(None, [*shared, *theirs, *changed])):
        if rel == INDEX:
            continue  # checked by the splice, never by a rebuild from the view's entries
        source = layout.root / rel
        if source.is_file() or source.is_symlink():
            target = view.root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target, follow_symlinks=False)


def _spliced(layout: Layout, base_index: bytes, changed: list[str]) -> bytes:
    """The index a rebuild from the PR's entries gives: the base's with the PR's entries."""
    folder = layout.rel(layout.ledger_entries) + "/"
    entries = [p for p in changed if p.startswith(folder) and order_of(layout, p) is not None]
    spliced = spliced_index(base_index, entry_rows(layout, entries), tree_cache(layout))
    return spliced if spliced is not None else fresh_index(layout)


def _checks(layout: Layout, view: Layout, fresh: bytes) -> Iterator[Check]:
    from toyfoundry_ci.readiness.trace import TRACE_CHECKS

    per_order = {artifacts_valid, *TRACE_CHECKS} - {ledger_index}
    for check in repository_checks():
        if check is ledger_index:
            yield _index_check(layout, fresh)
        elif check in per_order:
            yield _scoped(check(view))
        else:
            yield check(layout)


def _scoped(check: Check) -> Check:
    """A check run on the view, said to be so."""
    if check.status == "pass":
        return passed(check.id, f"{check.message} ({SCOPED_NOTE})")
    return check


def _index_check(layout: Layout, fresh: bytes) -> Check:
    try:
        current = layout.ledger_index.read_bytes()
    except FileNotFoundError:
        current = None
    if current == fresh:
        return passed("ledger-index", f"{INDEX} equals the base's index with this PR's entries")
    return failed(
        "ledger-index",
        f"{INDEX} differs from a rebuild of the entries"
        f" (sha256 {sha256_bytes(fresh)[:12]} expected)",
        "run `toyfoundry ledger index` and commit the result",
    )


def _result(layout: Layout, checks: tuple[Check, ...]) -> ReadinessResult:
    """The run as ``run_readiness`` reports an unrecorded one, with these checks."""
    at = stamp()
    head = _git.checkout(layout.root).text("rev-parse", "HEAD").strip()
    runs = read_runs(layout)
    entries = change_log_entries(layout)
    halt = derive(runs, entries)
    would_resume = halt.halted and not derive([*runs, run_record(at, head, checks)], entries).halted
    return ReadinessResult(
        at=at, head=head, checks=checks, halt=halt, recorded=False, would_resume=would_resume
    )
