"""The one bounded reader, as a user meets it: links, FIFOs, folders and huge files refused.

Each case runs the CLI in a subprocess with a timeout (a FIFO must never make a run wait),
and checks the exit code, the message and that nothing was written outside the factory.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git, init_repo, logged_runs, make_factory, run_cli
from tests.exchange_kit import directive, empty_factory, put_directives
from tests.reliability_kit import snapshot
from toyfoundry_ci.base.reader import UnreadableError, open_folder, read_bounded

HANG = 60  # seconds: far above any of these runs, far below a hung test run


def test_reader_refuses_link_fifo_folder_and_huge_sparse_file(tmp_path: Path) -> None:
    real = tmp_path / "real.json"
    real.write_bytes(b"{}")
    (tmp_path / "link.json").symlink_to(real)
    os.mkfifo(tmp_path / "fifo.json")
    (tmp_path / "folder.json").mkdir()
    with (tmp_path / "huge.json").open("wb") as fh:
        fh.truncate(1 << 40)  # a terabyte of holes: refused on its size, never read
    reasons = {}
    for name in ("link.json", "fifo.json", "folder.json", "huge.json", "none.json"):
        with pytest.raises(UnreadableError) as refused:
            read_bounded(tmp_path / name, 1024)
        reasons[name] = refused.value.reason
    assert reasons == {
        "link.json": "is a symbolic link; only regular files are read",
        "fifo.json": "is not a regular file (a FIFO, socket or device)",
        "folder.json": "is a folder, not a regular file",
        "huge.json": f"is {1 << 40} bytes, larger than the 1024-byte bound",
        "none.json": "no such file",
    }
    assert read_bounded(real, 2)[1] == b"{}"


def test_a_folder_walk_refuses_a_linked_folder(tmp_path: Path) -> None:
    (tmp_path / "outside").mkdir()
    (tmp_path / "root" / "a").mkdir(parents=True)
    (tmp_path / "root" / "a" / "b").symlink_to(tmp_path / "outside")
    with pytest.raises(UnreadableError) as refused, open_folder(tmp_path / "root", "a/b"):
        pass
    assert refused.value.reason == "a/b/ is a symbolic link to a folder; refused"


def test_pull_quarantines_links_fifos_and_huge_files_and_reports_other_names(
    tmp_path: Path,
) -> None:
    layout = empty_factory(tmp_path / "factory")
    hub = layout.default_hub
    put_directives(hub, ["ALFA-2027-0001"])
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "ALFA-2027-0002.json").write_bytes(directive("ALFA-2027-0002"))
    orders = hub / "orders"
    (orders / "ALFA-2027-0002.json").symlink_to(outside / "ALFA-2027-0002.json")
    os.mkfifo(orders / "ALFA-2027-0003.json")
    with (orders / "ALFA-2027-0004.json").open("wb") as fh:
        fh.truncate(1 << 36)
    (orders / "README").write_text("directives go here\n")
    (orders / "ALFA-2027-0005").write_bytes(directive("ALFA-2027-0005"))
    (orders / "sub").mkdir()
    before = snapshot(outside)

    result = run_cli("pull", cwd=layout.root, timeout=HANG)

    assert result.returncode == 1, result.stderr
    out = result.stdout
    assert "quarantined: orders/ALFA-2027-0002.json: the hub's file is a symbolic link" in out
    assert (
        "quarantined: orders/ALFA-2027-0003.json: the hub's file is not a regular file (a FIFO"
    ) in out
    assert (
        f"quarantined: orders/ALFA-2027-0004.json: the hub's file is {1 << 36} bytes,"
        " larger than the 5242880-byte bound"
    ) in out
    for name in ("README", "ALFA-2027-0005", "sub"):
        assert f"not taken: orders/{name} (only orders/<ORDER-ID>.json is a directive)" in out
    assert sorted(p.name for p in layout.orders.iterdir()) == ["ALFA-2027-0001.json"]
    assert snapshot(outside) == before
    assert "3 hub files not taken" in logged_runs(layout.root, "exchange_all")[-1]["detail"]


def test_a_symlinked_hub_folder_is_refused(tmp_path: Path) -> None:
    layout = empty_factory(tmp_path / "factory")
    elsewhere = tmp_path / "elsewhere"
    put_directives(elsewhere, ["ALFA-2027-0001"])
    layout.default_hub.mkdir(parents=True)
    (layout.default_hub / "orders").symlink_to(elsewhere / "orders")

    result = run_cli("pull", cwd=layout.root, timeout=HANG)

    assert result.returncode == 1
    assert "orders/ is a symbolic link to a folder; refused" in result.stderr
    assert "Traceback" not in result.stderr
    assert list(layout.orders.iterdir()) == []


def test_a_git_hub_name_without_json_is_reported_and_never_flips_the_order(
    tmp_path: Path,
) -> None:
    work = init_repo(tmp_path / "high-command")
    (work / "orders").mkdir()
    (work / "orders" / "ALFA-2027-0001.json").write_bytes(directive("ALFA-2027-0001"))
    (work / "orders" / "ALFA-2027-0001").write_bytes(directive("ALFA-2027-0001", notes="other"))
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "High Command: directives")
    bare = tmp_path / "hub.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    layout = empty_factory(tmp_path / "factory")

    first = run_cli("pull", "--hub", str(bare), cwd=layout.root, timeout=HANG)
    second = run_cli("pull", "--hub", str(bare), cwd=layout.root, timeout=HANG)

    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert "new      ALFA-2027-0001" in first.stdout
    assert "changed" not in second.stdout and "1 directive already mirrored" in second.stdout
    for run in (first, second):
        assert "not taken: orders/ALFA-2027-0001 (only orders/<ORDER-ID>.json" in run.stdout
    assert layout.order_file("ALFA-2027-0001").read_bytes() == directive("ALFA-2027-0001")


_SWAP = """
import os, sys
from pathlib import Path
from toyfoundry_ci.hub.folder import FolderHub
from toyfoundry_ci.hub.protocol import Refused
hub = FolderHub(Path(sys.argv[1]))
target = Path(sys.argv[1]) / "orders" / "ALFA-2027-0001.json"
target.unlink()
os.mkfifo(target)  # swapped in after High Command wrote the file
(data,) = hub.read(["orders/ALFA-2027-0001.json"]).values()
assert isinstance(data, Refused), data
print(data.reason)
"""


def test_a_fifo_swapped_into_a_hub_is_refused_not_waited_on(tmp_path: Path) -> None:
    put_directives(tmp_path / "hub", ["ALFA-2027-0001"])
    proc = subprocess.run(
        [sys.executable, "-c", _SWAP, str(tmp_path / "hub")],
        capture_output=True,
        text=True,
        timeout=HANG,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "is not a regular file (a FIFO, socket or device)\n"


@pytest.mark.parametrize("folder", ["exchange/orders", "logs", ".toyfoundry/quarantine"])
def test_pull_refuses_writing_through_a_linked_layout_folder(tmp_path: Path, folder: str) -> None:
    layout = empty_factory(tmp_path / "factory")
    put_directives(layout.default_hub, ["ALFA-2027-0001"])
    (layout.default_hub / "orders" / "ALFA-2027-0002.json").write_bytes(b"{not json")
    outside = tmp_path / "outside"
    outside.mkdir()
    link = layout.root / folder
    if link.is_dir():
        link.rmdir()
    link.parent.mkdir(parents=True, exist_ok=True)
    link.symlink_to(outside)

    result = run_cli("pull", cwd=layout.root, timeout=HANG)

    assert result.returncode == 1
    assert f"{link}: a folder of the factory is a symbolic link; refusing to write" in (
        result.stderr
    )
    assert "Traceback" not in result.stderr
    assert list(outside.iterdir()) == []


def test_readiness_fails_on_a_linked_layout_folder_with_a_fix(tmp_path: Path) -> None:
    repo = make_factory(tmp_path / "factory")
    assert "layout-folders" in run_cli("readiness", cwd=repo, timeout=HANG).stdout
    outside = tmp_path / "outside"
    (repo / "planning" / "storyboard").rename(outside)
    (repo / "planning" / "storyboard").symlink_to(outside)

    result = run_cli("readiness", cwd=repo, timeout=HANG)

    assert result.returncode == 1
    assert "FAIL  layout-folders     1 factory folder reached through a symbolic link" in (
        result.stdout
    )
    assert "planning/storyboard: a symbolic link; writes would land where it points" in (
        result.stdout
    )
    assert "git rm --cached PATH" in result.stdout


def test_a_fifo_in_the_mirror_is_replaced_by_pull_not_waited_on(tmp_path: Path) -> None:
    layout = empty_factory(tmp_path / "factory")
    put_directives(layout.default_hub, ["ALFA-2027-0001"])
    os.mkfifo(layout.order_file("ALFA-2027-0001"))

    result = run_cli("pull", cwd=layout.root, timeout=HANG)

    assert result.returncode == 0, result.stderr
    assert "new      ALFA-2027-0001" in result.stdout
    assert layout.order_file("ALFA-2027-0001").read_bytes() == directive("ALFA-2027-0001")


def test_readiness_refuses_a_fifo_in_place_of_evidence_at_once(tmp_path: Path) -> None:
    repo = make_factory(tmp_path / "factory")
    exports = repo / ".toyfoundry" / "telemetry" / "quilt" / "exports"
    export = sorted(exports.iterdir())[0]
    export.unlink()
    os.mkfifo(export)

    result = run_cli("readiness", cwd=repo, timeout=HANG)

    assert result.returncode == 1
    assert "is not a regular file (a FIFO, socket or device)" in result.stdout + result.stderr
    assert "Traceback" not in result.stderr
