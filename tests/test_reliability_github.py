"""The loopback GitHub API failing for good: retried within bounds, then a clear failure.

500, 502, 429 with Retry-After, 403 secondary rate limit and a hang past the client's
timeout, each on a step of the push, every retry answered with the same fault. The CLI exits
1 with a message naming the hub and the status, never a traceback; the hub holds no receipt,
no issue is opened, and the exchange log records a failed push, never a pushed one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import logged_runs, run_cli
from tests.exchange_kit import issued, sealed_factory
from tests.github_server import Fault, GitHubServer

HUB = "github://high-command/hub"
RETRIES = 6  # GithubRetry(total=6) in the backend: 7 tries at most per request


@pytest.fixture
def gh(github_server: GitHubServer, monkeypatch: pytest.MonkeyPatch) -> GitHubServer:
    github_server.add_repo("high-command/hub", files={"README.md": b"hub\n", **issued(1, 2)})
    monkeypatch.setenv("TOYFOUNDRY_GITHUB_API_URL", github_server.url)
    monkeypatch.setenv("TOYFOUNDRY_HUB_TOKEN", github_server.token)
    monkeypatch.setenv("TOYFOUNDRY_GITHUB_BACKOFF", "0.01")
    monkeypatch.setenv("TOYFOUNDRY_GITHUB_TIMEOUT", "1")
    return github_server


FAULTS = {
    "500 on reading the branch": Fault(500, method="GET", path=r"/git/ref/"),
    "502 on creating the tree": Fault(502, method="POST", path=r"/git/trees$"),
    "429 on creating the commit": Fault(
        429, method="POST", path=r"/git/commits$", headers={"Retry-After": "0"}
    ),
    "403 secondary rate limit on moving the ref": Fault(
        403,
        "You have exceeded a secondary rate limit",
        headers={"Retry-After": "0"},
        method="PATCH",
        path=r"/git/refs/",
    ),
    "hang past the timeout on moving the ref": Fault(
        504, method="PATCH", path=r"/git/refs/", delay=1.5
    ),
}


@pytest.mark.parametrize(
    "name",
    [
        pytest.param(n, marks=pytest.mark.slow) if FAULTS[n].delay else n  # 7 timeouts
        for n in FAULTS
    ],
)
def test_persistent_fault_fails_clearly_and_records_nothing_pushed(
    tmp_path: Path, gh: GitHubServer, name: str
) -> None:
    fault = FAULTS[name]
    layout, _ = sealed_factory(tmp_path / "factory", 2)
    gh.faults += [fault] * (RETRIES + 5)
    head = gh.repos["high-command/hub"].refs["heads/main"]

    result = run_cli("push", "--hub", HUB, cwd=layout.root)

    assert result.returncode == 1, result.stdout
    assert "Traceback" not in result.stderr, result.stderr
    error = next(ln for ln in result.stderr.splitlines() if ln.startswith("error: "))
    assert error.startswith("error: github://high-command/hub@main"), result.stderr
    assert "gave up after retries" in error or "no answer within 1 s" in error
    tried = [r.status for r in gh.requests if fault.matches(r.method, r.path)]
    assert 2 <= len(tried) <= RETRIES + 1  # retried, within bounds
    assert set(tried) == {fault.status}  # every try met the fault
    repo = gh.repos["high-command/hub"]
    assert not any(p.startswith("receipts/") for p in gh.files_at(repo, "main"))
    assert repo.issues == {}
    if fault.method != "PATCH":
        assert repo.refs["heads/main"] == head
    runs = logged_runs(layout.root, "exchange_all")
    assert [(r["direction"], r["result"], r["orders"]) for r in runs] == [("push", "failed", [])]


def test_after_the_fault_clears_the_same_push_lands_once(tmp_path: Path, gh: GitHubServer) -> None:
    layout, _ = sealed_factory(tmp_path / "factory", 2)
    gh.faults += [Fault(502, method="PATCH", path=r"/git/refs/")] * (RETRIES + 5)
    assert run_cli("push", "--hub", HUB, cwd=layout.root).returncode == 1
    gh.faults.clear()

    result = run_cli("push", "--hub", HUB, cwd=layout.root)

    assert result.returncode == 0, result.stderr
    repo = gh.repos["high-command/hub"]
    assert sum(p.startswith("receipts/") for p in gh.files_at(repo, "main")) == 1
    assert len(repo.issues) == 1
