"""git's blob IDs stand in for reading unchanged evidence: `status` and `push --dry-run` say
what they say when every file is read, and a change git can see is never taken as none."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from benchmarks.factory import LOT_SIZE, Built, build
from tests.conftest import git, run_cli
from toyfoundry_ci.base.cachedir import cache_root
from toyfoundry_ci.base.canonical import sha256_bytes
from toyfoundry_ci.base.git import blob_id
from toyfoundry_ci.base.tracked import TrackedBlobs, clean_blobs

ORDERS = LOT_SIZE + 4  # one lot sealed and pushed, one awaiting sign-off


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("generated") / "factory", ORDERS)


def _copy(generated: Built, where: Path) -> Built:
    """A copy with its hub (git-ignored, so not in a clone) and git's index as they are."""
    import shutil

    shutil.copytree(generated.root, where, symlinks=True)
    git(where, "update-index", "-q", "--refresh")  # what `git status` does after a copy
    return Built(where, list(generated.orders), generated.head)


def _everything_touched(root: Path) -> None:
    """Every tracked file's stat changed, bytes kept: git must look again, so nothing is known."""
    for name in git(root, "ls-files", "-z").split("\0"):
        if name:
            os.utime(root / name, ns=(1, 1))
    assert clean_blobs(root, ["exchange"]) == {}


def _said(root: Path, *, held: bool = False) -> tuple[str, str]:
    """What `status` and `push --dry-run` print; ``held``: push holds something back (exit 1)."""
    status = run_cli("status", cwd=root)
    push = run_cli("push", "--dry-run", cwd=root)
    assert status.returncode == 0 and push.returncode == int(held), status.stderr + push.stderr
    return status.stdout, push.stdout


def test_status_and_push_say_the_same_told_by_blob_ids_or_by_reading(
    generated: Built, tmp_path: Path
) -> None:
    built = _copy(generated, tmp_path / "factory")
    assert len(clean_blobs(built.root, ["exchange"])) > 3 * ORDERS  # git knows the evidence
    known = _said(built.root)
    assert f"{LOT_SIZE + 3} orders already on the hub" in known[1]  # and the seed shift's 3
    _everything_touched(built.root)
    assert _said(built.root) == known


def test_evidence_changed_with_its_stat_restored_is_read_not_trusted(
    generated: Built, tmp_path: Path
) -> None:
    built = _copy(generated, tmp_path / "factory")
    before = _said(built.root)
    ack = built.root / f"exchange/acknowledgements/ACK-{built.orders[0]}.json"
    stat = ack.stat()
    data = ack.read_bytes()
    time.sleep(1.1)  # git compares ctime in whole seconds: the write must land in another one
    ack.write_bytes(data.replace(b"accept", b"acCept", 1))  # same size, other bytes
    os.utime(ack, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert f"exchange/acknowledgements/ACK-{built.orders[0]}.json" not in clean_blobs(
        built.root, ["exchange"]
    )
    status, push = _said(built.root, held=True)
    assert f"held {built.orders[0]}:" in push and push != before[1]
    assert f"{built.orders[0]}    promoted" not in status


def test_a_hub_file_that_is_not_the_factorys_is_not_held(generated: Built, tmp_path: Path) -> None:
    built = _copy(generated, tmp_path / "factory")
    report = built.root / f".toyfoundry/hub/reports/RPT-{built.orders[1]}.json"
    report.write_bytes(report.read_bytes() + b" ")
    status, push = _said(built.root)
    assert f"{built.orders[1]}    promoted" not in status
    _everything_touched(built.root)
    assert _said(built.root) == (status, push)


def test_digests_are_cached_by_blob_and_a_tampered_cache_is_rebuilt(
    generated: Built, tmp_path: Path
) -> None:
    built = _copy(generated, tmp_path / "factory")
    rel = f"exchange/orders/{built.orders[2]}.json"
    data = (built.root / rel).read_bytes()
    tracked = TrackedBlobs(built.root, ["exchange/orders"])
    assert tracked.sha256(rel) == (blob_id(data), sha256_bytes(data))
    tracked.save()
    cache = cache_root(built.root) / "blob-sha256.json"
    assert sha256_bytes(data).encode() in cache.read_bytes()
    cache.write_bytes(cache.read_bytes().replace(sha256_bytes(data).encode(), b"0" * 64))
    again = TrackedBlobs(built.root, ["exchange/orders"])
    assert again.sha256(rel) == (blob_id(data), sha256_bytes(data))  # the seal broke: rebuilt
    assert again.sha256("exchange/orders/ALFA-2026-999999.json") is None  # not tracked


def test_only_entries_git_compares_with_the_work_tree_count_as_clean(tmp_path: Path) -> None:
    """A factory in a folder of a larger repository, and entries git does not compare with
    the work tree (skip-worktree, assume-unchanged): an edited file is never taken as clean."""
    repo = tmp_path / "mono"
    factory = repo / "factory"
    (factory / "exchange/orders").mkdir(parents=True)
    for name in ("a", "b", "c", "d"):
        (factory / f"exchange/orders/{name}.json").write_text("{}\n")
    git(repo, "init", "-q", "-b", "main")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a factory in a folder")
    git(repo, "update-index", "--skip-worktree", "factory/exchange/orders/b.json")
    git(repo, "update-index", "--assume-unchanged", "factory/exchange/orders/c.json")
    for name in ("a", "b", "c"):
        (factory / f"exchange/orders/{name}.json").write_text('{"edited": true}\n')

    assert clean_blobs(factory, ["exchange/orders"]) == {"exchange/orders/d.json": blob_id(b"{}\n")}
