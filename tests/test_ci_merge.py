"""``toyfoundry ci merge`` driven as a runner would on a push to main.

The payload is the ``push.1`` example edited (a copy) to be a push to ``refs/heads/main``
whose ``after`` is the checkout's merge commit; the merged PRs and their approving reviews
live on the loopback GitHub API; the hub is a folder outside the checkout.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.ci_kit import (
    configure_hub,
    event,
    fresh_checkout,
    head,
    merge_pr,
    merge_run,
    mirror,
    push_event,
    runner_env,
)
from tests.conftest import git, run_cli
from tests.github_server import GitHubServer
from toyfoundry_ci.base.cachedir import cache_root
from toyfoundry_ci.base.canonical import dumps
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import rebuild_index

ORDERS = ["ALFA-2026-0001", "ALFA-2026-0002", "ALFA-2026-0003"]


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


def test_a_dropped_run_is_caught_up_from_the_last_receipt_and_its_range_verified(
    unentered_factory: Path, hub_folder: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    factory = unentered_factory
    repo = github_server.add_repo("Codertocat/Hello-World")
    start = head(factory)
    merge_pr(github_server, repo, factory, 1, ["ALFA-2026-0001", "ALFA-2026-0002"])
    first = merge_pr(github_server, repo, factory, 2, ["ALFA-2026-0003"], approve=False)
    assert merge_run(factory, tmp_path, github_server, hub_folder, sha=first, before=start)[0] == 0
    (receipt,) = [p for p in _hub_files(hub_folder) if p.startswith("receipts/")]
    fresh_checkout(factory, first)
    git(factory, "checkout", "-q", "main")
    # A commit straight on main seals the unreviewed PR #2's entry by hand; another follows.
    # Both runs are dropped, and the next push event's `before` is past the sealing commit.
    entry = factory / "exchange/ledger/entries/ALFA-2026-0003.json"
    value = json.loads(entry.read_text())
    value["signoff"] = {"state": "sealed", "method": "github", "reviewer": "octocat",
                        "at": "2026-11-24T09:00:00Z", "commit": repo.pulls[2]["head"]["sha"],
                        "pull_request": 2, "review_id": 999}  # fmt: skip
    entry.write_bytes(dumps(value))
    rebuild_index(Layout(factory))
    git(factory, "commit", "-qam", "Record the sign-off of ALFA-2026-0003")
    sealing = head(factory)
    (factory / "NOTES.txt").write_text("shift notes\n")
    git(factory, "add", "NOTES.txt")
    git(factory, "commit", "-qm", "Add shift notes")
    last = head(factory)

    fresh_checkout(factory, last)
    code, said, summary = merge_run(
        factory, tmp_path, github_server, hub_folder, sha=last, before=sealing
    )

    assert code == 1, said
    assert "reports/RPT-ALFA-2026-0003.json" not in _hub_files(hub_folder)
    assert f"### Ledger since `{first[:12]}`, the source of receipt `{receipt}`" in summary
    (row,) = [line for line in summary.splitlines() if "entries/ALFA-2026-0003.json" in line]
    assert "its github seal records no reviewer_id, digests, so it cannot be re-verified" in row
    assert "::error title=toyfoundry::exchange/ledger/entries/ALFA-2026-0003.json" in said


def test_intake_logs_the_publication_and_a_fresh_runner_refuses_the_rewritten_hub(
    unentered_factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    factory = unentered_factory
    work = tmp_path / "high-command"
    shutil.copytree(factory / "exchange/orders", work / "orders")
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "High Command: directives")
    bare = tmp_path / "hub.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    configure_hub(factory, str(bare))
    repo = github_server.add_repo("Codertocat/Hello-World")
    start = head(factory)
    main = merge_pr(github_server, repo, factory, 1, ORDERS)
    mirror(github_server, repo, factory, main, ref="main")
    pushed = runner_env(
        tmp_path, github_server, "push", push_event(main, start), sha=main,
        ref="refs/heads/main", hub=str(bare),
    )  # fmt: skip
    assert run_cli("ci", "merge", cwd=factory, env=pushed).returncode == 0
    publication = git(bare, "rev-parse", "main").strip()
    fresh_checkout(factory, main)
    dispatch = event("workflow_dispatch.1")  # edited copy: dispatched on this repository
    dispatch["repository"]["full_name"] = "Codertocat/Hello-World"
    intake = runner_env(
        tmp_path, github_server, "workflow_dispatch", dispatch, sha=main,
        ref="refs/heads/main", hub=str(bare),
    )  # fmt: skip
    assert run_cli("ci", "intake", cwd=factory, env=intake).returncode == 0
    runs = json.loads((factory / "logs/exchange_all.json").read_text())["runs"]
    (recorded,) = [r for r in runs if r["direction"] == "push"]
    assert recorded["head"] == publication  # the receipt's publication commit, logged
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Merge pull request #2 from toyfoundry/intake")
    merged = head(factory)
    rewrite = tmp_path / "rewrite"
    git(tmp_path, "clone", "-q", str(bare), str(rewrite))
    git(rewrite, "reset", "-q", "--hard", "HEAD~1")  # the factory's publication dropped
    git(rewrite, "commit", "-q", "--allow-empty", "-m", "High Command: history rewritten")
    git(rewrite, "push", "-q", "--force", "origin", "HEAD:main")
    rewritten = git(bare, "rev-parse", "main").strip()

    # A fresh runner: the merged log is all it knows of the hub (no hub cache).
    fresh_checkout(factory, merged)
    shutil.rmtree(cache_root(factory))
    env = runner_env(
        tmp_path, github_server, "push", push_event(merged, main), sha=merged,
        ref="refs/heads/main", hub=str(bare),
    )  # fmt: skip
    proc = run_cli("ci", "merge", cwd=factory, env=env)

    said = proc.stdout + proc.stderr
    assert proc.returncode == 1 and "Traceback" not in said, said
    assert "the hub's branch was rewritten" in said
    assert publication[:12] in said and rewritten[:12] in said
    assert git(bare, "rev-parse", "main").strip() == rewritten  # nothing was sent


def test_a_main_that_lost_the_last_receipts_source_commit_pushes_nothing(
    unentered_factory: Path, hub_folder: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    factory = unentered_factory
    repo = github_server.add_repo("Codertocat/Hello-World")
    start = head(factory)
    merge_pr(github_server, repo, factory, 1, ORDERS[:2])
    first = merge_pr(github_server, repo, factory, 2, ORDERS[2:], approve=False)
    assert merge_run(factory, tmp_path, github_server, hub_folder, sha=first, before=start)[0] == 0
    pushed = _hub_files(hub_folder)
    # PR #2 is approved late, so ALFA-2026-0003 could go now; but main was rewritten: the
    # same files, in a history without the commit the receipt names.
    github_server.add_review(repo, 2, "octocat", "APPROVED", repo.pulls[2]["head"]["sha"])
    tree = git(factory, "rev-parse", f"{first}^{{tree}}").strip()
    rewritten = git(factory, "commit-tree", tree, "-p", start, "-m", "Rewritten main").strip()

    fresh_checkout(factory, rewritten)
    code, said, summary = merge_run(
        factory, tmp_path, github_server, hub_folder, sha=rewritten, before=start
    )

    assert code == 1, said
    assert _hub_files(hub_folder) == pushed
    assert "**every order held back**" in summary
    assert f"the commit {first[:12]} this receipt was pushed from is not in this" in summary
