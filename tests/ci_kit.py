"""Helpers for driving ``toyfoundry ci …`` as a runner would: event payloads, env, mirrors.

Every payload starts from a real webhook example (``FIXTURES/github-events``); tests edit a
copy so its commits are the tmp checkout's, and say in a comment what they changed.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.conftest import FIXTURES, git
from tests.github_server import GitHubServer, Repo

EVENTS = FIXTURES / "github-events"


def event(name: str) -> dict[str, Any]:
    """A copy of one example payload, e.g. ``push.1``, to edit."""
    value: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return value


def runner_env(
    tmp: Path, server: GitHubServer, name: str, payload: dict[str, Any], *, sha: str, ref: str
) -> dict[str, str]:
    """The variables a runner sets for one job, the payload written where it says."""
    path = tmp / f"event-{name}.json"
    path.write_text(json.dumps(payload))
    return {
        "GITHUB_EVENT_NAME": name,
        "GITHUB_EVENT_PATH": str(path),
        "GITHUB_REPOSITORY": "Codertocat/Hello-World",
        "GITHUB_SHA": sha,
        "GITHUB_REF": ref,
        "GITHUB_OUTPUT": str(tmp / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
        "GITHUB_API_URL": server.url,
        "GITHUB_TOKEN": server.token,
    }


def mirror(
    server: GitHubServer, repo: Repo, checkout: Path, sha: str, ref: str | None = None
) -> str:
    """Put the checkout's commit ``sha`` on the loopback GitHub (as a push there would)."""
    names = git(checkout, "ls-tree", "-r", "-z", "--name-only", sha).split("\0")
    files = {n: _show(checkout, f"{sha}:{n}") for n in names if n}
    return server.add_commit(repo, files, sha=sha, ref=ref)


def _show(checkout: Path, spec: str) -> bytes:
    import subprocess

    return subprocess.run(
        ["git", "cat-file", "blob", spec], cwd=checkout, capture_output=True, check=True
    ).stdout


def head(checkout: Path) -> str:
    return git(checkout, "rev-parse", "HEAD").strip()


def fresh_checkout(checkout: Path, sha: str) -> None:
    """What a new job sees: exactly ``sha``, nothing left from an earlier run."""
    git(checkout, "checkout", "-q", "--detach", sha)
    git(checkout, "reset", "-q", "--hard", sha)
    git(checkout, "clean", "-qfdx")
