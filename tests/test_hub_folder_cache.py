"""The folder hub's listing names files by blob ID without reading those whose stat is the one
recorded: a cached listing is the listing read, and no change to a hub file, however it keeps
its size and mtime, is served from the cache (a stale or forged receipt, a swapped report)."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path
from unittest import mock

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from benchmarks.factory import LOT_SIZE, Built, build
from tests.conftest import git
from toyfoundry_ci.base.cachedir import cache_root
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.foundry.cadence import Stage, status
from toyfoundry_ci.hub import folder as folder_hub
from toyfoundry_ci.hub.config import open_hub
from toyfoundry_ci.hub.folder import CHANGED, FolderHub
from toyfoundry_ci.hub.protocol import Refused

ORDERS = LOT_SIZE + 4  # one lot sealed and pushed, one awaiting sign-off


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("generated") / "factory", ORDERS)


@pytest.fixture
def built(generated: Built, tmp_path: Path) -> Built:
    """A copy of the generated factory, with its (git-ignored) hub."""
    shutil.copytree(generated.root, tmp_path / "factory", symlinks=True)
    git(tmp_path / "factory", "update-index", "-q", "--refresh")
    return Built(tmp_path / "factory", list(generated.orders), generated.head)


@pytest.fixture
def settled_now(monkeypatch: pytest.MonkeyPatch) -> None:
    """Files count as settled at once, so a test need not wait for the hub's to age."""
    monkeypatch.setattr(folder_hub, "SETTLED_NS", 0)
    time.sleep(0.05)  # past the clock tick the hub was written in


def _reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names the folder hub reads from now on."""
    seen: list[str] = []
    real = folder_hub.read_bounded

    def counting(path: str, bound: int | None, *, dir_fd: int | None = None):  # type: ignore[no-untyped-def]
        seen.append(str(path))
        return real(path, bound, dir_fd=dir_fd)

    monkeypatch.setattr(folder_hub, "read_bounded", counting)
    return seen


def _rewrite_keeping_stat(path: Path, old: bytes, new: bytes) -> None:
    """Other bytes of the same size, the mtime put back: only the ctime tells."""
    data = path.read_bytes()
    assert old in data and len(old) == len(new)
    before = path.stat()
    time.sleep(0.05)
    path.write_bytes(data.replace(old, new, 1))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (
        before.st_size, before.st_mtime_ns, before.st_ino
    )  # fmt: skip


def _promoted(layout: Layout) -> set[str]:
    return {o.order_id for o in status(layout).orders if o.stage is Stage.PROMOTED}


def test_a_cached_listing_is_the_listing_read_and_reads_nothing(
    built: Built, settled_now: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = Layout(built.root)
    read = FolderHub(layout.default_hub).listing()  # no cache: every file read
    first = open_hub(layout, ".toyfoundry/hub")
    assert first.listing() == read
    assert isinstance(first, FolderHub) and first.cache is not None
    assert first.cache.is_relative_to(cache_root(built.root))  # under the git directory
    reads = _reads(monkeypatch)
    again = open_hub(layout, ".toyfoundry/hub")
    assert again.listing() == read and reads == []
    receipt = next(p for p in read if p.startswith("receipts/"))
    assert again.read([receipt]) == first.read([receipt])  # read when asked for


def test_a_forged_receipt_with_the_old_size_and_mtime_is_read_not_served(
    built: Built, settled_now: None
) -> None:
    layout = Layout(built.root)
    pushed = _promoted(layout)
    assert len(pushed) == LOT_SIZE + 3  # the seed shift's three and one lot
    oid = built.orders[0]
    assert oid in pushed
    (receipt,) = [
        p for p in (layout.default_hub / "receipts").iterdir() if oid.encode() in p.read_bytes()
    ]
    items = orjson.loads(receipt.read_bytes())["items"]
    (item,) = [i for i in items if i["path"] == f"reports/RPT-{oid}.json"]
    digest = item["digest"]["sha256"].encode()  # the report's, as listed
    forged = (b"0" if digest[:1] != b"0" else b"1") + digest[1:]
    _rewrite_keeping_stat(receipt, digest, forged)
    assert _promoted(layout) == pushed - {oid}  # the report is not the one it now lists


def test_a_swapped_report_with_the_old_size_and_mtime_is_not_held(
    built: Built, settled_now: None
) -> None:
    layout = Layout(built.root)
    pushed = _promoted(layout)
    oid = built.orders[1]
    report = layout.default_hub / f"reports/RPT-{oid}.json"
    _rewrite_keeping_stat(report, oid.encode(), oid.encode()[:-1] + b"X")
    assert _promoted(layout) == pushed - {oid}


def test_a_file_changed_after_the_listing_is_refused_when_read(
    built: Built, settled_now: None
) -> None:
    layout = Layout(built.root)
    open_hub(layout, ".toyfoundry/hub").listing()  # recorded
    hub = open_hub(layout, ".toyfoundry/hub")
    listing = hub.listing()  # from the cache: nothing read
    oid = built.orders[2]
    path = f"reports/RPT-{oid}.json"
    assert path in listing
    _rewrite_keeping_stat(layout.default_hub / path, oid.encode(), oid.encode()[:-1] + b"X")
    (data,) = hub.read([path]).values()
    assert isinstance(data, Refused) and data.reason == CHANGED


def test_a_file_that_has_not_settled_is_not_recorded(built: Built) -> None:
    layout = Layout(built.root)
    fresh = layout.default_hub / "notifications" / "fresh.json"
    fresh.write_bytes(b"{}")
    old = layout.default_hub / "notifications" / "old.json"
    old.write_bytes(b"{}")
    os.utime(old, ns=(1, 1))  # an old mtime says nothing: its ctime is now
    hub = open_hub(layout, ".toyfoundry/hub")
    assert isinstance(hub, FolderHub) and hub.cache is not None
    hub.listing()
    recorded = hub._recorded()
    assert "notifications/fresh.json" not in recorded
    assert "notifications/old.json" not in recorded


def test_a_torn_or_edited_cache_is_ignored(
    built: Built, settled_now: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = Layout(built.root)
    hub = open_hub(layout, ".toyfoundry/hub")
    read = hub.listing()
    assert isinstance(hub, FolderHub) and hub.cache is not None
    path = f"reports/RPT-{built.orders[3]}.json"
    cached = hub.cache.read_bytes()
    assert read[path].encode() in cached
    hub.cache.write_bytes(cached.replace(read[path].encode(), b"f" * 40))  # seal now wrong
    reads = _reads(monkeypatch)
    assert open_hub(layout, ".toyfoundry/hub").listing() == read
    assert f"RPT-{built.orders[3]}.json" in reads  # read, not taken from the edited cache


# What may happen to a hub file between two listings: each keeps or changes the bytes in its
# own way; the cached listing must be the listing read after every one of them.
EDITS = ("same-size", "same-size-old-mtime", "grow", "touch", "replace", "remove", "link")
edits = st.lists(st.tuples(st.sampled_from(EDITS), st.integers(0, 3)), min_size=1, max_size=6)


def _edit(hub: Path, edit: str, which: int) -> None:
    path = hub / "reports" / f"RPT-ALFA-2026-000{which}.json"
    before = path.stat() if path.is_file() and not path.is_symlink() else None
    if edit in {"remove", "link"} or before is None:
        path.unlink(missing_ok=True)
        if edit == "link":
            path.symlink_to(hub / "orders" / "ALFA-2026-0000.json")
        elif edit != "remove":  # it was gone or a link: a file again
            path.write_bytes(b'{"n": %d}' % which)
        return
    data = path.read_bytes()
    if edit == "grow":
        path.write_bytes(data + b" ")
    elif edit == "touch":
        os.utime(path)
    elif edit == "replace":  # a new file renamed over it, as an atomic write does
        spare = path.with_suffix(".tmp")
        spare.write_bytes(data[::-1])
        spare.replace(path)
    else:
        path.write_bytes(bytes(reversed(data)))  # same size, other bytes (unless symmetric)
        if edit == "same-size-old-mtime":
            os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))


@settings(max_examples=20, deadline=None)
@given(steps=edits)
def test_the_cached_listing_is_the_listing_read_after_any_edit(
    tmp_path_factory: pytest.TempPathFactory, steps: list[tuple[str, int]]
) -> None:
    hub = tmp_path_factory.mktemp("hub")
    for folder in ("orders", "reports"):
        (hub / folder).mkdir()
    for n in range(4):
        (hub / "orders" / f"ALFA-2026-000{n}.json").write_bytes(b'{"order": %d}' % n)
        (hub / "reports" / f"RPT-ALFA-2026-000{n}.json").write_bytes(b'{"report": %d}' % n)
    cache = tmp_path_factory.mktemp("cache") / "hub.json"
    # Settled after 20 ms, past the kernel's clock tick for file times: the test need not wait.
    with mock.patch.object(folder_hub, "SETTLED_NS", 20_000_000):
        for edit, which in [("touch", 0), *steps]:
            time.sleep(0.03)
            cached = FolderHub(hub, cache=cache)
            listing = cached.listing()
            read = FolderHub(hub)
            assert listing == read.listing()
            assert cached.read(sorted(listing)) == read.read(sorted(listing))
            _edit(hub, edit, which)
