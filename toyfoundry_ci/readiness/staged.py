"""Checks over the staged changes (``--staged``): what a commit is about to record."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from toyfoundry_ci.base.canonical import sha256_bytes, sha256_file
from toyfoundry_ci.base.git import Blobs, Git, GitError
from toyfoundry_ci.base.kinds import ARTIFACT_FILES_REGEX, kind_for_path, max_bytes_for
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import MAX_BYTES, parse_artifact, too_big
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.base.records import raw_runs
from toyfoundry_ci.readiness.changes import IndexChanges, index_changes
from toyfoundry_ci.readiness.checks import Check, failed, not_applicable, passed
from toyfoundry_ci.validation.checker import check_value

_ARTIFACT = re.compile(ARTIFACT_FILES_REGEX)
ORDERS = "exchange/orders/"
NOT_A_REPO_FIX = "run inside the factory's git repository"


Changes = IndexChanges | GitError


def staged_changes(layout: Layout) -> Changes:
    """The staged changes, asked of git once for every staged check (and the unit checks)."""
    try:
        return index_changes(layout.root)
    except GitError as exc:
        return exc


def _staged(layout: Layout, check_id: str, changes: Changes | None) -> IndexChanges | Check:
    found = staged_changes(layout) if changes is None else changes
    if isinstance(found, GitError):
        return failed(check_id, f"cannot read the staged changes: {found}", NOT_A_REPO_FIX)
    return found


def _staged_blobs(
    root: Path, found: IndexChanges, paths: list[str], bound: int = MAX_BYTES
) -> Blobs:
    """The staged content of each path, by its object ID (the index is not read again)."""
    oids = {path: found.staged[path][2] for path in paths}
    blobs = Git(root).blobs(oids.values(), bound)
    return Blobs(
        {path: blobs.data[oid] for path, oid in oids.items() if oid in blobs.data},
        {path: blobs.too_big[oid] for path, oid in oids.items() if oid in blobs.too_big},
    )


Verdicts = dict[str, tuple[tuple[str, ...], bool]]


def staged_artifacts_valid(
    layout: Layout, changes: Changes | None = None, units: Verdicts | None = None
) -> Check:
    """Every staged artifact, as staged (not as in the working tree), validates.

    ``units``: staged path -> (its artifacts-valid problems, whether they are of the staged
    bytes), as ``incremental.staged_verdicts`` gives them. Bytes they are of are not read
    again; errors artifacts-valid already names for the file are pointed at, not repeated.
    """
    found = _staged(layout, "staged-artifacts", changes)
    if isinstance(found, Check):
        return found
    paths = [
        p
        for p, (status, _mode, _oid) in found.staged.items()
        if status != "D" and _ARTIFACT.match(p) and kind_for_path(PurePosixPath(p))
    ]
    if not paths:
        return not_applicable("staged-artifacts", "no staged artifacts")

    known = units or {}
    unread = [path for path in paths if not known.get(path, ((), False))[1]]
    # Each file within its kind's bound (the ledger index has its own), as `validate` reads it.
    bounds = {path: max_bytes_for(kind_for_path(PurePosixPath(path))) for path in unread}
    blobs = _staged_blobs(layout.root, found, unread, max(bounds.values(), default=MAX_BYTES))
    errors: dict[str, tuple[str, ...]] = {path: known[path][0] for path in paths if path in known}
    for path in unread:
        data = blobs.data.get(path, b"")
        big = blobs.too_big.get(path, len(data) if len(data) > bounds[path] else None)
        value = too_big(big, bounds[path]) if big is not None else parse_artifact(data)
        result = check_value(path, value)
        errors[path] = tuple(f"{path}::{p.where}: {p.message}" for p in result.problems)
    problems = []
    for path in paths:
        if errors[path] and path in known and errors[path] == known[path][0]:
            problems.append(f"{path}: as staged, invalid (its errors are under artifacts-valid)")
        else:
            problems += errors[path]
    if problems:
        return failed(
            "staged-artifacts",
            f"{plural(sum(len(errors[p]) for p in paths), 'error')} in the staged artifacts",
            "fix the files named, then stage them again: `git add -- FILE`",
            problems,
        )
    return passed("staged-artifacts", f"{plural(len(paths), 'staged artifact')} valid")


def mirror_digests(layout: Layout, names: Iterable[str]) -> dict[str, str]:
    """Order file name -> sha256 as the hub mirror knows it, for the order files ``names``.

    The embedded hub folder, when present, is asked directly and wins; the pulls recorded in
    the exchange log (``logs/exchange_all.json`` and its ``.d/`` records) say what the hub
    sent, and are read only when the folder does not hold every name asked (a commit hashes
    the orders it stages, not every order the hub holds or the log names).
    """
    wanted = [name for name in names if "/" not in name]
    digests: dict[str, str] = {}
    hub_orders = layout.default_hub / "orders"
    if hub_orders.is_dir():
        for name in wanted:
            path = hub_orders / name
            if path.is_file() and not path.is_symlink():
                digests[path.name] = sha256_file(path)
    if all(name in digests for name in wanted):
        return digests
    pulled: dict[str, str] = {}
    for _path, _i, run in raw_runs(layout.exchange_log):
        if run.get("direction") != "pull":
            continue
        for order in run.get("orders") or []:
            if isinstance(order, dict) and isinstance(order.get("digest"), dict):
                pulled[f"{order.get('order_id')}.json"] = str(order["digest"].get("sha256"))
    return pulled | digests


def staged_orders_mirrored(layout: Layout, changes: Changes | None = None) -> Check:
    """``exchange/orders/`` is a read-only mirror: staged orders must match the hub's digest."""
    found = _staged(layout, "staged-orders", changes)
    if isinstance(found, Check):
        return found
    # Only orders: a README.md beside them (as `toyfoundry init` writes) is not mirrored.
    orders = [
        (s, p)
        for p, (s, _mode, _oid) in found.staged.items()
        if p.startswith(ORDERS) and kind_for_path(PurePosixPath(p)) == "order"
    ]
    if not orders:
        return not_applicable("staged-orders", "no staged change to exchange/orders/")
    known = mirror_digests(layout, [p[len(ORDERS) :] for _s, p in orders])
    blobs = _staged_blobs(layout.root, found, [p for s, p in orders if s != "D"])
    problems = []
    for status, path in orders:
        name = path[len(ORDERS) :]
        if status == "D":
            problems.append(f"{path}: deleted, but the mirror keeps every order")
        elif name not in known:
            problems.append(f"{path}: not on the hub mirror (never pulled)")
        elif sha256_bytes(blobs.data.get(path, b"")) != known[name]:
            problems.append(f"{path}: differs from the hub's digest {known[name][:12]}")
    if problems:
        return failed(
            "staged-orders",
            f"staged orders differing from the hub mirror: {len(problems)}",
            "orders come only from `toyfoundry pull`: drop the staged change"
            " (`git restore --staged --worktree -- FILE`)",
            problems,
        )
    return passed("staged-orders", f"staged orders match the hub mirror ({len(orders)})")


def run_staged_checks(
    layout: Layout,
    changes: Changes | None = None,
    units: Verdicts | None = None,
) -> list[Check]:
    """The checks of ``--staged``, over one reading of what is staged (``units``: as
    ``staged_artifacts_valid`` takes them)."""
    changes = staged_changes(layout) if changes is None else changes
    return [
        staged_artifacts_valid(layout, changes, units),
        staged_orders_mirrored(layout, changes),
    ]
