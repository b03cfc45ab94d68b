"""One mapping of GitHub failures to messages: a status or a transport error, what to do.

Every PyGithub ``GithubException`` and every ``requests`` error (no connection, a timeout,
retries run out) becomes a ``ToyfoundryError`` (or the caller's subclass) whose message names
the place and the action, and whose hint names what to set or check. The token never appears:
GitHub's own message text is kept short and scrubbed of it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
import urllib3
from github import GithubException, RateLimitExceededExceedsMaxWait

from toyfoundry_ci.base.errors import ToyfoundryError

DETAIL_LIMIT = 300  # characters of GitHub's message kept in ours


@dataclass(frozen=True, slots=True)
class Advice:
    """What a client knows to say about its failures (see ``client.Connection.advice``)."""

    error: type[ToyfoundryError]
    token: str  # how to give a valid token, e.g. "set TOYFOUNDRY_HUB_TOKEN to a valid token"
    denied: str  # what a 403 that is no rate limit means for this client
    missing: str  # what a 404 means: the repository, or the token cannot see it
    server: str  # how to check the API server, naming the variable that sets it
    again: str  # whether running again is safe
    timeout: int
    secret: str | None  # the token, scrubbed from every text


def translate(
    exc: GithubException | requests.RequestException, place: str, action: str, advice: Advice
) -> ToyfoundryError:
    """``exc`` as a ``ToyfoundryError``: ``{place}: cannot {action}: {why}`` and a hint."""
    if isinstance(exc, requests.RequestException):
        why, hint = _transport(exc, advice)
    else:
        why, hint = _status(exc, advice)
    message = _scrub(f"{place}: cannot {action}: {why}", advice.secret)
    return advice.error(message, hint=_scrub(hint, advice.secret))


def _status(exc: GithubException, advice: Advice) -> tuple[str, str]:
    data = exc.data if isinstance(exc.data, dict) else {}
    detail = " ".join(str(data.get("message") or "no message").split())[:DETAIL_LIMIT]
    why = f"{exc.status} {detail}"
    if exc.status == 401:
        return why, advice.token
    if _rate_limited(exc, detail):
        return f"{why} (rate limit)", _wait_hint(exc.headers or {})
    if exc.status == 403:
        return why, advice.denied
    if exc.status == 404:
        return why, advice.missing
    if exc.status == 409 and "empty" in detail.lower():
        return why, "the repository is empty: add a first commit (e.g. a README)"
    if exc.status == 422:
        errors = data.get("errors")
        if isinstance(errors, list) and errors:
            why += f" ({_errors(errors)})"[: DETAIL_LIMIT + 3]
        moved = "GitHub refused the request: a branch or object it names may have moved"
        return why, f"{moved}; {advice.again}"
    if exc.status >= 500:
        return why, f"GitHub failed on its side; {advice.again}"
    return why, advice.again


def _rate_limited(exc: GithubException, detail: str) -> bool:
    if isinstance(exc, RateLimitExceededExceedsMaxWait) or exc.status == 429:
        return True
    headers = _lower(exc.headers or {})
    return exc.status == 403 and (
        headers.get("x-ratelimit-remaining") == "0"
        or "retry-after" in headers
        or "rate limit" in detail.lower()
    )


def _wait_hint(headers: Mapping[str, Any]) -> str:
    reset = _lower(headers).get("x-ratelimit-reset", "")
    when = ""
    if reset.isdigit():
        when = f" (at {datetime.fromtimestamp(int(reset), tz=UTC):%H:%M} UTC)"
    return f"wait for GitHub's rate limit to reset{when}, then run again; a token raises the limit"


def _errors(errors: list[Any]) -> str:
    said = []
    for item in errors[:3]:
        if isinstance(item, dict):
            said.append(str(item.get("message") or item.get("code") or item))
        else:
            said.append(str(item))
    return "; ".join(said)


def _transport(exc: requests.RequestException, advice: Advice) -> tuple[str, str]:
    """Retries run out, a timeout or no connection: say which, never with the URL's query."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    hint = f"{advice.server}; {advice.again}"
    if isinstance(reason, urllib3.exceptions.NewConnectionError):  # a TimeoutError too
        return "cannot connect to the API server (refused or unreachable), after retries", hint
    if isinstance(exc, requests.Timeout) or isinstance(reason, urllib3.exceptions.TimeoutError):
        return f"no answer within {advice.timeout} s, after retries", hint
    if isinstance(exc, requests.exceptions.RetryError):
        said = str(reason or "the server kept failing")
        if " 403 " in f" {said} " or " 429 " in f" {said} ":
            hint = _wait_hint({})
        return f"gave up after retries ({said})", hint
    if isinstance(exc, requests.ConnectionError):
        return "cannot connect to the API server", hint
    return type(exc).__name__, hint


def _lower(headers: Mapping[str, Any]) -> dict[str, str]:
    return {str(k).lower(): str(v) for k, v in headers.items()}


def _scrub(text: str, secret: str | None) -> str:
    # A string this short is no real token, and replacing it would garble the message.
    return text.replace(secret, "***") if secret and len(secret) >= 8 else text
