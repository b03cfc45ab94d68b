"""The loopback GitHub API failing for good: retried within bounds, then a clear failure.

500, 502, 429 with Retry-After, 403 secondary rate limit and a hang past the client's
timeout, each on a step of the push, every retry answered with the same fault. The CLI exits
1 with a message naming the hub and the status, never a traceback; the hub holds no receipt,
no issue is opened, and the exchange log records a failed push, never a pushed one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.exchange_kit import sealed_factory
from tests.github_hub_server import TOKEN, Fault, GitHubServer
from toyfoundry_ci.base.layout import Layout

HUB = "github://high-command/hub"
RETRIES = 6  # GithubRetry(total=6) in the backend: 7 tries at most per request


@pytest.fixture
def gh(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubServer]:
    with GitHubServer() as server:
        server.create_repo("high-command/hub")
        monkeypatch.setenv("TOYFOUNDRY_GITHUB_API_URL", server.url)
        monkeypatch.setenv("TOYFOUNDRY_HUB_TOKEN", TOKEN)
        monkeypatch.setenv("TOYFOUNDRY_GITHUB_BACKOFF", "0.01")
        monkeypatch.setenv("TOYFOUNDRY_GITHUB_TIMEOUT", "1")
        yield server


FAULTS = {
    "500 on reading the branch": Fault("GET", r"/git/ref/", 500),
    "502 on creating the tree": Fault("POST", r"/git/trees$", 502),
    "429 on creating the commit": Fault("POST", r"/git/commits$", 429, {"Retry-After": "0"}),
    "403 secondary rate limit on moving the ref": Fault(
        "PATCH",
        r"/git/refs/",
        403,
        {"Retry-After": "0"},
        "You have exceeded a secondary rate limit",
    ),
    "hang past the timeout on moving the ref": Fault("PATCH", r"/git/refs/", 504, delay=1.5),
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
    tried = sum(1 for m, p in gh.requests if m == fault.method and fault.path.strip("$") in p)
    assert 2 <= tried <= RETRIES + 1  # retried, within bounds
    repo = gh.repos["high-command/hub"]
    assert not any(p.startswith("receipts/") for p in repo.files())
    assert repo.issues == []
    if fault.method != "PATCH":
        assert repo.refs["heads/main"] == head
    runs = json.loads(Layout(layout.root).exchange_log.read_text(encoding="utf-8"))["runs"]
    assert [(r["direction"], r["result"], r["orders"]) for r in runs] == [("push", "failed", [])]


def test_after_the_fault_clears_the_same_push_lands_once(tmp_path: Path, gh: GitHubServer) -> None:
    layout, _ = sealed_factory(tmp_path / "factory", 2)
    gh.faults += [Fault("PATCH", r"/git/refs/", 502)] * (RETRIES + 5)
    assert run_cli("push", "--hub", HUB, cwd=layout.root).returncode == 1
    gh.faults.clear()

    result = run_cli("push", "--hub", HUB, cwd=layout.root)

    assert result.returncode == 0, result.stderr
    repo = gh.repos["high-command/hub"]
    assert sum(p.startswith("receipts/") for p in repo.files()) == 1
    assert len(repo.issues) == 1
