"""The git hub: a local bare repository, and the same repository served by `git daemon`."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import git, init_repo, log_files, logged_runs, run_cli
from tests.exchange_kit import directive, empty_factory, sealed_factory
from toyfoundry_ci.exchange.pull import pull
from toyfoundry_ci.exchange.push import push
from toyfoundry_ci.hub.config import open_hub


def bare_hub(tmp_path: Path, orders: list[str]) -> Path:
    """A bare hub repository whose main branch holds High Command's directives."""
    work = init_repo(tmp_path / "high-command")
    (work / "orders").mkdir()
    for oid in orders:
        (work / "orders" / f"{oid}.json").write_bytes(directive(oid))
    (work / "README.md").write_text("hub\n")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "High Command: directives")
    bare = tmp_path / "hub.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    return bare


def commits(bare: Path) -> int:
    return int(git(bare, "rev-list", "--count", "main").strip())


def test_push_to_a_bare_repository_is_one_commit_and_idempotent(tmp_path: Path) -> None:
    layout, ids = sealed_factory(tmp_path / "factory", 4)
    bare = bare_hub(tmp_path, ids)

    first = run_cli("push", "--hub", str(bare), cwd=layout.root)
    assert first.returncode == 0, first.stderr
    assert commits(bare) == 2
    tree = git(bare, "ls-tree", "-r", "--name-only", "main").split()
    assert {f"acknowledgements/ACK-{i}.json" for i in ids} <= set(tree)
    assert sum(p.startswith("receipts/") for p in tree) == 1
    assert sum(p.startswith("notifications/") for p in tree) == 1

    again = run_cli("push", "--hub", str(bare), cwd=layout.root)
    assert "nothing new to push" in again.stdout
    assert commits(bare) == 2


def test_pull_from_git_and_retry_when_the_branch_moved(tmp_path: Path) -> None:
    bare = bare_hub(tmp_path, ["ALFA-2027-0001", "ALFA-2027-0010", "ALFA-2027-0011"])
    layout, _ids = sealed_factory(tmp_path / "factory", 2, start=10)
    hub = open_hub(layout, str(bare))
    assert [o for o, _ in pull(layout, hub).new] == ["ALFA-2027-0001"]
    hub.listing()  # the cache now knows the branch head ...
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(bare), str(other))
    (other / "orders" / "ALFA-2027-0002.json").write_bytes(directive("ALFA-2027-0002"))
    git(other, "add", "-A")
    git(other, "commit", "-q", "-m", "High Command: one more directive")
    git(other, "push", "-q", "origin", "main")  # ... and High Command moves it meanwhile

    result = push(layout, hub, "factory")

    assert result.result == "ok"
    assert commits(bare) == 3  # directives, another directive, our one publication
    tree = git(bare, "ls-tree", "-r", "--name-only", "main").split()
    assert "orders/ALFA-2027-0002.json" in tree
    assert "reports/RPT-ALFA-2027-0010.json" in tree


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def git_daemon(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """`git daemon` on loopback serving tmp_path/served with push enabled."""
    served = tmp_path / "served"
    served.mkdir()
    bare = bare_hub(served, ["ALFA-2027-0001", "ALFA-2027-0020", "ALFA-2027-0021"])
    port = free_port()
    proc = subprocess.Popen(
        [
            "git", "daemon", "--export-all", "--enable=receive-pack", "--reuseaddr",
            f"--base-path={served}", "--listen=127.0.0.1", f"--port={port}", str(served),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.05)
    try:
        yield f"git://127.0.0.1:{port}/hub.git", bare
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_pull_and_push_through_git_daemon(tmp_path: Path, git_daemon: tuple[str, Path]) -> None:
    url, bare = git_daemon
    layout = empty_factory(tmp_path / "factory")
    (layout.root / "pyproject.toml").write_text(f'[tool.toyfoundry]\nhub = "{url}"\n')

    pulled = run_cli("pull", cwd=layout.root)
    assert pulled.returncode == 0, pulled.stderr
    assert f"pulled from {url}: 3 new" in pulled.stdout
    sealed_factory(layout.root, 2, start=20)

    pushed = run_cli("push", cwd=layout.root)
    assert pushed.returncode == 0, pushed.stderr
    assert f"pushed 2 orders to {url} in one publication" in pushed.stdout
    assert commits(bare) == 2
    assert "nothing new" in run_cli("push", cwd=layout.root).stdout


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("https://operator:s3cret-token@127.0.0.1:9/hub.git", "https://127.0.0.1:9/hub.git"),
        (
            "https://127.0.0.1:9/hub.git?access_token=s3cret-token#main",
            "https://127.0.0.1:9/hub.git#main",
        ),
    ],
    ids=["userinfo", "query-string"],
)
def test_credentials_in_a_hub_url_never_reach_output_or_log(
    tmp_path: Path, url: str, shown: str
) -> None:
    layout, _ = sealed_factory(tmp_path / "factory", 1)

    result = run_cli("push", "--hub", url, cwd=layout.root)

    assert result.returncode == 1
    assert shown in result.stderr
    assert "s3cret" not in result.stdout + result.stderr
    (run,) = logged_runs(layout.root, "exchange_all")
    assert (run["hub"], run["result"]) == (shown, "failed")
    assert all("s3cret" not in log.read_text() for log in log_files(layout.root, "exchange_all"))


def test_an_oversized_directive_is_quarantined_and_the_rest_pulled(tmp_path: Path) -> None:
    bare = bare_hub(tmp_path, ["ALFA-2027-0001"])
    other = tmp_path / "other"
    git(tmp_path, "clone", "-q", str(bare), str(other))
    big = directive("ALFA-2027-0002", notes="x" * (6 * 1024 * 1024))
    (other / "orders" / "ALFA-2027-0002.json").write_bytes(big)
    git(other, "add", "-A")
    git(other, "commit", "-q", "-m", "High Command: a directive too large")
    git(other, "push", "-q", "origin", "main")
    layout = empty_factory(tmp_path / "factory")

    result = pull(layout, open_hub(layout, str(bare)))

    assert [o for o, _ in result.new] == ["ALFA-2027-0001"]
    (held,) = result.quarantined
    assert held.hub_path == "orders/ALFA-2027-0002.json"
    assert "5242880-byte bound" in held.reason
    assert not layout.order_file("ALFA-2027-0002").exists()
