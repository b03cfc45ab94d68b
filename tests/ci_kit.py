"""Helpers for driving ``toyfoundry ci …`` as a runner would: event payloads, env, mirrors.

Every payload starts from a real webhook example (``FIXTURES/github-events``); tests edit a
copy so its commits are the tmp checkout's, and say in a comment what they changed.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

from tests.conftest import FIXTURES, committed, git, run_cli
from tests.github_server import GitHubServer, Repo
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import rebuild_index

EVENTS = FIXTURES / "github-events"


def event(name: str) -> dict[str, Any]:
    """A copy of one example payload, e.g. ``push.1``, to edit."""
    value: dict[str, Any] = json.loads((EVENTS / f"{name}.json").read_text())
    return value


def runner_env(
    tmp: Path, server: GitHubServer, name: str, payload: dict[str, Any], *, sha: str, ref: str,
    hub: Path | str | None = None,
) -> dict[str, str]:  # fmt: skip
    """The variables a runner sets for one job, the payload written where it says; ``hub`` is
    what the workflow passes from the repository variable ``TOYFOUNDRY_HUB``."""
    path = tmp / f"event-{name}.json"
    path.write_text(json.dumps(payload))
    return {
        **({"TOYFOUNDRY_HUB": str(hub)} if hub is not None else {}),
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


def pr_and_publish(
    factory: Path, tmp: Path, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], subprocess.CompletedProcess[str]]:
    """The two jobs: ``ci pr`` in the checkout, then ``ci pr-publish`` in a folder of its own
    holding only the handed-over artifact."""
    handoff = tmp / "handoff"
    shutil.rmtree(handoff, ignore_errors=True)
    report = run_cli("ci", "pr", "--handoff", str(handoff), cwd=factory, env=env)
    publisher = tmp / "publisher"
    publisher.mkdir(exist_ok=True)
    published = run_cli("ci", "pr-publish", "--handoff", str(handoff), cwd=publisher, env=env)
    return report, published


def mirror(
    server: GitHubServer, repo: Repo, checkout: Path, sha: str, ref: str | None = None
) -> str:
    """Put the checkout's commit ``sha`` on the loopback GitHub (as a push there would)."""
    names = git(checkout, "ls-tree", "-r", "-z", "--name-only", sha).split("\0")
    files = {n: _show(checkout, f"{sha}:{n}") for n in names if n}
    return server.add_commit(repo, files, sha=sha, ref=ref)


def _show(checkout: Path, spec: str) -> bytes:
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


def issuing_hub(factory: Path, hub: Path) -> Path:
    """A folder hub holding the directives the factory mirrors: a hub takes evidence only for
    orders it issued."""
    issued = hub / "orders"
    issued.mkdir(parents=True, exist_ok=True)
    for order in sorted((factory / "exchange" / "orders").glob("*.json")):
        (issued / order.name).write_bytes(order.read_bytes())
    return hub


def configure_hub(factory: Path, hub: str | Path) -> Path:
    """Commit a ``[tool.toyfoundry]`` naming the hub and the factory (what ``toyfoundry push``
    reads; CI takes the hub from the workflow and must ignore this one).

    A folder hub (a ``Path``) is High Command's, holding the directives the factory mirrors
    (:func:`issuing_hub`); a spec given as text is only written, never created.
    """
    if isinstance(hub, Path):
        issuing_hub(factory, hub)
    (factory / "pyproject.toml").write_text(
        f'[tool.toyfoundry]\nhub = "{hub}"\nfactory = "hello-world"\n'
    )
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Configure the hub")
    return Path(hub)


AUTHOR = "Codertocat"
REVIEWER = "octocat"  # has write access to the repository


def merge_pr(
    server: GitHubServer, repo: Repo, factory: Path, number: int, orders: list[str], *,
    approve: bool = True, files: dict[str, str] | None = None,
) -> str:  # fmt: skip
    """Enter ``orders`` on a branch (with ``files`` changed too), open PR ``number``, review
    it, merge it (merge commit)."""
    layout = Layout(factory)
    git(factory, "checkout", "-q", "-b", f"parade-{number}", "main")
    for rel, text in (files or {}).items():
        (factory / rel).parent.mkdir(parents=True, exist_ok=True)
        (factory / rel).write_text(text, encoding="utf-8")
    for order_id in orders:  # the sample's own pending entries, as its parade wrote them
        entry = f"exchange/ledger/entries/{order_id}.json"
        (factory / entry).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(committed() / entry, factory / entry)
    rebuild_index(layout)
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", f"Parade {', '.join(orders)}")
    branch_head = head(factory)
    entries = [f"exchange/ledger/entries/{o}.json" for o in orders]
    server.add_pull(repo, number, AUTHOR, branch_head, [*entries, "exchange/ledger/index.json"])
    server.add_pull_commit(repo, number, branch_head, AUTHOR)
    if approve:
        repo.roles.setdefault(REVIEWER, "write")
        server.add_review(repo, number, REVIEWER, "APPROVED", branch_head)
    git(factory, "checkout", "-q", "main")
    git(factory, "merge", "-q", "--no-ff", "-m", f"Merge pull request #{number}", branch_head)
    merge = head(factory)
    server.merge_pull(repo, number, [branch_head, merge])
    return merge


def push_event(sha: str, before: str) -> dict[str, Any]:
    payload = event("push.1")  # edited copy: a push to main whose head is the merge commit
    payload.update(ref="refs/heads/main", before=before, after=sha, base_ref=None)
    payload["head_commit"]["id"] = sha
    return payload
