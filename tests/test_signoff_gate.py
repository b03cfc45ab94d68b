"""One gate on every push path: a github seal is re-derived from GitHub before anything leaves.

Attacks on the sign-off, each driven as a user or a runner would (``ci merge``, ``toyfoundry
push``, ``ledger verify --base``) against the loopback GitHub API and a folder hub outside the
checkout: every one leaves the hub without the evidence and names the reason.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.ci_kit import (
    AUTHOR,
    fresh_checkout,
    head,
    merge_pr,
    merge_run,
)
from tests.conftest import git, run_cli
from tests.github_server import GitHubServer, Repo
from toyfoundry_ci.base.canonical import sha256_file
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import rebuild_index

ORDER = "ALFA-2026-0001"
ORDERS = [ORDER, "ALFA-2026-0002", "ALFA-2026-0003"]  # every paraded order, or readiness is red
ENTRY = f"exchange/ledger/entries/{ORDER}.json"
REPORT = f"exchange/reports/RPT-{ORDER}.json"


def _sent(hub: Path) -> list[str]:
    """What the factory sent: everything on the hub but High Command's orders."""
    return sorted(str(p.relative_to(hub)) for p in hub.rglob("*.json") if p.parent.name != "orders")


def _policy_on_main(factory: Path, files: dict[str, str]) -> None:
    if not files:
        return
    for rel, text in files.items():
        (factory / rel).parent.mkdir(parents=True, exist_ok=True)
        (factory / rel).write_text(text, encoding="utf-8")
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Set the sign-off policy")


TWO = {".toyfoundry/config.toml": "signoff.approvals = 2\n"}
ATTACKS = {
    # name: (policy on main, files the PR changes, reviews as (login, role, state), reason)
    "no write access": ({}, {}, [("drive-by", "none", "APPROVED")], "cannot push to the"),
    "the PR's author": ({}, {}, [(AUTHOR, "write", "APPROVED")], "the pull request's author"),
    "changes requested after": (
        {}, {}, [("octocat", "write", "APPROVED"), ("lead", "admin", "CHANGES_REQUESTED")],
        r"lead \(review \d+\) requested changes",
    ),
    "two required, one given": (
        TWO, {}, [("octocat", "write", "APPROVED")], "1 of the 2 qualifying approval",
    ),
    "the PR lowers the bar": (
        TWO, {".toyfoundry/config.toml": "signoff.approvals = 1\n"},
        [("octocat", "write", "APPROVED")], "1 of the 2 qualifying approval",
    ),
    "no code owner approved": (
        {".github/CODEOWNERS": "/exchange/ @quality-lead\n"}, {},
        [("octocat", "write", "APPROVED")], r"no approval by an owner of exchange/",
    ),
    "an unreadable team owns it": (
        {".github/CODEOWNERS": "/exchange/ @hq/quality\n"}, {},
        [("octocat", "write", "APPROVED")], r"the token cannot read team @hq/quality \(403\)",
    ),
}  # fmt: skip


@pytest.mark.parametrize("attack", ATTACKS, ids=list(ATTACKS))
def test_an_approval_that_does_not_count_seals_nothing_in_ci_merge(
    unentered_factory: Path, hub_folder: Path, github_server: GitHubServer, repo: Repo,
    attack: str,
) -> None:  # fmt: skip
    tmp_path = hub_folder.parent
    policy, changed, reviews, reason = ATTACKS[attack]
    _policy_on_main(unentered_factory, policy)
    github_server.teams["hq/quality"] = ["octocat"]
    start = head(unentered_factory)
    merge = merge_pr(
        github_server, repo, unentered_factory, 1, ORDERS, approve=False, files=changed
    )
    for i, (login, role, state) in enumerate(reviews):
        repo.roles[login] = role
        at = datetime(2026, 11, 24, 9, tzinfo=UTC) + timedelta(hours=i)
        github_server.add_review(repo, 1, login, state, repo.pulls[1]["head"]["sha"], at=at)

    status, out, summary = merge_run(
        unentered_factory, tmp_path, github_server, hub_folder, sha=merge, before=start
    )

    assert status == 0, out  # documented: an order not signed off stays pending
    assert f"{ORDER} not signed off" in out
    assert re.search(reason, summary), summary
    assert _sent(hub_folder) == []


def _record_seal(factory: Path) -> None:
    """What the intake PR does: commit the seals the merge run made in its checkout."""
    git(factory, "checkout", "-q", "main")
    git(factory, "add", "-A", "--", "exchange/ledger")
    git(factory, "commit", "-qm", "Record the sign-off")


def _rewrite_report_unreviewed(factory: Path, server: GitHubServer, repo: Repo, number: int) -> str:
    """PR ``number``, merged without any review: the report changes, the entry follows it."""
    layout = Layout(factory)
    git(factory, "checkout", "-q", "-b", "rewrite", "main")
    report = json.loads((factory / REPORT).read_text())
    report["issued_at"] = "2026-11-22T08:00:00Z"
    (factory / REPORT).write_text(json.dumps(report, indent=2) + "\n")
    entry = json.loads((factory / ENTRY).read_text())
    for subject in entry["subjects"]:
        if subject["name"] == REPORT:
            subject["digest"]["sha256"] = sha256_file(factory / REPORT)
    (factory / ENTRY).write_text(json.dumps(entry, indent=2) + "\n")
    rebuild_index(layout)
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Tidy the report")
    branch = head(factory)
    server.add_pull(repo, number, "mallory", branch, [REPORT, ENTRY])
    server.add_pull_commit(repo, number, branch, "mallory")
    git(factory, "checkout", "-q", "main")
    git(factory, "merge", "-q", "--no-ff", "-m", f"Merge pull request #{number}", branch)
    server.merge_pull(repo, number, [branch, head(factory)])
    return head(factory)


def test_evidence_changed_by_a_later_unreviewed_pr_is_held_back_by_ci_merge(
    unentered_factory: Path, hub_folder: Path, tmp_path: Path, github_server: GitHubServer,
    repo: Repo,
) -> None:  # fmt: skip
    factory = unentered_factory
    start = head(factory)
    first = merge_pr(github_server, repo, factory, 1, ORDERS)
    status, out, _ = merge_run(
        factory, tmp_path, github_server, hub_folder, sha=first, before=start
    )
    assert status == 0, out
    pushed = (hub_folder / "reports" / f"RPT-{ORDER}.json").read_bytes()
    _record_seal(factory)
    later = _rewrite_report_unreviewed(factory, github_server, repo, 2)

    fresh_checkout(factory, later)
    status, out, summary = merge_run(
        factory, tmp_path, github_server, hub_folder, sha=later, before=first
    )

    # The range since the last receipt's source commit holds it back before any seal is
    # re-derived: the entry's subjects changed after it was sealed.
    assert status == 1, out
    assert f"{ENTRY}::$.subjects: changed since {first}; only the sign-off may change" in out
    assert f"### Ledger since `{first[:12]}`" in summary and "**held back**" in summary
    assert (hub_folder / "reports" / f"RPT-{ORDER}.json").read_bytes() == pushed


def _sealed_by_pr(factory: Path, server: GitHubServer, repo: Repo) -> tuple[dict[str, str], str]:
    """PR #1 merged and approved; its seal made by ``toyfoundry signoff`` and committed, as
    the intake PR would. Returns the environment with the repository's token and the merge."""
    merge = merge_pr(server, repo, factory, 1, ORDERS)
    env = {"GITHUB_TOKEN": server.token, "GITHUB_API_URL": server.url,
           "GITHUB_REPOSITORY": "Codertocat/Hello-World"}  # fmt: skip
    sealed = run_cli("signoff", "--pull-request", "1", cwd=factory, env=env)
    assert sealed.returncode == 0, sealed.stderr
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Record the sign-off")
    return env, merge


def test_a_local_push_of_a_seal_it_cannot_verify_holds_it_back(
    unentered_factory: Path, hub_folder: Path, github_server: GitHubServer, repo: Repo
) -> None:
    env, _ = _sealed_by_pr(unentered_factory, github_server, repo)

    blind = run_cli("push", cwd=unentered_factory, env={**env, "GITHUB_TOKEN": ""})

    assert blind.returncode == 1
    assert f"held {ORDER}: its github seal (pull request #1" in (blind.stdout)
    assert "was not checked" in blind.stdout and "GITHUB_TOKEN is not set" in blind.stdout
    assert _sent(hub_folder) == []

    asked = len(github_server.requests)
    checked = run_cli("push", cwd=unentered_factory, env=env)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert {f"reports/RPT-{o}.json" for o in ORDERS} <= set(_sent(hub_folder))
    # Three seals from one PR: its commits and reviews are read once, each review by its ID.
    paths = [r.path for r in github_server.requests[asked:]]
    pull = "/repos/Codertocat/Hello-World/pulls/1"
    assert paths.count(f"{pull}/commits") == 1 and paths.count(f"{pull}/reviews") == 1
    assert len([p for p in paths if p.startswith(f"{pull}/reviews/")]) == len(ORDERS)


def test_a_local_seal_in_a_github_factory_never_leaves(
    unentered_factory: Path, hub_folder: Path, github_server: GitHubServer, repo: Repo
) -> None:
    factory = unentered_factory
    merge_pr(github_server, repo, factory, 1, ORDERS, approve=False)
    entry = json.loads((factory / ENTRY).read_text())
    entry["signoff"] = {"state": "sealed", "method": "local", "reviewer": "ANY-NAME",
                        "at": "2026-11-24T09:00:00Z"}  # fmt: skip
    (factory / ENTRY).write_text(json.dumps(entry, indent=2) + "\n")
    rebuild_index(Layout(factory))
    git(factory, "commit", "-qam", "Seal it myself")

    proc = run_cli("push", cwd=factory)

    assert proc.returncode == 1
    assert "a local seal, but this factory signs off by github" in proc.stdout
    assert _sent(hub_folder) == []


def test_ledger_verify_base_re_derives_a_github_seal_through_the_api(
    unentered_factory: Path, hub_folder: Path, github_server: GitHubServer, repo: Repo
) -> None:
    factory = unentered_factory
    env, merge = _sealed_by_pr(factory, github_server, repo)

    good = run_cli("ledger", "verify", "--base", merge, cwd=factory, env=env)
    assert good.returncode == 0, good.stdout + good.stderr
    blind = run_cli(
        "ledger", "verify", "--base", merge, cwd=factory, env={**env, "GITHUB_TOKEN": ""}
    )
    assert blind.returncode == 1
    assert "its github seal (pull request #1" in blind.stdout and "was not checked" in blind.stdout

    # The seal is rewritten to cite a review by the PR's author: it no longer re-derives.
    own = github_server.add_review(repo, 1, AUTHOR, "APPROVED", repo.pulls[1]["head"]["sha"])
    entry = json.loads((factory / ENTRY).read_text())
    entry["signoff"]["review_id"] = own["id"]
    (factory / ENTRY).write_text(json.dumps(entry, indent=2) + "\n")
    rebuild_index(Layout(factory))
    git(factory, "commit", "-qam", "Cite another review")

    forged = run_cli("ledger", "verify", "--base", merge, cwd=factory, env=env)

    assert forged.returncode == 1
    assert f"review {own['id']} of pull request #1 is not by octocat" in forged.stdout
