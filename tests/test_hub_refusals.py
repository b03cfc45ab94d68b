"""Links, submodules and other entries that are no file are refused on every hub, and said.

A directive that is no file is quarantined like any refused directive; a link, a submodule, a
folder or a FIFO anywhere else on the hub (among the acknowledgements, reports or
notifications, or in place of a hub folder) is reported by pull and never read. The git hub
is a real bare repository with the links committed; the GitHub hub is the loopback API, which
lists a link as a blob of mode 120000 and a submodule as a commit of mode 160000, as GitHub does.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import git, init_repo, logged_runs, run_cli
from tests.exchange_kit import directive, empty_factory, put_directives
from tests.github_server import GitHubServer

HANG = 60  # seconds: far above any of these runs, far below a hung test run
SUBMODULE = "0123456789abcdef0123456789abcdef01234567"  # a commit of some other repository
GOOD, LINKED = "ALFA-2027-0001", "ALFA-2027-0002"
LINK = "is a symbolic link; only regular files are read"


def assert_refusals_reported(out: str, layout_orders: Path) -> None:
    """What every hub's pull says about the links and the submodule planted below."""
    assert f"new      {GOOD}" in out
    assert f"quarantined: orders/{LINKED}.json: the hub's file {LINK}" in out
    assert f"refused: acknowledgements/ACK-{GOOD}.json: {LINK} (not read)" in out
    assert "refused: reports/vendor: is a submodule (a gitlink), not a regular file" in out
    assert "refused: reports/old: is a folder, not a regular file (not read)" in out
    assert "not taken: orders/sub (only orders/<ORDER-ID>.json is a directive)" in out
    assert sorted(p.name for p in layout_orders.iterdir()) == [f"{GOOD}.json"]


@pytest.fixture
def git_hub(tmp_path: Path) -> Path:
    """A bare hub whose branch holds one directive, links and a submodule, committed."""
    work = init_repo(tmp_path / "high-command")
    for folder in ("orders", "acknowledgements", "reports"):
        (work / folder).mkdir()
    (work / "orders" / f"{GOOD}.json").write_bytes(directive(GOOD))
    for nested in ("orders/sub", "reports/old"):
        (work / nested).mkdir()
        (work / nested / f"{GOOD}.json").write_bytes(directive(GOOD))
    (work / "orders" / f"{LINKED}.json").symlink_to(f"{GOOD}.json")
    (work / "acknowledgements" / f"ACK-{GOOD}.json").symlink_to("/etc/passwd")
    (work / "notifications").symlink_to("orders")
    git(work, "add", "-A")
    git(work, "update-index", "--add", "--cacheinfo", f"160000,{SUBMODULE},reports/vendor")
    git(work, "commit", "-q", "-m", "High Command: a directive, links and a submodule")
    assert "120000" in git(work, "ls-tree", "-r", "HEAD")
    bare = tmp_path / "hub.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return bare


def test_git_hub_links_and_submodules_are_quarantined_or_reported(
    tmp_path: Path, git_hub: Path
) -> None:
    layout = empty_factory(tmp_path / "factory")

    result = run_cli("pull", "--hub", str(git_hub), cwd=layout.root, timeout=HANG)

    assert result.returncode == 1, result.stderr  # a directive was quarantined
    assert "Traceback" not in result.stderr
    assert_refusals_reported(result.stdout, layout.orders)
    assert "refused: notifications: is a symbolic link to a folder; refused" in result.stdout
    log = json.dumps(logged_runs(layout.root, "exchange_all"))
    assert "4 hub entries refused: acknowledgements/ACK-ALFA-2027-0001.json" in log
    report = (layout.quarantine / "report.json").read_text()
    assert f"orders/{LINKED}.json" in report


@pytest.fixture
def gh(github_hub_api: GitHubServer) -> GitHubServer:
    repo = github_hub_api.add_repo(
        "high-command/hub",
        files={
            f"{folder}{GOOD}.json": directive(GOOD)
            for folder in ("orders/", "orders/sub/", "reports/old/")
        },
    )
    github_hub_api.push_links(
        repo,
        {
            f"orders/{LINKED}.json": f"{GOOD}.json",
            f"acknowledgements/ACK-{GOOD}.json": "/etc/passwd",
        },
        {"reports/vendor": SUBMODULE},
    )
    return github_hub_api


def test_github_hub_links_and_submodules_are_quarantined_or_reported(
    tmp_path: Path, gh: GitHubServer
) -> None:
    layout = empty_factory(tmp_path / "factory")

    result = run_cli("pull", "--hub", "github://high-command/hub", cwd=layout.root, timeout=HANG)

    assert result.returncode == 1, result.stderr  # a directive was quarantined
    assert "Traceback" not in result.stderr
    assert_refusals_reported(result.stdout, layout.orders)
    link_blobs = {
        sha for sha, data in gh.repos["high-command/hub"].blobs.items() if data == b"/etc/passwd"
    }
    read = {r.path.rsplit("/", 1)[-1] for r in gh.requests if "/git/blobs/" in r.path}
    assert link_blobs and not link_blobs & read  # the tree's mode said it: never downloaded


def test_a_folder_hub_reports_links_and_fifos_outside_orders(tmp_path: Path) -> None:
    layout = empty_factory(tmp_path / "factory")
    hub = layout.default_hub
    put_directives(hub, [GOOD])
    for folder in ("acknowledgements", "reports", "notifications"):
        (hub / folder).mkdir()
    (hub / "acknowledgements" / f"ACK-{GOOD}.json").symlink_to("/etc/passwd")
    (hub / "reports" / f"RPT-{GOOD}.json").symlink_to(tmp_path / "nowhere.json")
    os.mkfifo(hub / "notifications" / "lot.json")

    result = run_cli("pull", cwd=layout.root, timeout=HANG)

    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert f"new      {GOOD}" in out
    assert f"refused: acknowledgements/ACK-{GOOD}.json: {LINK} (not read)" in out
    assert f"refused: reports/RPT-{GOOD}.json: {LINK} (not read)" in out
    assert (
        "refused: notifications/lot.json: is not a regular file (a FIFO, socket or device)"
    ) in out
    assert "3 hub entries refused" in json.dumps(logged_runs(layout.root, "exchange_all"))
