"""The ledger index: deterministic bytes, an RFC 6962 root, a cache that hashes only news."""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import git, run_cli
from tests.ledger_helpers import copy_order, parade_entry
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.digest_cache import DigestCache
from toyfoundry_ci.ledger.index import (
    index_is_current,
    index_rows,
    merkle_root,
    rebuild_index,
    render_index,
)


@pytest.fixture
def factory(unentered_factory: Path) -> Path:
    """These tests enter the sample orders themselves, so they start before any entry."""
    return unentered_factory


def rfc6962(leaves: list[bytes]) -> bytes:
    """The Merkle Tree Hash exactly as RFC 6962 §2.1 defines it, recursively."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return hashlib.sha256(b"\x00" + leaves[0]).digest()
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(b"\x01" + rfc6962(leaves[:k]) + rfc6962(leaves[k:])).digest()


@given(st.lists(st.binary(min_size=32, max_size=32), max_size=40))
def test_merkle_root_is_rfc6962(leaves: list[bytes]) -> None:
    assert merkle_root([leaf.hex() for leaf in leaves]) == rfc6962(leaves).hex()


@settings(max_examples=50)
@given(st.permutations(list(range(12))))
def test_index_bytes_do_not_depend_on_the_order_rows_come_in(order: list[int]) -> None:
    rows = [
        {"order_id": f"ALFA-2026-{i:04d}", "path": f"exchange/ledger/entries/{i:04d}.json",
         "digest": {"sha256": hashlib.sha256(bytes([i])).hexdigest()}, "state": "pending"}
        for i in range(12)
    ]  # fmt: skip
    assert render_index([rows[i] for i in order]) == render_index(rows)


def test_ledger_index_writes_then_says_nothing_to_do(factory: Path) -> None:
    layout = Layout(factory)
    for order_id in ("ALFA-2026-0001", "ALFA-2026-0002"):
        parade_entry(layout, order_id)
    first = run_cli("ledger", "index", cwd=factory)
    assert first.returncode == 0, first.stderr
    assert "wrote exchange/ledger/index.json" in first.stdout
    doc = orjson.loads(layout.ledger_index.read_bytes())
    assert doc["count"] == 2
    assert [r["order_id"] for r in doc["entries"]] == ["ALFA-2026-0001", "ALFA-2026-0002"]
    assert all(r["state"] == "pending" for r in doc["entries"])
    again = run_cli("ledger", "index", cwd=factory)
    assert "nothing written" in again.stdout
    assert run_cli("validate", "exchange/ledger/index.json", cwd=factory).returncode == 0


def test_index_is_identical_across_fresh_clones_and_full_rehash(
    factory: Path, tmp_path: Path
) -> None:
    layout = Layout(factory)
    parade_entry(layout, "ALFA-2026-0003")
    parade_entry(layout, "ALFA-2026-0001")
    rebuild_index(layout)
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "parade")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(factory), str(clone))
    assert index_is_current(Layout(clone))
    assert not rebuild_index(Layout(clone), full=True)
    assert (clone / "exchange/ledger/index.json").read_bytes() == layout.ledger_index.read_bytes()


def test_stale_index_is_detected_and_check_fails(factory: Path) -> None:
    layout = Layout(factory)
    parade_entry(layout, "ALFA-2026-0001")
    rebuild_index(layout)
    parade_entry(layout, "ALFA-2026-0002")
    assert not index_is_current(layout)
    proc = run_cli("ledger", "index", "--check", cwd=factory)
    assert proc.returncode == 1
    assert "stale" in proc.stdout


def test_cache_hashes_only_new_entries_and_full_rehashes_all(factory: Path) -> None:
    layout = Layout(factory)
    for order_id in ("ALFA-2026-0001", "ALFA-2026-0002"):
        parade_entry(layout, order_id)
    warm = DigestCache(layout)
    index_rows(layout, warm)
    warm.save()
    copy_order(layout, "ALFA-2026-0001", "ALFA-2026-0009")
    parade_entry(layout, "ALFA-2026-0009")
    cache = DigestCache(layout)
    rows = index_rows(layout, cache)
    assert cache.hashed == 1
    assert len(rows) == 3
    full = DigestCache(layout, full=True)
    index_rows(layout, full)
    assert full.hashed == 3
    assert not (factory / ".toyfoundry/cache").exists()  # nothing cached in the work tree


def test_a_misnamed_entry_is_refused_with_its_file(factory: Path) -> None:
    layout = Layout(factory)
    parade_entry(layout, "ALFA-2026-0001")
    wrong = layout.ledger_entries / "ALFA-2026-0002.json"
    wrong.write_bytes(layout.ledger_entry_file("ALFA-2026-0001").read_bytes())
    proc = run_cli("ledger", "index", cwd=factory)
    assert proc.returncode == 1
    assert "exchange/ledger/entries/ALFA-2026-0002.json::$.order_id" in proc.stderr


def test_random_traversal_order_gives_the_same_file(factory: Path) -> None:
    layout = Layout(factory)
    for order_id in ("ALFA-2026-0001", "ALFA-2026-0002", "ALFA-2026-0003"):
        parade_entry(layout, order_id)
    rows = index_rows(layout, DigestCache(layout))
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)  # noqa: S311 - a test's fixed shuffle
    rebuild_index(layout)
    assert render_index(shuffled) == layout.ledger_index.read_bytes()
