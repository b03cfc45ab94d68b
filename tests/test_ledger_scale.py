"""What keeps large ledgers fast: the incremental index, the cached Merkle levels, the digest
cache's modes and worker processes. Each is checked against the slow, obvious result."""

from __future__ import annotations

import hashlib
import os
import random
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import run_cli
from tests.ledger_helpers import copy_order, parade_entry
from tests.test_ledger_index import rfc6962
from toyfoundry_ci.base.canonical import dumps
from toyfoundry_ci.base.kinds import max_bytes_for
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import MAX_BYTES
from toyfoundry_ci.ledger import digest_cache
from toyfoundry_ci.ledger import index as ledger_index
from toyfoundry_ci.ledger.digest_cache import DigestCache, cache_dir
from toyfoundry_ci.ledger.index import (
    fresh_index,
    merkle_root,
    rebuild_index,
    render_index,
    update_index,
)
from toyfoundry_ci.ledger.verify import verify


@pytest.fixture
def factory(unentered_factory: Path) -> Path:
    return unentered_factory


def _leaf(i: int) -> str:
    return hashlib.sha256(i.to_bytes(4, "big")).hexdigest()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(st.integers(0, 10_000), min_size=1, max_size=70),
    st.lists(st.tuples(st.sampled_from("idr"), st.integers(0, 80), st.integers(0, 10_000))),
)
def test_cached_merkle_levels_give_the_rfc6962_root_after_any_edit(
    tmp_path_factory: pytest.TempPathFactory, first: list[int], edits: list[tuple[str, int, int]]
) -> None:
    cache = tmp_path_factory.mktemp("tree") / "merkle.bin"
    leaves = [_leaf(i) for i in first]
    assert merkle_root(leaves, cache) == rfc6962([bytes.fromhex(x) for x in leaves]).hex()
    for op, where, value in edits:
        at = where % (len(leaves) + 1)
        if op == "i":
            leaves.insert(at, _leaf(value))
        elif op == "d" and len(leaves) > 1 and at < len(leaves):
            del leaves[at]
        elif at < len(leaves):
            leaves[at] = _leaf(value)
        expected = rfc6962([bytes.fromhex(x) for x in leaves]).hex()
        assert merkle_root(leaves, cache) == expected
        assert merkle_root(leaves) == expected


def test_a_torn_or_foreign_tree_cache_is_not_trusted(tmp_path: Path) -> None:
    cache = tmp_path / "merkle.bin"
    leaves = [_leaf(i) for i in range(9)]
    root = merkle_root(leaves, cache)
    cache.write_bytes(cache.read_bytes()[:-5])  # torn: the seal refuses it
    assert merkle_root(leaves, cache) == root
    merkle_root(leaves, cache)
    data = bytearray(cache.read_bytes())
    data[-32:] = b"\x07" * 32  # the cached root forged, the leaves left as they are
    cache.write_bytes(bytes(data))
    assert merkle_root(leaves, cache) == root
    other = [_leaf(i) for i in range(100, 109)]
    merkle_root(other, cache)  # the cache now holds another tree
    assert merkle_root(leaves, cache) == root


def _entry_path(layout: Layout, order_id: str) -> Path:
    return layout.ledger_entry_file(order_id)


def _flip_state(path: Path) -> None:
    doc = orjson.loads(path.read_bytes())
    sealed = {"state": "sealed", "method": "local", "reviewer": "R. Viewer",
              "at": "2026-11-25T10:00:00Z", "commit": "0" * 40}  # fmt: skip
    doc["signoff"] = {"state": "pending"} if doc["signoff"]["state"] == "sealed" else sealed
    path.write_bytes(dumps(doc))


def test_update_index_splices_the_same_bytes_a_rebuild_writes(
    factory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = Layout(factory)
    spliced: list[bool | None] = []
    real_splice = ledger_index._splice

    def counting(*args: Any) -> bool | None:
        spliced.append(real_splice(*args))
        return spliced[-1]

    monkeypatch.setattr(ledger_index, "_splice", counting)
    rng = random.Random(5)  # noqa: S311 - a test's fixed sequence
    ids = [f"ALFA-2026-{i:04d}" for i in range(20, 45)]
    for order_id in ids:
        copy_order(layout, "ALFA-2026-0001", order_id)
    for order_id in ids[::3]:
        parade_entry(layout, order_id)
    rebuild_index(layout)
    for _step in range(25):
        changed = []
        for order_id in rng.sample(ids, rng.randint(1, 3)):
            path = _entry_path(layout, order_id)
            roll = rng.random()
            if not path.exists():
                parade_entry(layout, order_id)
            elif roll < 0.6:
                _flip_state(path)
            elif sum(p.exists() for p in layout.ledger_entries.iterdir()) > 2:
                path.unlink()
            changed.append(path)
        update_index(layout, changed)
        assert layout.ledger_index.read_bytes() == fresh_index(layout, cold=True)
    assert spliced
    assert None not in spliced  # every update took the in-place path


def test_update_index_of_a_hand_formatted_index_takes_the_long_way(factory: Path) -> None:
    layout = Layout(factory)
    for order_id in ("ALFA-2026-0001", "ALFA-2026-0002"):
        parade_entry(layout, order_id)
    rebuild_index(layout)
    doc = orjson.loads(layout.ledger_index.read_bytes())
    layout.ledger_index.write_bytes(orjson.dumps(doc))  # valid, but not the canonical bytes
    copy_order(layout, "ALFA-2026-0001", "ALFA-2026-0009")
    parade_entry(layout, "ALFA-2026-0009")
    assert update_index(layout, [_entry_path(layout, "ALFA-2026-0009")])
    assert layout.ledger_index.read_bytes() == fresh_index(layout, cold=True)
    layout.ledger_index.write_bytes(b"{not json")
    assert update_index(layout, [_entry_path(layout, "ALFA-2026-0009")])  # rebuilt whole
    assert layout.ledger_index.read_bytes() == fresh_index(layout, cold=True)


def _indexed_then_one_more(factory: Path) -> Layout:
    """A factory whose index holds ALFA-2026-0001, with ALFA-2026-0009 paraded since."""
    layout = Layout(factory)
    parade_entry(layout, "ALFA-2026-0001")
    rebuild_index(layout)
    copy_order(layout, "ALFA-2026-0001", "ALFA-2026-0009")
    parade_entry(layout, "ALFA-2026-0009")
    return layout


def test_ledger_index_entry_cli_and_its_refusals(factory: Path) -> None:
    layout = _indexed_then_one_more(factory)
    entry = "exchange/ledger/entries/ALFA-2026-0009.json"
    proc = run_cli("ledger", "index", entry, cwd=factory)  # the hook's fast path
    assert proc.returncode == 0, proc.stderr
    assert "wrote exchange/ledger/index.json" in proc.stdout
    assert layout.ledger_index.read_bytes() == fresh_index(layout, cold=True)
    again = run_cli("ledger", "index", "--root", ".", entry, cwd=factory)  # through the CLI
    assert again.returncode == 0, again.stderr
    assert "nothing written" in again.stdout
    wrong = run_cli("ledger", "index", "exchange/orders/ALFA-2026-0001.json", cwd=factory)
    assert wrong.returncode == 1
    assert "exchange/orders/ALFA-2026-0001.json: not a ledger entry file" in wrong.stderr
    assert "<order ID>.json" in wrong.stderr
    both = run_cli("ledger", "index", "--full", entry, cwd=factory)
    assert both.returncode == 2
    assert "cannot be combined" in both.stderr


def test_an_index_above_the_artifact_bound_still_validates(factory: Path) -> None:
    ids = [f"ALFA-2026-{i:06d}" for i in range(1, 23_000)]
    rows = [
        {"order_id": oid, "path": f"exchange/ledger/entries/{oid}.json",
         "digest": {"sha256": _leaf(i)}, "state": "pending"}
        for i, oid in enumerate(ids)
    ]  # fmt: skip
    data = render_index(rows)
    assert len(data) > MAX_BYTES
    assert max_bytes_for("ledger-index") > len(data)
    assert max_bytes_for("order") == MAX_BYTES
    index = factory / "exchange/ledger/index.json"
    index.parent.mkdir(parents=True, exist_ok=True)
    index.write_bytes(data)
    proc = run_cli("validate", "exchange/ledger/index.json", cwd=factory)
    assert proc.returncode == 0, proc.stdout
    big_order = factory / "exchange/orders/ALFA-2026-0001.json"
    big_order.write_bytes(b" " * (MAX_BYTES + 1) + big_order.read_bytes())
    refused = run_cli("validate", "exchange/orders/ALFA-2026-0001.json", cwd=factory)
    assert refused.returncode == 1
    assert "larger than the 5242880-byte bound" in refused.stdout


CALLS: list[str] = []


def counted_kind(rel: str, value: Any) -> Any:
    CALLS.append(rel)
    return value.get("kind") if isinstance(value, dict) else None


WANTS = (("kind", counted_kind),)


def _kinds(cache: DigestCache, folder: str = "exchange/orders") -> list[tuple[str, str, Any]]:
    return [
        (n, sha, f["kind"]) for n, sha, f in cache.files(folder, cache.json_names(folder), WANTS)
    ]


def test_full_rehashes_every_file_but_rederives_only_changed_bytes(factory: Path) -> None:
    layout = Layout(factory)
    orders = sorted(p.name for p in layout.orders.iterdir())
    CALLS.clear()
    with DigestCache(layout) as warm:
        first = _kinds(warm)
        warm.save()
    assert len(CALLS) == len(orders)
    CALLS.clear()
    with DigestCache(layout) as again:
        assert _kinds(again) == first
        assert again.hashed == 0 and not CALLS
    changed = layout.orders / orders[0]
    changed.write_bytes(changed.read_bytes().replace(b"\n}", b',\n  "note": "x"\n}'))
    CALLS.clear()
    with DigestCache(layout, full=True) as full:
        result = _kinds(full)
        full.save()
    assert full.hashed == len(orders)  # every file re-hashed, no stat trusted
    assert [f"exchange/orders/{orders[0]}"] == CALLS  # only the changed bytes re-parsed
    assert result[0][1] == hashlib.sha256(changed.read_bytes()).hexdigest()
    CALLS.clear()
    with DigestCache(layout, cold=True) as cold:
        assert _kinds(cold) == result
    assert len(CALLS) == len(orders)


def test_worker_processes_give_what_one_process_gives(
    factory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = Layout(factory)
    with DigestCache(layout, cold=True, jobs=1) as serial:
        expected = _kinds(serial)
    monkeypatch.setattr(digest_cache, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setattr(digest_cache, "_CHUNK", 1)
    with DigestCache(layout, cold=True, jobs=2) as parallel:
        assert _kinds(parallel) == expected
        assert parallel._workers is not None
    assert parallel._workers is None  # closed with the cache
    assert verify(layout, cold=True) == verify(layout)


def test_links_and_fifos_are_refused_without_hanging(factory: Path) -> None:
    layout = Layout(factory)
    target = layout.orders / "ALFA-2026-0001.json"
    (layout.orders / "ALFA-2026-0900.json").symlink_to(target)
    os.mkfifo(layout.orders / "ALFA-2026-0901.json")
    (layout.orders / "ALFA-2026-0902.json").mkdir()
    for mode in ({}, {"full": True}, {"cold": True}):
        with DigestCache(layout, **mode) as cache:
            found = {n: (sha, f) for n, sha, f in cache.files(
                "exchange/orders", cache.json_names("exchange/orders"), WANTS)}  # fmt: skip
            for name in ("ALFA-2026-0900.json", "ALFA-2026-0901.json", "ALFA-2026-0902.json"):
                sha, facts = found[name]
                assert sha == ""
                assert "not a regular file" in facts["kind"]["error"]
            assert cache.digest("exchange/orders/ALFA-2026-0900.json") == ""
            assert cache.digest("exchange/orders/ALFA-2026-0999.json") is None


def test_a_cache_from_another_release_or_schema_set_is_ignored(factory: Path) -> None:
    layout = Layout(factory)
    with DigestCache(layout) as cache:
        _kinds(cache)
        cache.save()
    (stored,) = cache_dir(layout).glob("exchange%2Forders@kind.json")
    doc = orjson.loads(stored.read_bytes())
    doc["version"] = "2/0.0.0/0000000000000000"
    stored.write_bytes(orjson.dumps(doc))
    with DigestCache(layout) as stale:
        _kinds(stale)
        assert stale.hashed == len(list(layout.orders.iterdir()))


def test_the_quick_clean_check_agrees_with_the_full_check(factory: Path) -> None:
    from toyfoundry_ci.base.loader import read_artifact
    from toyfoundry_ci.validation.checker import check_value, is_clean

    examples = Path(__file__).parent / "examples" / "invalid"
    cases = [(p, p.relative_to(case).as_posix()) for case in examples.iterdir()
             for p in case.rglob("*.json")]  # fmt: skip
    cases += [(p, p.relative_to(factory).as_posix()) for p in factory.glob("exchange/**/*.json")]
    assert len(cases) > 20
    for path, rel in cases:
        value = read_artifact(path)
        assert is_clean(rel, value) == check_value(rel, value).ok, rel
    assert any(not check_value(rel, read_artifact(path)).ok for path, rel in cases)


def test_each_set_of_facts_asked_together_is_its_own_cache_file(factory: Path) -> None:
    layout = Layout(factory)
    for order_id in ("ALFA-2026-0001", "ALFA-2026-0002"):
        parade_entry(layout, order_id)
    rebuild_index(layout)
    assert verify(layout) == []
    stored = cache_dir(layout)
    subjects = stored / "exchange%2Fledger%2Fentries@entry+entry-seal+valid.json"
    assert subjects.exists()
    subjects.write_bytes(b"torn")  # the index never reads the subject lists
    with DigestCache(layout) as cache:
        ledger_index.index_rows(layout, cache)
        assert cache.hashed == 0
    with DigestCache(layout) as cache:
        names = cache.json_names("exchange/ledger/entries")
        found = cache.files("exchange/ledger/entries", names, (("kind", counted_kind),))
        assert cache.hashed == len(found) == 2  # a fact never asked for is derived
    assert verify(layout) == []
    assert orjson.loads(subjects.read_bytes())["facts"] == ["entry", "entry-seal", "valid"]
    assert (stored / "exchange%2Fledger%2Fentries@entry.json").exists()


def test_ledger_index_entry_waits_for_the_repository_lock(factory: Path) -> None:
    import subprocess
    import sys
    import time

    from toyfoundry_ci.base.lock import repository_lock

    layout = _indexed_then_one_more(factory)
    with repository_lock(factory, purpose="shift"):
        proc = subprocess.Popen(
            [sys.executable, "-m", "toyfoundry_ci", "ledger", "index",
             "exchange/ledger/entries/ALFA-2026-0009.json"],
            cwd=factory, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(1.5)
        assert proc.poll() is None  # waiting, not writing under the holder's feet
        assert b"ALFA-2026-0009" not in layout.ledger_index.read_bytes()
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert "wrote exchange/ledger/index.json" in out
    assert layout.ledger_index.read_bytes() == fresh_index(layout, cold=True)
