"""``toyfoundry ci pr`` and ``ci pr-publish`` driven as a runner would: a real webhook
payload, a checkout, the API.

The payload is the unmodified ``pull_request.opened`` example; the test edits a copy so its
head and base SHAs are the commits of the tmp checkout (a runner's payload names the
commits it checked out). ``ci pr`` runs in the checkout and writes nothing on GitHub; the
publish job runs outside it, from the handed-over folder only, as the workflow's does.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from tests.ci_kit import mirror, pr_and_publish
from tests.conftest import FIXTURES, committed, git, run_cli
from tests.github_server import GitHubServer, Repo, user
from toyfoundry_ci.actions.comment import MARKER
from toyfoundry_ci.actions.pr import HANDOFF_REPORT

EVENTS = FIXTURES / "github-events"


def _checkout_with_pr(factory: Path) -> tuple[str, str]:
    base = git(factory, "rev-parse", "HEAD").strip()
    git(factory, "checkout", "-q", "-b", "changes")
    bad = factory / "exchange" / "orders" / "ALFA-2026-0950.json"
    bad.write_text('{\n  "kind": "order",\n  "pivot": "v1",\n  "order_id": "ALFA-2026-0950"\n}\n')
    git(factory, "add", "-A")
    git(factory, "commit", "-q", "-m", "Add an order by hand")
    return base, git(factory, "rev-parse", "HEAD").strip()


def _runner_env(tmp: Path, server: GitHubServer, base: str, head: str) -> dict[str, str]:
    event = json.loads((EVENTS / "pull_request.opened.1.json").read_text())
    event["pull_request"]["base"]["sha"] = base  # edited copy: the checkout's commits
    event["pull_request"]["head"]["sha"] = head
    event["pull_request"]["title"] = "$(touch pwned) `rm -rf /` <img src=x>"  # stays data
    path = tmp / "event.json"
    path.write_text(json.dumps(event))
    return {
        "GITHUB_EVENT_NAME": "pull_request",
        "GITHUB_EVENT_PATH": str(path),
        "GITHUB_REPOSITORY": "Codertocat/Hello-World",
        "GITHUB_SHA": head,
        "GITHUB_REF": "refs/pull/2/merge",
        "GITHUB_OUTPUT": str(tmp / "output"),
        "GITHUB_STEP_SUMMARY": str(tmp / "summary.md"),
        "GITHUB_API_URL": server.url,
        "GITHUB_TOKEN": server.token,
    }


def test_pr_report_annotates_summarises_and_keeps_one_comment(
    factory: Path, tmp_path: Path
) -> None:
    base, head = _checkout_with_pr(factory)
    with GitHubServer(per_page=2) as server:
        repo = server.add_repo("Codertocat/Hello-World")
        server.add_pull(repo, 2, "Codertocat", head, ["exchange/orders/ALFA-2026-0950.json"])
        for n in range(3):  # the report comment will sit on a later page
            comment = {"id": server.next_id(), "body": f"hi {n}", "user": user("octocat")}
            repo.comments.setdefault(2, []).append(comment)
        env = _runner_env(tmp_path, server, base, head)

        first, published = pr_and_publish(factory, tmp_path, env)
        assert first.returncode == 1, first.stderr
        assert published.returncode == 0, published.stdout + published.stderr
        assert f"::add-mask::{server.token}" in first.stdout
        assert "::error file=exchange/orders/ALFA-2026-0950.json,line=" in first.stdout
        summary = (tmp_path / "summary.md").read_text()
        assert "## toyfoundry: pull request #2" in summary
        assert "| `exchange/orders/ALFA-2026-0950.json` | order |" in summary
        reports = [c for c in repo.comments[2] if c["body"].startswith(MARKER)]
        assert len(reports) == 1 and "ALFA-2026-0950" in reports[0]["body"]
        assert "index" in (tmp_path / "output").read_text()

        # The same event delivered again: the comment is found on page 2 and left as is.
        again, republished = pr_and_publish(factory, tmp_path, env)
        assert again.returncode == 1
        assert "PR comment: unchanged" in republished.stdout
        assert [c for c in repo.comments[2] if c["body"].startswith(MARKER)] == reports
        assert len(repo.comments[2]) == 4

        # A fix pushed to the branch: the same comment is edited, not a second one posted.
        shutil.copy2(
            factory / "exchange" / "orders" / "ALFA-2026-0001.json",
            factory / "exchange" / "orders" / "ALFA-2026-0950.json",
        )
        order = json.loads((factory / "exchange/orders/ALFA-2026-0950.json").read_text())
        order["order_id"] = "ALFA-2026-0950"
        (factory / "exchange/orders/ALFA-2026-0950.json").write_text(json.dumps(order))
        git(factory, "commit", "-qam", "Fix the order")
        head2 = git(factory, "rev-parse", "HEAD").strip()
        _, fixed = pr_and_publish(factory, tmp_path, _runner_env(tmp_path, server, base, head2))
        assert "PR comment: updated" in fixed.stdout, fixed.stdout + fixed.stderr
        reports = [c for c in repo.comments[2] if c["body"].startswith(MARKER)]
        assert len(reports) == 1 and "| valid |" in reports[0]["body"]
        assert "<img" not in reports[0]["body"]
    assert not (factory / "pwned").exists()


def test_outside_a_runner_it_says_what_is_missing(factory: Path) -> None:
    proc = run_cli("ci", "pr", cwd=factory)
    assert proc.returncode == 1
    assert "GITHUB_REPOSITORY is not set" in proc.stderr


def _pr_with_stale_index(factory: Path) -> tuple[str, str]:
    """A branch that enters the sample orders in the ledger but does not rebuild the index."""
    base = git(factory, "rev-parse", "HEAD").strip()
    git(factory, "checkout", "-q", "-b", "changes")
    entries = factory / "exchange" / "ledger" / "entries"
    shutil.copytree(committed() / "exchange" / "ledger" / "entries", entries)
    git(factory, "add", "-A")
    git(factory, "commit", "-q", "-m", "Enter the orders")
    return base, git(factory, "rev-parse", "HEAD").strip()


def _same_repo_pr_with_stale_index(
    factory: Path, tmp: Path, server: GitHubServer
) -> tuple[str, Repo, dict[str, str]]:
    """PR 2 from the branch ``changes`` of this repository, on the loopback GitHub too."""
    base, head = _pr_with_stale_index(factory)
    repo = server.add_repo("Codertocat/Hello-World")
    mirror(server, repo, factory, head, ref="changes")  # the event's head.ref
    server.add_pull(repo, 2, "Codertocat", head, [], head_ref="changes")
    return head, repo, _runner_env(tmp, server, base, head)


def test_publish_commits_nothing_and_the_report_says_what_readiness_says_of_the_index(
    unentered_factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    """A PR whose index lags its entries: no bot commit on the branch (a review survives
    "dismiss stale approvals"), and the comment carries readiness's word on the index."""
    factory = unentered_factory
    head, repo, env = _same_repo_pr_with_stale_index(factory, tmp_path, github_server)

    report, first = pr_and_publish(factory, tmp_path, env)

    assert "ledger index (readiness): " in report.stdout, report.stdout + report.stderr
    assert first.returncode == 0, first.stdout + first.stderr
    assert "PR comment: created" in first.stdout
    assert repo.refs["heads/changes"] == head  # the branch is the author's alone
    writes = [r for r in github_server.requests if r.method != "GET"]
    assert [r.path for r in writes] == ["/repos/Codertocat/Hello-World/issues/2/comments"]
    (comment,) = repo.comments[2]
    assert "### Ledger index" in comment["body"]
    assert "Nothing is committed to this branch" in comment["body"]
    assert "`ledger-index`" in comment["body"]  # the readiness line it comes from
    assert "index-commit" not in (tmp_path / "output").read_text()

    # Redelivered (same payload, same head): still no commit, still one comment.
    _, again = pr_and_publish(factory, tmp_path, env)
    assert "PR comment: unchanged" in again.stdout, again.stderr
    assert repo.refs["heads/changes"] == head
    assert len([c for c in repo.comments[2] if c["body"].startswith(MARKER)]) == 1


def test_a_fork_gets_the_report_in_the_step_summary_only(
    unentered_factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    factory = unentered_factory
    base, head = _pr_with_stale_index(factory)
    repo = github_server.add_repo("Codertocat/Hello-World")
    github_server.add_pull(repo, 2, "forker", head, [], head_ref="changes")
    env = _runner_env(tmp_path, github_server, base, head)
    _fork(env)

    proc = run_cli("ci", "pr", cwd=factory, env=env)

    assert "ledger index (readiness): " in proc.stdout, proc.stdout + proc.stderr
    assert "heads/changes" not in repo.refs  # nothing written to anyone's branch
    assert not repo.comments.get(2)  # the fork's read-only token writes nothing
    assert github_server.requests == []
    summary = (tmp_path / "summary.md").read_text()
    assert "### Ledger index" in summary and "Nothing is committed to this branch" in summary


def _fork(env: dict[str, str]) -> None:
    payload = json.loads(Path(env["GITHUB_EVENT_PATH"]).read_text())
    payload["pull_request"]["head"]["repo"]["full_name"] = "forker/Hello-World"  # a fork PR
    Path(env["GITHUB_EVENT_PATH"]).write_text(json.dumps(payload))


def test_the_job_running_pr_code_asks_github_for_nothing_and_a_fine_fork_pr_is_green(
    factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    base = git(factory, "rev-parse", "HEAD").strip()
    git(factory, "checkout", "-q", "-b", "changes")
    (factory / "notes.md").write_text("a change that touches no artifact\n")
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Add notes")
    head = git(factory, "rev-parse", "HEAD").strip()
    repo = github_server.add_repo("Codertocat/Hello-World")
    github_server.add_pull(repo, 2, "forker", head, ["notes.md"], head_ref="changes")
    env = _runner_env(tmp_path, github_server, base, head)
    _fork(env)

    proc = run_cli("ci", "pr", "--handoff", str(tmp_path / "handoff"), cwd=factory, env=env)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert github_server.requests == []  # a read-only token is all this job needs
    assert "## toyfoundry: pull request #2" in (tmp_path / "summary.md").read_text()
    assert [p.name for p in (tmp_path / "handoff").iterdir()] == [HANDOFF_REPORT]

    # Were the publish job run for a fork anyway, it writes nothing.
    published = run_cli("ci", "pr-publish", cwd=tmp_path, env={
        **env, "TOYFOUNDRY_HANDOFF": str(tmp_path / "handoff")})  # fmt: skip
    assert published.returncode == 0, published.stderr
    assert "PR comment: not posted" in published.stdout
    assert not repo.comments.get(2)


def test_publish_refuses_a_handoff_that_is_not_what_ci_pr_writes(
    unentered_factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    factory = unentered_factory
    head, repo, env = _same_repo_pr_with_stale_index(factory, tmp_path, github_server)
    handoff = tmp_path / "handoff"

    missing = run_cli("ci", "pr-publish", "--handoff", str(handoff), cwd=tmp_path, env=env)
    assert missing.returncode == 1
    assert "report.md is missing" in missing.stderr and "ci pr --handoff" in missing.stderr

    elsewhere = tmp_path / "elsewhere.md"
    elsewhere.write_text("## a report from elsewhere\n")
    handoff.mkdir()
    (handoff / HANDOFF_REPORT).symlink_to(elsewhere)
    linked = run_cli("ci", "pr-publish", "--handoff", str(handoff), cwd=tmp_path, env=env)
    assert linked.returncode == 1
    said = "report.md: is a symbolic link; only regular files are read; refusing"
    assert said in linked.stderr
    (handoff / HANDOFF_REPORT).unlink()
    os.mkfifo(handoff / HANDOFF_REPORT)
    fifo = run_cli("ci", "pr-publish", "--handoff", str(handoff), cwd=tmp_path, env=env, timeout=60)
    assert fifo.returncode == 1
    assert "report.md: is not a regular file (a FIFO, socket or device)" in fifo.stderr
    assert "Traceback" not in fifo.stderr
    assert repo.refs["heads/changes"] == head and not repo.comments.get(2)
