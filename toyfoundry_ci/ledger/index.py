"""The ledger index: a deterministic function of the entries, with an RFC 6962 Merkle root.

Rows are sorted by order ID and written with the canonical JSON writer, so the same entries
give the same bytes whatever the order they were found in and whatever the machine. The root
is the Merkle Tree Hash of RFC 6962 §2.1 over the entries' sha256 digests (leaf ``0x00``,
node ``0x01`` prefixes), so one changed entry changes the root.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from typing import Any

from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.canonical import dumps
from toyfoundry_ci.base.errors import ArtifactError
from toyfoundry_ci.base.ids import is_order_id
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import ParseError, parse_artifact
from toyfoundry_ci.ledger.digest_cache import DigestCache
from toyfoundry_ci.validation.schemas import registry

_LEAF = b"\x00"
_NODE = b"\x01"
NAMESPACE = "entry"


def merkle_root(leaf_digests: Sequence[str]) -> str:
    """RFC 6962 Merkle Tree Hash over leaves whose data are the given hex sha256 digests.

    Pairing nodes level by level and promoting a lone last node unchanged builds the same
    tree as RFC 6962's split at the largest power of two below n.
    """
    if not leaf_digests:
        return hashlib.sha256(b"").hexdigest()
    level = [hashlib.sha256(_LEAF + bytes.fromhex(d)).digest() for d in leaf_digests]
    while len(level) > 1:
        paired = [
            hashlib.sha256(_NODE + level[i] + level[i + 1]).digest()
            for i in range(0, len(level) - 1, 2)
        ]
        if len(level) % 2:
            paired.append(level[-1])
        level = paired
    return level[0].hex()


def entry_facts(data: bytes) -> dict[str, Any]:
    """What the index needs from an entry file: its order ID and sign-off state, or why not."""
    value = parse_artifact(data)
    if isinstance(value, ParseError):
        return {"error": f"{value.where}: {value.message}"}
    try:
        return {"order_id": value["order_id"], "state": value["signoff"]["state"]}
    except (KeyError, TypeError):
        return {"error": "$: not a ledger entry (order_id or signoff.state missing)"}


def index_rows(layout: Layout, cache: DigestCache) -> list[dict[str, Any]]:
    """One row per entry file, sorted by order ID; a malformed entry is an ArtifactError."""
    rows = []
    prefix = layout.rel(layout.ledger_entries) + "/"
    for item in _entry_files(layout):
        rel = prefix + item.name
        scan = cache.scan(
            item.path, NAMESPACE, entry_facts, rel=rel, st=item.stat(follow_symlinks=False)
        )
        if scan is None:  # removed while we looked
            continue
        stem = item.name[:-5]
        facts = scan.facts
        if "error" in facts:
            raise ArtifactError(f"{rel}::{facts['error']}", hint="fix or restore the entry")
        if facts["order_id"] != stem:
            raise ArtifactError(
                f"{rel}::$.order_id: names {facts['order_id']!r} in a file named for {stem!r}",
                hint="an entry file is named after its order ID",
            )
        if facts["state"] not in ("pending", "sealed"):
            raise ArtifactError(f"{rel}::$.signoff.state: unknown state {facts['state']!r}")
        digest = {"sha256": scan.sha256}
        rows.append({"order_id": stem, "path": rel, "digest": digest, "state": facts["state"]})
    return rows


def render_index(rows: Iterable[dict[str, Any]]) -> bytes:
    """The index file's bytes for the given rows (any order)."""
    ordered = sorted(rows, key=lambda r: r["order_id"])
    doc = {
        "kind": "ledger-index",
        "pivot": registry().current,
        "count": len(ordered),
        "root": {"sha256": merkle_root([r["digest"]["sha256"] for r in ordered])},
        "entries": ordered,
    }
    return dumps(doc)


def fresh_index(layout: Layout, *, full: bool = False) -> bytes:
    """The bytes a rebuild would write now."""
    cache = DigestCache(layout, full=full)
    data = render_index(index_rows(layout, cache))
    cache.save()
    return data


def rebuild_index(layout: Layout, *, full: bool = False) -> bool:
    """Write ``exchange/ledger/index.json`` from the entries; return whether it changed."""
    return write_bytes_atomic(layout.ledger_index, fresh_index(layout, full=full))


def index_is_current(layout: Layout) -> bool:
    """Whether the index on disk equals a fresh rebuild from the entries."""
    try:
        on_disk = layout.ledger_index.read_bytes()
    except FileNotFoundError:
        return not _entry_files(layout)
    return on_disk == fresh_index(layout)


def _entry_files(layout: Layout) -> list[os.DirEntry[str]]:
    try:
        with os.scandir(layout.ledger_entries) as it:
            found = [
                e
                for e in it
                if e.name.endswith(".json")
                and is_order_id(e.name[:-5])
                and e.is_file(follow_symlinks=False)
            ]
    except FileNotFoundError:
        return []
    found.sort(key=lambda e: e.name)
    return found
