"""``toyfoundry ci merge`` driven as a runner would on a push to main.

The payload is the ``push.1`` example edited (a copy) to be a push to ``refs/heads/main``
whose ``after`` is the checkout's merge commit; the merged PRs and their approving reviews
live on the loopback GitHub API; the hub is a folder outside the checkout.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ci_kit import configure_hub, fresh_checkout, head, merge_pr, push_event, runner_env
from tests.conftest import git, run_cli
from tests.github_server import GitHubServer


@pytest.fixture
def hub_folder(unentered_factory: Path, tmp_path: Path) -> Path:
    return configure_hub(unentered_factory, tmp_path / "hub")


def _hub_files(hub: Path) -> dict[str, bytes]:
    return {str(p.relative_to(hub)): p.read_bytes() for p in sorted(hub.rglob("*")) if p.is_file()}


def test_a_dropped_run_is_caught_up_and_a_redelivery_changes_nothing(
    unentered_factory: Path, hub_folder: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    factory = unentered_factory
    repo = github_server.add_repo("Codertocat/Hello-World")
    start = head(factory)
    merge_pr(github_server, repo, factory, 1, ["ALFA-2026-0001", "ALFA-2026-0002"])
    # The run for the first merge is dropped (cancelled, runner lost): it never happens.
    second = merge_pr(github_server, repo, factory, 2, ["ALFA-2026-0003"])
    env = runner_env(
        tmp_path,
        github_server,
        "push",
        push_event(second, start),
        sha=second,
        ref="refs/heads/main",
        hub=hub_folder,
    )

    fresh_checkout(factory, second)
    first_run = run_cli("ci", "merge", cwd=factory, env=env)

    assert first_run.returncode == 0, first_run.stdout + first_run.stderr
    hub = _hub_files(hub_folder)
    for order_id in ("ALFA-2026-0001", "ALFA-2026-0002", "ALFA-2026-0003"):
        assert f"orders/{order_id}.json" in hub
        assert f"reports/RPT-{order_id}.json" in hub
    (receipt_path,) = [p for p in hub if p.startswith("receipts/")]
    receipt = json.loads(hub[receipt_path])
    assert {i["order_id"] for i in receipt["items"]} == {
        "ALFA-2026-0001", "ALFA-2026-0002", "ALFA-2026-0003"
    }  # fmt: skip
    summary = (tmp_path / "summary.md").read_text()
    assert f"## toyfoundry: merge of {second[:12]} (pull request #2)" in summary
    assert "| `ALFA-2026-0001` | #1 | sealed by `octocat`" in summary
    assert "| `ALFA-2026-0003` | #2 | sealed by `octocat` (write access; review" in summary
    assert f"Receipt `{receipt['receipt_id']}`" in summary
    assert f"::notice title=toyfoundry::pushed to {hub_folder}: {receipt['receipt_id']}" in (
        first_run.stdout
    )
    assert "receipt-id<<" in (tmp_path / "output").read_text()
    # No bot commits to main: the checkout's history is the merged PRs, nothing else.
    assert head(factory) == second and git(factory, "status", "--porcelain", "--", "exchange")

    # The same event delivered again, to a fresh checkout: nothing new, the hub untouched.
    fresh_checkout(factory, second)
    again = run_cli("ci", "merge", cwd=factory, env=env)
    assert again.returncode == 0, again.stderr
    assert "push: nothing-new" in again.stdout
    assert _hub_files(hub_folder) == hub
    assert (
        "no pending entries to seal"
        in (tmp_path / "summary.md").read_text().split("## toyfoundry: merge")[-1]
    )


def test_a_merge_without_approval_leaves_the_orders_pending_and_says_why(
    unentered_factory: Path, hub_folder: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    factory = unentered_factory
    repo = github_server.add_repo("Codertocat/Hello-World")
    start = head(factory)
    orders = ["ALFA-2026-0001", "ALFA-2026-0002", "ALFA-2026-0003"]
    merge = merge_pr(github_server, repo, factory, 1, orders, approve=False)
    env = runner_env(
        tmp_path, github_server, "push", push_event(merge, start), sha=merge,
        ref="refs/heads/main", hub=hub_folder,
    )  # fmt: skip

    proc = run_cli("ci", "merge", cwd=factory, env=env)

    assert proc.returncode == 0, proc.stderr
    assert "::warning title=toyfoundry::ALFA-2026-0001 not signed off" in proc.stdout
    assert "push: nothing-new" in proc.stdout
    assert not any(hub_folder.glob("[!o]*/*.json"))  # High Command's orders/ only
    assert "**pending**" in (tmp_path / "summary.md").read_text()


def test_a_red_gate_pushes_nothing(
    unentered_factory: Path, hub_folder: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    factory = unentered_factory
    github_server.add_repo("Codertocat/Hello-World")
    (factory / "RUNBOOK.md").unlink()
    git(factory, "commit", "-qam", "Lose the runbook")
    sha = head(factory)
    env = runner_env(
        tmp_path, github_server, "push", push_event(sha, sha), sha=sha, ref="refs/heads/main",
        hub=hub_folder,
    )  # fmt: skip

    proc = run_cli("ci", "merge", cwd=factory, env=env)

    assert proc.returncode == 1
    assert "::error title=toyfoundry::readiness" in proc.stdout
    assert "Nothing was pushed." in (tmp_path / "summary.md").read_text()
    assert not any(hub_folder.glob("[!o]*/*.json"))  # High Command's orders/ only
