"""The GitHub hub through PyGithub against the loopback GitHub API server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.exchange_kit import directive, sealed_factory
from tests.github_hub_server import TOKEN, Fault, GitHubServer
from toyfoundry_ci.base.errors import HubError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.exchange.pull import pull
from toyfoundry_ci.exchange.push import push
from toyfoundry_ci.hub.config import open_hub

HUB = "github://high-command/hub"


@pytest.fixture
def gh(monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubServer]:
    with GitHubServer() as server:
        server.create_repo(
            "high-command/hub", {"orders/ALFA-2027-0001.json": directive("ALFA-2027-0001")}
        )
        monkeypatch.setenv("TOYFOUNDRY_GITHUB_API_URL", server.url)
        monkeypatch.setenv("TOYFOUNDRY_HUB_TOKEN", TOKEN)
        monkeypatch.setenv("TOYFOUNDRY_GITHUB_BACKOFF", "0.01")
        yield server


@pytest.mark.slow  # writes 500 sealed orders first
def test_push_is_one_commit_in_a_constant_number_of_requests(
    tmp_path: Path, gh: GitHubServer
) -> None:
    layout, ids = sealed_factory(tmp_path / "factory", 500)
    hub = open_hub(layout, HUB)

    result = push(layout, hub, "factory")

    assert result.result == "ok"
    assert gh.count() <= 8
    assert gh.count("POST") == 3 and gh.count("PATCH") == 1  # tree, commit, issue; ref
    files = gh.repos["high-command/hub"].files()
    assert sum(p.startswith("reports/") for p in files) == 500
    assert json.loads(files[f"acknowledgements/ACK-{ids[0]}.json"])["ack_id"] == f"ACK-{ids[0]}"
    (issue,) = gh.repos["high-command/hub"].issues
    assert issue["title"].startswith("Lot ") and ids[0] in issue["body"]

    before = gh.count()
    assert push(layout, open_hub(layout, HUB), "factory").result == "nothing-new"
    assert gh.count() - before <= 4  # ref, commit, tree, the one receipt (then cached)


def test_pull_and_push_from_the_cli(tmp_path: Path, gh: GitHubServer) -> None:
    layout = Layout(tmp_path / "factory")
    layout.root.mkdir()
    (layout.root / "pyproject.toml").write_text(f'[tool.toyfoundry]\nhub = "{HUB}@main"\n')

    pulled = run_cli("pull", cwd=layout.root)
    assert pulled.returncode == 0, pulled.stderr
    assert "new      ALFA-2027-0001" in pulled.stdout
    sealed_factory(layout.root, 2, start=5)
    pushed = run_cli("push", cwd=layout.root)
    assert pushed.returncode == 0, pushed.stderr
    assert f"pushed 2 order(s) to github://high-command/hub@main via {gh.url}" in pushed.stdout
    assert TOKEN not in (layout.root / "logs/exchange_all.json").read_text()


def test_rate_limits_and_server_errors_are_retried(tmp_path: Path, gh: GitHubServer) -> None:
    layout, _ = sealed_factory(tmp_path / "factory", 3)
    gh.faults += [
        Fault("GET", r"/git/ref/", 502),
        Fault("POST", r"/git/trees$", 429, {"Retry-After": "0"}),
        Fault("POST", r"/git/commits$", 403, {"Retry-After": "0"}, "secondary rate limit"),
        Fault("PATCH", r"/git/refs/", 503),
    ]

    result = push(layout, open_hub(layout, HUB), "factory")

    assert result.result == "ok"
    assert gh.faults == []
    assert sum(p.startswith("receipts/") for p in gh.repos["high-command/hub"].files()) == 1


def test_stale_ref_refetches_and_retries(tmp_path: Path, gh: GitHubServer) -> None:
    layout, ids = sealed_factory(tmp_path / "factory", 2, start=10)
    hub = open_hub(layout, HUB)
    assert pull(layout, hub).new  # the hub's head is now known to the backend
    gh.push_files("high-command/hub", {"orders/ALFA-2027-0099.json": directive("ALFA-2027-0099")})

    result = push(layout, hub, "factory")

    assert result.result == "ok"
    files = gh.repos["high-command/hub"].files()
    assert "orders/ALFA-2027-0099.json" in files and f"reports/RPT-{ids[1]}.json" in files


def test_without_a_token_the_error_says_what_to_set(
    tmp_path: Path, gh: GitHubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("TOYFOUNDRY_HUB_TOKEN")
    layout, _ = sealed_factory(tmp_path / "factory", 1)

    with pytest.raises(HubError) as caught:
        push(layout, open_hub(layout, HUB), "factory")

    assert "401" in caught.value.message
    assert "TOYFOUNDRY_HUB_TOKEN" in (caught.value.hint or "")


def test_unknown_repository_is_a_clear_error(tmp_path: Path, gh: GitHubServer) -> None:
    layout, _ = sealed_factory(tmp_path / "factory", 1)

    result = run_cli("push", "--hub", "github://nobody/missing", cwd=layout.root)

    assert result.returncode == 1
    assert "github://nobody/missing@main" in result.stderr and "404" in result.stderr
