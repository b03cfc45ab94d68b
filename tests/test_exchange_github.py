"""The GitHub hub through PyGithub against the loopback GitHub API server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import log_files, run_cli
from tests.exchange_kit import directive, empty_factory, issued, sealed_factory
from tests.github_server import GitHubServer, Repo
from toyfoundry_ci.base.cachedir import cache_root
from toyfoundry_ci.base.errors import HubError
from toyfoundry_ci.exchange.pull import pull
from toyfoundry_ci.exchange.push import push
from toyfoundry_ci.hub.config import open_hub

HUB = "github://high-command/hub"


@pytest.fixture
def gh(github_server: GitHubServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[GitHubServer]:
    github_server.add_repo("high-command/hub", files=issued(1, 20))
    monkeypatch.setenv("TOYFOUNDRY_GITHUB_API_URL", github_server.url)
    monkeypatch.setenv("TOYFOUNDRY_HUB_TOKEN", github_server.token)
    monkeypatch.setenv("TOYFOUNDRY_GITHUB_BACKOFF", "0.01")
    yield github_server


def hub_repo(gh: GitHubServer) -> Repo:
    return gh.repos["high-command/hub"]


@pytest.mark.slow  # writes 500 sealed orders first
def test_push_is_one_commit_in_a_constant_number_of_requests(
    tmp_path: Path, gh: GitHubServer
) -> None:
    layout, ids = sealed_factory(tmp_path / "factory", 500)
    gh.push_files(hub_repo(gh), issued(21, 500))
    hub = open_hub(layout, HUB)
    gh.requests.clear()

    result = push(layout, hub, "factory")

    assert result.result == "ok"
    assert gh.count() <= 9  # + the repository, for its default branch
    assert gh.count("POST") == 3 and gh.count("PATCH") == 1  # tree, commit, issue; ref
    files = gh.files_at(hub_repo(gh), "main")
    assert sum(p.startswith("reports/") for p in files) == 500
    assert json.loads(files[f"acknowledgements/ACK-{ids[0]}.json"])["ack_id"] == f"ACK-{ids[0]}"
    (issue,) = hub_repo(gh).issues.values()
    assert issue["title"].startswith("Lot ") and ids[0] in issue["body"]

    before = gh.count()
    assert push(layout, open_hub(layout, HUB), "factory").result == "nothing-new"
    assert gh.count() - before <= 5  # repository, ref, commit, tree, the one receipt


def test_pull_and_push_from_the_cli(tmp_path: Path, gh: GitHubServer) -> None:
    layout = empty_factory(tmp_path / "factory")
    (layout.root / "pyproject.toml").write_text(f'[tool.toyfoundry]\nhub = "{HUB}@main"\n')

    pulled = run_cli("pull", cwd=layout.root)
    assert pulled.returncode == 0, pulled.stderr
    assert "new      ALFA-2027-0001" in pulled.stdout
    # The blobs read are cached outside the work tree, where no commit can plant one.
    assert list(cache_root(layout.root).glob("hub-github-*/blobs/*"))
    assert not (layout.root / ".toyfoundry" / "cache").exists()
    sealed_factory(layout.root, 2, start=5)
    pushed = run_cli("push", cwd=layout.root)
    assert pushed.returncode == 0, pushed.stderr
    assert f"pushed 2 orders to github://high-command/hub@main via {gh.url}" in pushed.stdout
    assert all(gh.token not in log.read_text() for log in log_files(layout.root, "exchange_all"))


def test_rate_limits_and_server_errors_are_retried(tmp_path: Path, gh: GitHubServer) -> None:
    layout, _ = sealed_factory(tmp_path / "factory", 3)
    gh.fail_next(502, method="GET", path=r"/git/ref/")
    gh.fail_next(429, method="POST", path=r"/git/trees$", headers={"Retry-After": "0"})
    gh.fail_next(
        403, "secondary rate limit", method="POST", path=r"/git/commits$",
        headers={"Retry-After": "0"},
    )  # fmt: skip
    gh.fail_next(503, method="PATCH", path=r"/git/refs/")

    result = push(layout, open_hub(layout, HUB), "factory")

    assert result.result == "ok"
    assert not gh.faults
    assert sum(p.startswith("receipts/") for p in gh.files_at(hub_repo(gh), "main")) == 1


def test_stale_ref_refetches_and_retries(tmp_path: Path, gh: GitHubServer) -> None:
    layout, ids = sealed_factory(tmp_path / "factory", 2, start=10)
    hub = open_hub(layout, HUB)
    assert pull(layout, hub).new  # the hub's head is now known to the backend
    gh.push_files(hub_repo(gh), {"orders/ALFA-2027-0099.json": directive("ALFA-2027-0099")})

    result = push(layout, hub, "factory")

    assert result.result == "ok"
    files = gh.files_at(hub_repo(gh), "main")
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
    assert "github://nobody/missing via" in result.stderr
    assert "cannot read the hub repository: 404" in result.stderr


def test_an_oversized_directive_is_quarantined_and_the_rest_pulled(
    tmp_path: Path, github_server: GitHubServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    github_server.add_repo(
        "high-command/big-hub",
        files={
            "orders/ALFA-2027-0001.json": directive("ALFA-2027-0001"),
            "orders/ALFA-2027-0002.json": directive("ALFA-2027-0002", notes="x" * 6_000_000),
        },
    )
    monkeypatch.setenv("TOYFOUNDRY_GITHUB_API_URL", github_server.url)
    monkeypatch.setenv("TOYFOUNDRY_HUB_TOKEN", github_server.token)
    layout = empty_factory(tmp_path / "factory")

    result = pull(layout, open_hub(layout, "github://high-command/big-hub"))

    assert [o for o, _ in result.new] == ["ALFA-2027-0001"]
    (held,) = result.quarantined
    assert held.hub_path == "orders/ALFA-2027-0002.json"
    assert "5242880-byte bound" in held.reason and "never downloaded" in held.reason
    assert not layout.order_file("ALFA-2027-0002").exists()
    repo = github_server.repos["high-command/big-hub"]
    (big,) = [sha for sha, data in repo.blobs.items() if len(data) > 6_000_000]
    blobs = [r.path for r in github_server.requests if "/git/blobs/" in r.path]
    assert len(blobs) == 1 and not blobs[0].endswith(big)  # the tree said its size: never read
