"""pytest plugin: the ``github_server`` fixture, a GitHub API on loopback (tests/github_server)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.github_server import GitHubServer, Repo


@pytest.fixture
def github_server() -> Iterator[GitHubServer]:
    with GitHubServer() as server:
        yield server


@pytest.fixture
def github_hub_api(github_server: GitHubServer, monkeypatch: pytest.MonkeyPatch) -> GitHubServer:
    """``github_server`` as the API every hub request of this test (and its CLI runs) goes to,
    with its token and retries a hundredth of a second apart."""
    monkeypatch.setenv("TOYFOUNDRY_GITHUB_API_URL", github_server.url)
    monkeypatch.setenv("TOYFOUNDRY_HUB_TOKEN", github_server.token)
    monkeypatch.setenv("TOYFOUNDRY_GITHUB_BACKOFF", "0.01")
    return github_server


@pytest.fixture
def repo(github_server: GitHubServer) -> Repo:
    """The factory's repository on the loopback GitHub (``GITHUB_REPOSITORY`` in the kits)."""
    return github_server.add_repo("Codertocat/Hello-World")


@pytest.fixture
def hub_folder(unentered_factory: Path, tmp_path: Path) -> Path:
    """A folder hub the unentered factory is configured to push to."""
    from tests.ci_kit import configure_hub

    return configure_hub(unentered_factory, tmp_path / "hub")
