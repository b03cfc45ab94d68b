"""Where a GitHub client's token and API URL come from, and the one place PyGithub is built.

Two parties are reached through the API, each with its own token, read from here only:

- the factory's own **repository** (pull requests, reviews, comments, the index commit):
  ``GITHUB_TOKEN`` on ``GITHUB_API_URL``, as a runner sets them;
- a GitHub **hub** (High Command's repository, usually another owner's): ``TOYFOUNDRY_HUB_TOKEN``
  on ``TOYFOUNDRY_GITHUB_API_URL``, else ``GITHUB_API_URL``. The hub never borrows
  ``GITHUB_TOKEN`` on its own, since a token granted for this repository would then be sent to
  another; ``TOYFOUNDRY_HUB_TOKEN_FALLBACK=github-token`` asks for it.

Every client has a timeout (``TOYFOUNDRY_GITHUB_TIMEOUT``, seconds, default 30) and the retry
of ``github.retry`` (backoff factor ``TOYFOUNDRY_GITHUB_BACKOFF``, default 1). Failures are
turned into messages by ``github.errors`` through ``Connection.call`` and ``Connection.guard``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from toyfoundry_ci.base.errors import HubError, ToyfoundryError
from toyfoundry_ci.base.git import redact

if TYPE_CHECKING:
    from github import Github

    from toyfoundry_ci.github.errors import Advice

DEFAULT_API = "https://api.github.com"
FALLBACK_VARIABLE = "TOYFOUNDRY_HUB_TOKEN_FALLBACK"
FALLBACK_TO_GITHUB_TOKEN = "github-token"  # noqa: S105 - a setting, not a secret
TIMEOUT_VARIABLE = "TOYFOUNDRY_GITHUB_TIMEOUT"
BACKOFF_VARIABLE = "TOYFOUNDRY_GITHUB_BACKOFF"
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Target:
    """One party the API is used for: its variables, its retries, its error type."""

    name: str
    token_variable: str
    api_variables: tuple[str, ...]
    label: str  # how its retry notices start
    retry_writes: bool  # repeating a write cannot do it twice (git objects, forward-only refs)
    throttle: bool  # PyGithub's pause between writes (comments, issues: secondary limits)
    lazy: bool
    error: type[ToyfoundryError]
    again: str


REPOSITORY = Target(
    name="repository",
    token_variable="GITHUB_TOKEN",  # noqa: S106 - a variable name, not a secret
    api_variables=("GITHUB_API_URL",),
    label="GitHub request",
    retry_writes=False,
    throttle=True,
    lazy=False,
    error=ToyfoundryError,
    again="run it again: each step is safe to repeat",
)
HUB = Target(
    name="hub",
    token_variable="TOYFOUNDRY_HUB_TOKEN",  # noqa: S106 - as above
    api_variables=("TOYFOUNDRY_GITHUB_API_URL", "GITHUB_API_URL"),
    label="hub request",
    retry_writes=True,
    throttle=False,
    lazy=True,
    error=HubError,
    again="run again; what already reached the hub is not sent twice",
)


def token(target: Target, environ: Mapping[str, str] | None = None) -> tuple[str | None, str]:
    """The token for ``target`` and the variable it came from (or would come from)."""
    env = os.environ if environ is None else environ
    if env.get(target.token_variable):
        return env[target.token_variable], target.token_variable
    if target is HUB and _hub_falls_back(env) and env.get(REPOSITORY.token_variable):
        return env[REPOSITORY.token_variable], REPOSITORY.token_variable
    return None, target.token_variable


def _hub_falls_back(env: Mapping[str, str]) -> bool:
    value = env.get(FALLBACK_VARIABLE, "")
    if value not in ("", FALLBACK_TO_GITHUB_TOKEN):
        raise HubError(
            f"{FALLBACK_VARIABLE}={value!r} is not understood",
            hint=f"set {FALLBACK_VARIABLE}={FALLBACK_TO_GITHUB_TOKEN} to use"
            f" {REPOSITORY.token_variable} for the hub, or unset it",
        )
    return value == FALLBACK_TO_GITHUB_TOKEN


def api_url(target: Target, environ: Mapping[str, str] | None = None) -> str:
    """The API base URL for ``target``: GitHub.com, or a server named in the environment."""
    env = os.environ if environ is None else environ
    for name in target.api_variables:
        if env.get(name):
            return env[name].rstrip("/")
    return DEFAULT_API


def shown(url: str) -> str:
    """An API URL as messages show it: no user name, password, query or fragment."""
    return redact(url.partition("#")[0])


def _seconds(env: Mapping[str, str], name: str, default: str, kind: type[float]) -> float:
    try:
        value = kind(env.get(name) or default)
    except ValueError:
        raise ToyfoundryError(
            f"{name}={env.get(name)!r} is not a number of seconds",
            hint=f"set {name} to a number such as {default}, or unset it",
        ) from None
    return max(value, 0)


def get_json(github: Github, path: str) -> Any:
    """``GET`` an API path with ``github``'s token, retry and errors, as JSON (see
    ``Connection.get_json``)."""
    _headers, data = github.requester.requestJsonAndCheck("GET", path)
    return data


class Connection:
    """A client for one target: PyGithub built on first use, its failures translated."""

    def __init__(
        self,
        target: Target,
        repository: str | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self.target = target
        self.repository = repository
        self.api_url = api_url(target, env)
        self.token, self.token_variable = token(target, env)
        self.timeout = max(1, int(_seconds(env, TIMEOUT_VARIABLE, "30", int)))
        self.backoff = _seconds(env, BACKOFF_VARIABLE, "1.0", float)
        self._github: Github | None = None

    @property
    def github(self) -> Github:
        if self._github is None:
            self._github = self._build()
        return self._github

    def _build(self) -> Github:
        from github import Auth, Github

        from toyfoundry_ci.github.retry import policy

        # PyGithub's own pauses (0.25 s between requests, 1 s between writes) are kept where
        # writes are comments and issues, which GitHub's secondary limits watch.
        pauses: dict[str, float | None] = (
            {}
            if self.target.throttle
            else dict.fromkeys(("seconds_between_requests", "seconds_between_writes"))
        )
        return Github(
            auth=Auth.Token(self.token) if self.token else None,
            base_url=self.api_url,
            retry=policy(self.target.label, writes=self.target.retry_writes, backoff=self.backoff),
            timeout=self.timeout,
            lazy=self.target.lazy,
            **pauses,  # type: ignore[arg-type]
        )

    @property
    def place(self) -> str:
        """How messages name this client: its repository and where the API is."""
        return f"{self.repository or 'GitHub'} on the GitHub API at {shown(self.api_url)}"

    def require_token(self, place: str, action: str) -> str:
        """The token, or an error naming the variable to set."""
        if not self.token:
            raise self.target.error(
                f"{place}: {action} needs a token: {self.token_variable} is not set",
                hint=self._token_hint(),
            )
        return self.token

    def get_json(self, path: str) -> Any:
        """``GET`` an API path (``/repos/…``) PyGithub does not model in full, as JSON.

        For instance ``/repos/{o}/{r}/collaborators/{u}/permission``, whose
        ``user.permissions.push`` PyGithub drops. Same token, retry and errors as the rest.
        """
        return get_json(self.github, path)

    def call(self, fn: Callable[[], T], place: str, action: str) -> T:
        """``fn()``, its GitHub or transport failure as ``{place}: cannot {action}: …``."""
        with self.guard(place, action):
            return fn()

    @contextmanager
    def guard(self, place: str, action: str) -> Iterator[None]:
        from github import GithubException
        from requests import RequestException

        from toyfoundry_ci.github.errors import translate

        try:
            yield
        except (GithubException, RequestException) as exc:
            raise translate(exc, place, action, self.advice()) from exc

    def advice(self) -> Advice:
        from toyfoundry_ci.github.errors import Advice

        repository = self.repository or "the repository"
        sent = f"the token in {self.token_variable}" if self.token else "no token was sent"
        if self.target is HUB:
            denied = (
                f"{sent} may not do this on {repository}: a hub token needs contents: write"
                " (and issues: write for the notification)"
            )
        else:
            denied = (
                f"{sent} lacks a permission: see the workflow's permissions:"
                " (a fork's or Dependabot's token is read-only)"
            )
        missing = f"check that {repository} exists and that the token may read it"
        if not self.token:
            missing += f"; no token was sent: {self._token_hint()}"
        names = ", else ".join(self.target.api_variables)
        return Advice(
            error=self.target.error,
            token=(
                f"the token in {self.token_variable} was refused: set it to a valid token"
                if self.token
                else f"no token was sent: {self._token_hint()}"
            ),
            denied=denied,
            missing=missing,
            server=f"check that {shown(self.api_url)} answers (set by {names}, else GitHub.com)",
            again=self.target.again,
            timeout=self.timeout,
            secret=self.token,
        )

    def _token_hint(self) -> str:
        if self.target is HUB:
            return (
                f"set {HUB.token_variable} to a token for {self.repository or 'the hub'}"
                f" ({REPOSITORY.token_variable} is used for a hub only with"
                f" {FALLBACK_VARIABLE}={FALLBACK_TO_GITHUB_TOKEN})"
            )
        return (
            f"set {REPOSITORY.token_variable} (in a workflow step:"
            " env: {GITHUB_TOKEN: ${{ github.token }}})"
        )
