"""The factory repository's client for an entry point (``github.client``, target REPOSITORY)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from toyfoundry_ci.actions.runner import RunnerContext
from toyfoundry_ci.github.client import REPOSITORY, Connection

if TYPE_CHECKING:
    from github import Github


def connection(ctx: RunnerContext) -> Connection:
    """The one client for the runner's repository, from the environment ``ctx`` was read from."""
    return Connection(REPOSITORY, ctx.repository)


def client(ctx: RunnerContext) -> Github:
    ctx.require_token()
    return connection(ctx).github


@contextmanager
def api_errors(ctx: RunnerContext) -> Iterator[None]:
    """A GitHub API failure (a status, no connection, a timeout) as a message with a hint."""
    conn = connection(ctx)
    with conn.guard(conn.place, "complete the request"):
        yield
