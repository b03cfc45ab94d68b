"""A slow or failing GitHub hub request says so, with its next try; no connection fails fast."""

from __future__ import annotations

import socket
import time
from pathlib import Path

from tests.conftest import run_cli
from tests.exchange_kit import directive, empty_factory
from tests.github_server import GitHubServer

HUB = "github://high-command/hub"


def test_each_retry_is_announced_with_its_next_try(
    tmp_path: Path, github_server: GitHubServer
) -> None:
    github_server.add_repo(
        "high-command/hub", files={"orders/ALFA-2027-0001.json": directive("ALFA-2027-0001")}
    )
    github_server.fail_next(502, method="GET", path=r"/git/ref/")
    github_server.fail_next(503, method="GET", path=r"/git/ref/")
    layout = empty_factory(tmp_path / "factory")
    env = {
        "TOYFOUNDRY_GITHUB_API_URL": github_server.url,
        "TOYFOUNDRY_HUB_TOKEN": github_server.token,
        "TOYFOUNDRY_GITHUB_BACKOFF": "0.01",
    }

    pulled = run_cli("pull", "--hub", HUB, cwd=layout.root, env=env)

    assert pulled.returncode == 0, pulled.stderr
    notices = [line for line in pulled.stderr.splitlines() if line.startswith("hub request")]
    assert len(notices) == 2, pulled.stderr
    assert notices[0].startswith("hub request GET /repos/high-command/hub/git/ref/heads/main: ")
    assert notices[0].endswith(": HTTP 502; try 2 of 7 in 0 s")
    assert notices[1].endswith(": HTTP 503; try 3 of 7 in 0 s")
    assert "new      ALFA-2027-0001" in pulled.stdout


def test_no_connection_fails_fast_and_says_each_try(tmp_path: Path) -> None:
    with socket.socket() as closed:  # a port nothing listens on: connection refused
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    layout = empty_factory(tmp_path / "factory")
    env = {"TOYFOUNDRY_GITHUB_API_URL": f"http://127.0.0.1:{port}", "TOYFOUNDRY_HUB_TOKEN": "t"}

    started = time.monotonic()
    pulled = run_cli("pull", "--hub", HUB, cwd=layout.root, env=env)
    took = time.monotonic() - started

    assert pulled.returncode == 1
    assert took < 10, f"{took:.1f} s before the error"
    tries = [line for line in pulled.stderr.splitlines() if line.startswith("hub request")]
    assert [t.rsplit(";", 1)[1].split(" in ")[0] for t in tries] == [" try 2 of 3", " try 3 of 3"]
    assert all(": cannot connect (refused or unreachable);" in t for t in tries), tries
    assert "cannot connect to the API server" in pulled.stderr
    assert "Traceback" not in pulled.stderr
