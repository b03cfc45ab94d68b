"""No cache a commit can write vouches for anything.

Caches live under the git directory, never in the work tree; a forged Merkle cache cannot make
the index's root anything but the Merkle root of its entries; readiness refuses machine state
that is tracked by git, and its printed fix clears it.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import orjson
import pytest

from tests.conftest import git, run_cli
from tests.test_readiness_fixes import failing, run_fix
from toyfoundry_ci.base.cachedir import cache_root
from toyfoundry_ci.base.canonical import dumps
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import entry_rows, fresh_index, splice_index, tree_cache
from toyfoundry_ci.readiness import indexbasis

FAKE_ROOT = "ab" * 32


def _forge_index(factory: Path) -> None:
    """The committed index with a made-up root, as a PR could write it."""
    index = factory / "exchange/ledger/index.json"
    doc = orjson.loads(index.read_bytes())
    doc["root"] = {"sha256": FAKE_ROOT}
    index.write_bytes(dumps(doc))


def _forged_tree(leaves: bytes, root: str) -> bytes:
    """A Merkle cache over ``leaves`` whose top level is ``root``, sealed as the tool seals it."""
    count = len(leaves) // 32
    sizes = [count]
    while sizes[-1] > 1:
        sizes.append((sizes[-1] + 1) // 2)
    levels = [b"\0" * 32 * n for n in sizes[:-1]] + [bytes.fromhex(root)]
    body = b"".join([count.to_bytes(8, "big"), leaves, *levels])
    return b"toyfoundry-merkle-v3\n" + hashlib.sha256(body).digest() + body


def _leaves(factory: Path) -> bytes:
    doc = json.loads((factory / "exchange/ledger/index.json").read_text())
    return bytes.fromhex("".join(e["digest"]["sha256"] for e in doc["entries"]))


def test_caches_live_under_the_git_directory_not_the_work_tree(factory: Path) -> None:
    assert run_cli("ledger", "index", cwd=factory).returncode == 0
    assert run_cli("ledger", "verify", cwd=factory).returncode == 0
    where = cache_root(factory)
    assert where.is_relative_to((factory / ".git").resolve())
    assert (where / "ledger-merkle.bin").is_file()
    assert any((where / "digests").iterdir())
    assert not (factory / ".toyfoundry/cache").exists()
    assert git(factory, "status", "--porcelain") == ""


def test_outside_git_the_user_cache_directory_holds_the_caches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    plain = tmp_path / "plain"
    plain.mkdir()
    where = cache_root(plain)
    assert where.parent == tmp_path / "xdg" / "toyfoundry"
    assert where != cache_root(tmp_path)  # one folder per factory path


def test_a_committed_forged_merkle_cache_makes_no_root(factory: Path) -> None:
    """A PR commits the old in-tree cache and an index with its fabricated root: both caught."""
    leaves = _leaves(factory)
    planted = factory / ".toyfoundry/cache/ledger-merkle.bin"
    planted.parent.mkdir(parents=True)
    planted.write_bytes(_forged_tree(leaves, FAKE_ROOT))
    _forge_index(factory)
    git(factory, "add", "-f", "-A")
    git(factory, "commit", "-q", "-m", "PR: a cache and a root")
    for args in (("ledger", "verify"), ("ledger", "verify", "--full")):
        proc = run_cli(*args, cwd=factory)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "index.json" in proc.stdout + proc.stderr
        assert "differs from a fresh rebuild" in proc.stdout + proc.stderr
    check = failing(factory, "state-untracked")
    assert check["details"] == [".toyfoundry/cache: 1 file tracked"]
    assert "git rm -r --cached FILE" in check["fix"]
    assert run_cli("ledger", "index", cwd=factory).returncode == 0
    doc = json.loads((factory / "exchange/ledger/index.json").read_text())
    assert doc["root"]["sha256"] != FAKE_ROOT
    run_fix(factory, check, ".toyfoundry/cache")
    git(factory, "commit", "-q", "-m", "untrack the cache")
    gate = json.loads(run_cli("readiness", "--format", "json", cwd=factory).stdout)
    assert {c["id"]: c["status"] for c in gate["checks"]}["state-untracked"] == "pass"


def test_a_forged_cache_under_the_git_directory_fails_verify(factory: Path) -> None:
    """Even a forged cache where the tool keeps it, seal and all, cannot pass a check."""
    layout = Layout(factory)
    assert run_cli("ledger", "index", cwd=factory).returncode == 0
    tree_cache(layout).write_bytes(_forged_tree(_leaves(factory), FAKE_ROOT))
    _forge_index(factory)
    for args in (("ledger", "verify"), ("ledger", "verify", "--full")):
        proc = run_cli(*args, cwd=factory)
        assert proc.returncode == 1, proc.stdout + proc.stderr
        assert "differs from a fresh rebuild" in proc.stdout + proc.stderr
    gate = json.loads(run_cli("readiness", "--format", "json", cwd=factory).stdout)
    assert {c["id"]: c["status"] for c in gate["checks"]}["ledger-index"] == "fail"


def test_each_machine_state_folder_is_refused_when_tracked(factory: Path) -> None:
    for folder in (".toyfoundry/hub", ".toyfoundry/quarantine", ".toyfoundry/demo"):
        path = factory / folder / "receipts" / "x.json"
        path.parent.mkdir(parents=True)
        path.write_text("{}", encoding="utf-8")
    git(factory, "add", "-f", "-A")
    git(factory, "commit", "-q", "-m", "PR: machine state")
    check = failing(factory, "state-untracked")
    assert check["details"] == [
        ".toyfoundry/hub: 1 file tracked",
        ".toyfoundry/quarantine: 1 file tracked",
        ".toyfoundry/demo: 1 file tracked",
    ]


def test_forged_merkle_levels_where_readiness_keeps_them_make_no_root(factory: Path) -> None:
    """The levels readiness splices the expected index with, forged seal and all (the top
    level the true root), would give the root a forged index then carries: they are not
    the ones the store's sealed row names, so they are not used."""
    layout = Layout(factory)
    git(factory, "checkout", "-q", "-b", "topic")
    assert _index_status(factory) == "pass"
    expected = (cache_root(factory) / indexbasis.EXPECTED_FILE).read_bytes()
    root = orjson.loads(expected)["root"]["sha256"]
    tree = cache_root(factory) / indexbasis.TREE_FILE
    tree.write_bytes(_forged_tree(_leaves(factory), root))
    entry = factory / "exchange/ledger/entries/ALFA-2026-0002.json"
    doc = orjson.loads(entry.read_bytes())
    doc["signoff"]["state"] = "sealed"
    entry.write_bytes(dumps(doc))
    # What the forged levels would make of the expected index: a PR's index with that root.
    forged = bytearray(expected)
    shutil.copyfile(tree, factory.parent / "forged.merkle")
    changes = entry_rows(layout, [entry])
    assert splice_index(forged, changes, factory.parent / "forged.merkle")
    assert orjson.loads(forged)["root"]["sha256"] != orjson.loads(fresh_index(layout))["root"]
    (factory / "exchange/ledger/index.json").write_bytes(forged)
    git(factory, "commit", "-qam", "PR: a seal and an index with a made-up root")
    assert _index_status(factory) == "fail"


def _index_status(factory: Path) -> str:
    gate = json.loads(run_cli("readiness", "--no-log", "--format", "json", cwd=factory).stdout)
    return str({c["id"]: c["status"] for c in gate["checks"]}["ledger-index"])
