"""A PyGithub client for the runner's API URL and token (GHES and loopback included)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from toyfoundry_ci.actions.runner import RunnerContext, RunnerError

if TYPE_CHECKING:
    from github import Github


def client(ctx: RunnerContext) -> Github:
    from github import Auth, Github

    # Retries only for rate limits and 5xx; the entry points are idempotent, so a re-run is safe.
    return Github(base_url=ctx.api_url, auth=Auth.Token(ctx.require_token()), retry=2)


@contextmanager
def api_errors(ctx: RunnerContext) -> Iterator[None]:
    """A GitHub API failure as a message that names the status and what to check."""
    from github import GithubException

    try:
        yield
    except GithubException as exc:
        data = exc.data if isinstance(exc.data, dict) else {}
        detail = str(data.get("message") or "no message")[:300]
        hint = {
            401: "the token was refused: pass GITHUB_TOKEN to the step",
            403: "the job lacks a permission (see the workflow's permissions:) or hit a limit",
            404: f"check that {ctx.repository} exists and the token may read it",
        }.get(exc.status, "re-run the job; every entry point is safe to run again")
        raise RunnerError(f"GitHub API at {ctx.api_url}: {exc.status} {detail}", hint=hint) from exc
