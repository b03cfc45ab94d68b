"""Retries of GitHub requests: rate limits and server errors, each retry said aloud.

PyGithub's ``GithubRetry`` waits out primary and secondary rate limits (``Retry-After``,
``X-RateLimit-Reset``); on top of it every retry is announced (``base.progress``) with its
cause and when the next try comes, and no connection at all is tried only twice more: a
server that is not there is not a busy one.
"""

from __future__ import annotations

from typing import Any

import urllib3
from github import GithubRetry
from urllib3.util.retry import Retry

from toyfoundry_ci.base import progress

TOTAL_RETRIES = 6
CONNECT_RETRIES = 2
# Writes are retried only where repeating one cannot do it twice (git objects are named by
# their content, a ref moves only forward): never a comment or an issue.
READS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITES = frozenset({"POST", "PATCH", "PUT", "DELETE"})


class SaidRetry(GithubRetry):
    """GithubRetry that says each retry and when it comes: no silence while waiting."""

    def __init__(self, label: str = "GitHub request", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.label = label

    def new(self, **kw: Any) -> SaidRetry:
        retry: SaidRetry = super().new(**kw)
        retry.label = self.label
        return retry

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Retry:
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        if response is not None:
            why = f"HTTP {response.status}"
            wait = retry.get_retry_after(response) or retry.get_backoff_time()
        else:
            why = _why(error)
            wait = retry.get_backoff_time()
        tries = len(retry.history) + 1
        limits = [retry.total]
        if isinstance(error, urllib3.exceptions.ConnectTimeoutError):  # refused ones too
            limits.append(retry.connect)
        left = min((n for n in limits if isinstance(n, int)), default=0)
        path = (url or "").split("?", 1)[0]
        progress.notice(
            f"{self.label} {method} {path}: {why}; try {tries} of {tries + left} in {wait:.0f} s"
        )
        return retry


def _why(error: Exception | None) -> str:
    if isinstance(error, urllib3.exceptions.NewConnectionError):  # before its base class
        return "cannot connect (refused or unreachable)"
    if isinstance(error, urllib3.exceptions.ConnectTimeoutError):
        return "no connection within the timeout"
    if isinstance(error, urllib3.exceptions.ReadTimeoutError):
        return "no answer within the timeout"
    return type(error).__name__ if error else "failed"


def policy(label: str, *, writes: bool, backoff: float) -> GithubRetry:
    """The retry of one client: ``label`` starts its notices; ``writes`` retries writes too."""
    return SaidRetry(
        label,
        total=TOTAL_RETRIES,
        connect=CONNECT_RETRIES,
        backoff_factor=backoff,
        status_forcelist=[429, *range(500, 600)],
        allowed_methods=READS | WRITES if writes else READS,
        secondary_rate_wait=60,
        max_rate_limit_wait=900,
    )
