"""The runner's environment as a typed context, and the files a step writes back.

Event payloads are untrusted (a PR title or branch name is whatever its author typed): the
payload is read with the strict loader, each field used is type-checked here, and nothing
from it ever reaches a shell. The token is masked before anything else is printed.
"""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toyfoundry_ci.base.errors import ToyfoundryError
from toyfoundry_ci.base.loader import ParseError, read_artifact
from toyfoundry_ci.base.markdown import SUMMARY_LIMIT, fit_bytes
from toyfoundry_ci.base.workflow_commands import workflow_command
from toyfoundry_ci.github.client import REPOSITORY
from toyfoundry_ci.github.client import api_url as github_api_url
from toyfoundry_ci.github.client import token as github_token

_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")
_REPO = re.compile(r"^[A-Za-z0-9_.-]{1,100}/[A-Za-z0-9_.-]{1,100}$")
_OUTPUT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_-]{0,99}$")


class RunnerError(ToyfoundryError):
    """The runner's environment or event payload is not what this entry point needs."""


@dataclass(frozen=True, slots=True)
class PullRequestInfo:
    """What an entry point uses of a pull request; every field checked, none trusted."""

    number: int
    title: str
    author: str
    head_sha: str
    head_ref: str
    head_repo: str | None  # None: the fork was deleted
    base_sha: str
    base_ref: str
    base_repo: str
    merged: bool

    @property
    def same_repo(self) -> bool:
        return self.head_repo == self.base_repo


@dataclass(frozen=True, slots=True)
class RunnerContext:
    event_name: str
    event: Mapping[str, Any]
    repository: str
    sha: str
    ref: str
    output: Path | None
    summary: Path | None
    api_url: str
    token: str | None
    bot_login: str | None = None  # the configured GitHub App's bot, e.g. "my-app[bot]"

    def require_token(self) -> str:
        if not self.token:
            raise RunnerError(
                "GITHUB_TOKEN is not set",
                hint="pass it to the step: env: {GITHUB_TOKEN: ${{ github.token }}}",
            )
        return self.token

    def pull_request(self) -> PullRequestInfo:
        """The event's pull request (pull_request and pull_request_review events)."""
        raw = self.event.get("pull_request")
        if not isinstance(raw, Mapping):
            raise RunnerError(f"the {self.event_name!r} event carries no pull request")
        return parse_pull_request(raw)


def from_environ(environ: Mapping[str, str] | None = None) -> RunnerContext:
    """Read the runner's environment (default: this process's) into a context."""
    env = os.environ if environ is None else environ
    token, _ = github_token(REPOSITORY, env)
    if token:
        mask(token)
    repository = _required(env, "GITHUB_REPOSITORY")
    if not _REPO.match(repository):
        raise RunnerError(f"GITHUB_REPOSITORY {repository!r} is not OWNER/NAME")
    sha = _required(env, "GITHUB_SHA")
    if not _SHA.match(sha):
        raise RunnerError(f"GITHUB_SHA {sha!r} is not a commit ID")
    return RunnerContext(
        event_name=_required(env, "GITHUB_EVENT_NAME"),
        event=_event(env.get("GITHUB_EVENT_PATH")),
        repository=repository,
        sha=sha,
        ref=env.get("GITHUB_REF", ""),
        output=Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None,
        summary=Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY") else None,
        api_url=github_api_url(REPOSITORY, env),
        token=token,
        bot_login=env.get("TOYFOUNDRY_BOT_LOGIN") or None,
    )


def mask(secret: str) -> None:
    """Tell the runner to hide ``secret`` in every later log line."""
    print(workflow_command("add-mask", secret), flush=True)  # noqa: T201 - for the runner


def set_output(ctx: RunnerContext, name: str, value: str) -> None:
    """Append one step output; a random delimiter keeps a value from injecting others."""
    if not _OUTPUT_NAME.match(name):
        raise ValueError(f"bad output name {name!r}")
    if ctx.output is None:
        return
    while True:
        delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
        if delimiter not in value:
            break
    with ctx.output.open("a", encoding="utf-8") as fh:
        fh.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


def append_summary(ctx: RunnerContext, markdown: str) -> None:
    """Append Markdown to the step summary (nothing outside a runner)."""
    if ctx.summary is None:
        return
    text = fit_bytes(markdown.rstrip("\n") + "\n", SUMMARY_LIMIT, "the job's log has the rest")
    with ctx.summary.open("a", encoding="utf-8") as fh:
        fh.write(text)


def parse_pull_request(raw: Mapping[str, Any]) -> PullRequestInfo:
    head, base = _mapping(raw, "head"), _mapping(raw, "base")
    head_repo = head.get("repo")
    return PullRequestInfo(
        number=_int(raw, "number"),
        title=_str(raw, "title"),
        author=_str(_mapping(raw, "user"), "login"),
        head_sha=sha_field(head, "sha"),
        head_ref=_str(head, "ref"),
        head_repo=_str(head_repo, "full_name") if isinstance(head_repo, Mapping) else None,
        base_sha=sha_field(base, "sha"),
        base_ref=_str(base, "ref"),
        base_repo=_str(_mapping(base, "repo"), "full_name"),
        merged=raw.get("merged") is True,
    )


def _required(env: Mapping[str, str], name: str) -> str:
    value = env.get(name)
    if not value:
        raise RunnerError(
            f"{name} is not set", hint="`toyfoundry ci …` runs inside a GitHub Actions job"
        )
    return value


def _event(path: str | None) -> Mapping[str, Any]:
    if not path:
        return {}
    value = read_artifact(path)
    if isinstance(value, ParseError):
        raise RunnerError(f"GITHUB_EVENT_PATH {path}::{value.where}: {value.message}")
    if not isinstance(value, dict):
        raise RunnerError(f"GITHUB_EVENT_PATH {path}: the event payload is not a JSON object")
    return value


def _mapping(raw: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = raw.get(key)
    if not isinstance(value, Mapping):
        raise RunnerError(f"event payload: {key!r} is missing or not an object")
    return value


def _str(raw: Mapping[str, Any], key: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str):
        raise RunnerError(f"event payload: {key!r} is missing or not a string")
    return value


def _int(raw: Mapping[str, Any], key: str) -> int:
    value = raw.get(key)
    if type(value) is not int or value < 1:
        raise RunnerError(f"event payload: {key!r} is missing or not a positive number")
    return value


def sha_field(raw: Mapping[str, Any], key: str) -> str:
    value = _str(raw, key)
    if not _SHA.match(value):
        raise RunnerError(f"event payload: {key!r} is not a commit ID")
    return value
