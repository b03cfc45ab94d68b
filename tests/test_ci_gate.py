"""``toyfoundry ci gate``, the required check, driven as a runner would: a merge queue of
ledger PRs and a pull request, each checked out at the head the event names.

The merge_group payloads are the ``merge_group.checks_requested.1`` example, edited (a copy)
so that ``base_sha`` / ``head_sha`` are the tmp repository's main and the queue's heads. The
queue is built as GitHub builds it: each group is the previous group with the next PR merged.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.ci_kit import event, fresh_checkout, head, runner_env
from tests.conftest import committed, git, run_cli
from tests.github_server import GitHubServer
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import rebuild_index

ORDERS = ["ALFA-2026-0001", "ALFA-2026-0002", "ALFA-2026-0003"]


def _entry(order_id: str) -> dict[str, Any]:
    value: dict[str, Any] = json.loads((committed() / _entry_path(order_id)).read_text())
    return value


def _entry_path(order_id: str) -> str:
    return f"exchange/ledger/entries/{order_id}.json"


def _evidence(order_id: str) -> list[str]:
    """What parading the order added beside its directive (the entry's other subjects)."""
    return [s["name"] for s in _entry(order_id)["subjects"] if s["role"] != "order"]


def _directives_only(factory: Path) -> str:
    """main before any of the sample's orders was paraded: the directives, no evidence."""
    for order_id in ORDERS:
        for name in _evidence(order_id):
            (factory / name).unlink()
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Start from the directives")
    return head(factory)


@pytest.fixture
def start(unentered_factory: Path) -> tuple[Path, str]:
    """The factory at main before its orders were paraded, and main's commit."""
    return unentered_factory, _directives_only(unentered_factory)


def _ledger_pr(factory: Path, number: int, order_id: str, *, seal: bool = False) -> str:
    """Branch ``pr-N`` from main parading ``order_id``: its evidence and its pending entry."""
    git(factory, "checkout", "-q", "-b", f"pr-{number}", "main")
    for name in _evidence(order_id):
        (factory / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(committed() / name, factory / name)
    rel = _entry_path(order_id)
    (factory / rel).parent.mkdir(parents=True, exist_ok=True)
    entry = _entry(order_id)
    if seal:  # an entry that arrives sealed, by a name anyone can type
        entry["signoff"] = {"state": "sealed", "method": "local", "reviewer": "mallory"}
    (factory / rel).write_text(json.dumps(entry, indent=2) + "\n")
    return _commit_indexed(factory, f"Parade {order_id}")


def _queue(factory: Path, group: str, number: int, pr: str) -> str:
    """The next merge group: ``group`` with PR ``number`` merged (the index rebuilt)."""
    git(factory, "checkout", "-q", "--detach", group)
    message = f"Merge pull request #{number}"
    merge = ["git", "merge", "-q", "--no-ff", "-m", message, pr]
    if subprocess.run(merge, cwd=factory, capture_output=True, check=False).returncode == 0:
        sha = head(factory)
        git(factory, "checkout", "-q", "main")
        return sha
    return _commit_indexed(factory, message)  # both sides rebuilt the index: rebuild it again


def _commit_indexed(factory: Path, message: str) -> str:
    """Commit everything with the index rebuilt; back on main, the commit made."""
    rebuild_index(Layout(factory))
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", message)
    sha = head(factory)
    git(factory, "checkout", "-q", "main")
    return sha


def _group_event(base: str, sha: str, number: int) -> dict[str, Any]:
    payload = event("merge_group.checks_requested.1")  # edited copy: this queue's commits
    group = payload["merge_group"]
    group.update(
        base_sha=base, head_sha=sha, head_ref=f"refs/heads/gh-readonly-queue/main/pr-{number}-{sha}"
    )
    group["head_commit"]["id"] = sha
    return payload


def _gate(
    factory: Path, tmp: Path, server: GitHubServer, payload: tuple[str, dict[str, Any]], sha: str
) -> Any:
    fresh_checkout(factory, sha)
    summary = tmp / "summary.md"
    summary.unlink(missing_ok=True)
    env = runner_env(tmp, server, *payload, sha=sha, ref="refs/heads/gh-readonly-queue/main")
    env["GITHUB_TOKEN"] = server.read_only_token  # the gate job's token reads, nothing more
    return run_cli("ci", "gate", cwd=factory, env=env)


def test_a_merge_queue_of_three_ledger_prs_passes_the_gate_and_a_forged_seal_does_not(
    start: tuple[Path, str], tmp_path: Path, github_server: GitHubServer
) -> None:
    factory, main = start
    prs = [_ledger_pr(factory, n, order) for n, order in enumerate(ORDERS, start=1)]
    group = main
    for number, pr in enumerate(prs, start=1):
        group = _queue(factory, group, number, pr)

        queued = ("merge_group", _group_event(main, group, number))
        proc = _gate(factory, tmp_path, github_server, queued, group)

        assert proc.returncode == 0, (tmp_path / "summary.md").read_text()
        assert "gate: ledger verified against " + main[:12] in proc.stdout
        summary = (tmp_path / "summary.md").read_text()
        assert "## toyfoundry gate: green" in summary
        assert f"`ledger verify --base {main[:12]}`" in summary  # the group's base, not its tip
        assert "merge-base<<" in (tmp_path / "output").read_text()

    # A fourth PR enters a copy of an order already sealed: the queue's gate turns red.
    git(factory, "checkout", "-q", "main")
    forged = _ledger_pr(factory, 4, ORDERS[0], seal=True)
    bad = _queue(factory, main, 4, forged)
    proc = _gate(factory, tmp_path, github_server, ("merge_group", _group_event(main, bad, 4)), bad)
    assert proc.returncode == 1, proc.stdout
    rel = f"exchange/ledger/entries/{ORDERS[0]}.json"
    assert f"::error file={rel},title=ledger verify::$.signoff" in proc.stdout
    summary = (tmp_path / "summary.md").read_text()
    assert "## toyfoundry gate: red" in summary and "was added sealed" in summary
    assert "Traceback" not in proc.stderr
    assert github_server.requests == []  # nothing to ask GitHub: no github seal in the diff


def test_on_a_pull_request_the_gate_compares_with_the_merge_base(
    start: tuple[Path, str], tmp_path: Path, github_server: GitHubServer
) -> None:
    """main moved on after the branch was cut: the gate compares with where it was cut."""
    factory, cut = start
    pr = _ledger_pr(factory, 2, ORDERS[1])
    (factory / "notes.md").write_text("main moved on\n")
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Move main on")
    main = head(factory)
    payload = event("pull_request.opened.1")  # edited copy: this repository's commits
    payload["pull_request"]["base"]["sha"] = main
    payload["pull_request"]["head"]["sha"] = pr

    proc = _gate(factory, tmp_path, github_server, ("pull_request", payload), pr)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (
        f"`ledger verify --base {cut[:12]}` (the merge base of `{main[:12]}`)"
        in (tmp_path / "summary.md").read_text()
    )


def test_the_gate_refuses_a_checkout_that_is_not_the_head_and_other_events(
    start: tuple[Path, str], tmp_path: Path, github_server: GitHubServer
) -> None:
    factory, main = start
    pr = _ledger_pr(factory, 2, ORDERS[1])
    payload = _group_event(main, pr, 2)
    fresh_checkout(factory, main)  # the default checkout, not the queue's head
    env = runner_env(tmp_path, github_server, "merge_group", payload, sha=pr, ref="refs/heads/q")

    wrong = run_cli("ci", "gate", cwd=factory, env=env)
    assert wrong.returncode == 1
    assert f"the checkout is at {main}, not at the head being gated ({pr})" in wrong.stderr
    assert "actions/checkout with `ref:`" in wrong.stderr and "Traceback" not in wrong.stderr

    push = runner_env(
        tmp_path, github_server, "push", event("push.1"), sha=main, ref="refs/heads/main"
    )
    other = run_cli("ci", "gate", cwd=factory, env=push)
    assert other.returncode == 1
    assert "the gate runs on pull_request and merge_group events, not 'push'" in other.stderr
