"""pytest plugin: the ``github_server`` fixture, a GitHub API on loopback (tests/github_server)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.github_server import GitHubServer


@pytest.fixture
def github_server() -> Iterator[GitHubServer]:
    with GitHubServer() as server:
        yield server
