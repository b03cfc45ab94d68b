"""The ledger-index check between runs: the last verdict's basis, kept beside the store.

``ledger.lag.index_state_since`` reaches the index verdict from the last one and the paths
changed since, at a cost that grows with the change. What it needs of the last verdict (a
``Basis``: the fresh rebuild's bytes, the commit, the rows of a lagging index) is kept by
the readiness store: the rebuild's bytes in a file beside it, named by their sha256 in a
sealed row of the store, with the seal of the Merkle levels kept next to them. A file
that is not the one the row names is not used: the index is rebuilt in full instead.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.cachedir import cache_root
from toyfoundry_ci.base.canonical import sha256_bytes
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.reader import UnreadableError, read_file
from toyfoundry_ci.ledger.index import INDEX_BOUND, tree_seal
from toyfoundry_ci.ledger.lag import Basis, IndexState, index_basis, index_state_since
from toyfoundry_ci.readiness.store import UnitStore

META = "index-basis"
EXPECTED_FILE = "readiness-index.json"
TREE_FILE = "readiness-index.merkle"


def index_verdict(
    layout: Layout, store: UnitStore, changed: set[str] | None, head: str
) -> IndexState:
    """The index's state at ``head``: from the stored basis and the paths ``changed`` since
    the last run, or (``changed`` None, or no usable basis) with every row rebuilt."""
    folder = cache_root(layout.root)
    tree = folder / TREE_FILE
    stored = store.meta(META)
    basis = _load(folder, tree, stored) if changed is not None else None
    if basis is None:
        state, new = index_basis(layout, head, tree, changed or ())
    else:
        state, new = index_state_since(layout, basis, changed or (), head, tree)
    kept = basis is not None and new is not None and new.expected is basis.expected
    _save(store, folder, tree, new, stored if kept else None)
    return state


def forget(store: UnitStore) -> None:
    """No basis for the next run (the ledger has no entries: nothing was checked)."""
    store.set_meta(META, None)


def _load(folder: Path, tree: Path, stored: dict[str, object] | None) -> Basis | None:
    if not isinstance(stored, dict):
        return None
    try:
        expected = read_file(folder / EXPECTED_FILE, INDEX_BOUND)
    except UnreadableError:
        return None
    if sha256_bytes(expected) != stored["expected"]:
        return None
    if tree_seal(tree) != stored["tree"]:  # levels this store did not write: not used
        with contextlib.suppress(OSError):
            tree.unlink(missing_ok=True)
    lagging = stored["lagging"]
    assert isinstance(lagging, list)  # noqa: S101 - a sealed row this module wrote
    return Basis(
        expected,
        str(stored["head"]),
        None if stored["index"] is None else str(stored["index"]),
        tuple(str(i) for i in lagging),
        None if stored["since"] is None else str(stored["since"]),
    )


def _save(
    store: UnitStore, folder: Path, tree: Path, basis: Basis | None, kept: dict[str, object] | None
) -> None:
    """Keep ``basis`` for the next run; ``kept``: the row of the same bytes, already on disk."""
    if basis is None:
        store.set_meta(META, None)
        return
    if kept is not None:
        digest = str(kept["expected"])
    else:
        digest = sha256_bytes(basis.expected)
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_bytes_atomic(folder / EXPECTED_FILE, basis.expected, durable=False, compare=False)
        except OSError:
            store.set_meta(META, None)  # the next run rebuilds: that costs speed only
            return
    store.set_meta(
        META,
        {
            "expected": digest,
            "tree": tree_seal(tree),
            "head": basis.head,
            "index": basis.index,
            "lagging": list(basis.lagging),
            "since": basis.since,
        },
    )
