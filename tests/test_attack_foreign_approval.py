"""Attack: a github seal citing the approval of an unrelated PR (one that never touched the
entry or its evidence) re-derives, passes the gate and is pushed by ``ci merge``: the
ledger's own rule (here CODEOWNERS over exchange/) is met by borrowing an approval the owner
gave to a typo fix whose head merely contained the pending entries."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ci_kit import AUTHOR, fresh_checkout, head, merge_pr
from tests.ci_kit import merge_run as _merge_run
from tests.conftest import git, run_cli
from tests.github_server import GitHubServer, Repo, user
from tests.test_signoff_gate import ORDERS, _sent
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import rebuild_index


def _approved_unrelated_pr(factory: Path, server: GitHubServer, repo: Repo, number: int, by: str):
    """PR ``number`` changes only a notes file; ``by`` (write) approves its head; merged."""
    git(factory, "checkout", "-q", "-b", "typo", "main")
    (factory / "NOTES.md").write_text("a typo fix\n")
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Fix a typo")
    branch = head(factory)
    server.add_pull(repo, number, AUTHOR, branch, ["NOTES.md"])
    server.add_pull_commit(repo, number, branch, AUTHOR)
    repo.roles[by] = "write"
    review = server.add_review(repo, number, by, "APPROVED", branch)
    git(factory, "checkout", "-q", "main")
    git(factory, "merge", "-q", "--no-ff", "-m", f"Merge pull request #{number}", branch)
    server.merge_pull(repo, number, [branch, head(factory)])
    return branch, review


def _forge_seals(factory: Path, pr: int, commit: str, review: dict, by: str) -> None:
    approval = {
        "reviewer": by,
        "reviewer_id": user(by)["id"],
        "review_id": review["id"],
        "commit": commit,
        "permission": "write",
    }
    for order in ORDERS:
        path = factory / f"exchange/ledger/entries/{order}.json"
        entry = json.loads(path.read_text())
        entry["signoff"] = {
            "state": "sealed",
            "method": "github",
            **approval,
            "at": "2026-11-24T09:00:00Z",
            "pull_request": pr,
            "approvals": [approval],
            "digests": [{"name": s["name"], "digest": s["digest"]} for s in entry["subjects"]],
        }
        path.write_text(json.dumps(entry, indent=2) + "\n")
    rebuild_index(Layout(factory))


def test_an_approval_of_an_unrelated_pr_does_not_seal_an_entry(
    unentered_factory: Path, hub_folder: Path, github_server: GitHubServer, repo: Repo
) -> None:
    factory, tmp_path = unentered_factory, hub_folder.parent
    # The ledger asks more than branch protection: the quality lead owns the evidence.
    (factory / ".github").mkdir(exist_ok=True)
    (factory / ".github/CODEOWNERS").write_text("/exchange/ @quality-lead\n")
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Evidence is the quality lead's")
    start = head(factory)
    # PR #1 adds the entries; octocat (write) approves, enough for branch protection, not
    # for the ledger: ci merge leaves them pending, as documented.
    first = merge_pr(github_server, repo, factory, 1, ORDERS)
    status, out, summary = _merge_run(
        factory, tmp_path, github_server, hub_folder, sha=first, before=start
    )
    assert status == 0 and "no approval by an owner of exchange/" in summary, out
    assert _sent(hub_folder) == []
    # PR #2 is a typo fix the quality lead approved; its head holds the pending entries.
    reviewed, review = _approved_unrelated_pr(factory, github_server, repo, 2, "quality-lead")
    base = head(factory)
    # PR #3 only records seals (as an intake PR does), citing PR #2's approval.
    git(factory, "checkout", "-q", "-b", "forge", "main")
    _forge_seals(factory, 2, reviewed, review, "quality-lead")
    git(factory, "commit", "-qam", "Record the sign-off")
    env = {
        "GITHUB_TOKEN": github_server.token,
        "GITHUB_API_URL": github_server.url,
        "GITHUB_REPOSITORY": "Codertocat/Hello-World",
    }

    gate = run_cli("ledger", "verify", "--base", base, cwd=factory, env=env)

    gate_green = gate.returncode == 0

    # And merged: ci merge must not push it.
    branch = head(factory)
    github_server.add_pull(
        repo, 3, "mallory", branch, [f"exchange/ledger/entries/{o}.json" for o in ORDERS]
    )
    github_server.add_pull_commit(repo, 3, branch, "mallory")
    git(factory, "checkout", "-q", "main")
    git(factory, "merge", "-q", "--no-ff", "-m", "Merge pull request #3", branch)
    merge = head(factory)
    github_server.merge_pull(repo, 3, [branch, merge])
    fresh_checkout(factory, merge)
    _status, out, _summary = _merge_run(
        factory, tmp_path, github_server, hub_folder, sha=merge, before=base
    )
    sent = _sent(hub_folder)
    assert (gate_green, sent) == (False, []), out
