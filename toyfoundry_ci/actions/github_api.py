"""A PyGithub client for the runner's API URL and token (GHES and loopback included)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from toyfoundry_ci.actions.runner import RunnerContext

if TYPE_CHECKING:
    from github import Github


def client(ctx: RunnerContext) -> Github:
    from github import Auth, Github

    # Retries only for rate limits and 5xx; the entry points are idempotent, so a re-run is safe.
    return Github(base_url=ctx.api_url, auth=Auth.Token(ctx.require_token()), retry=2)
