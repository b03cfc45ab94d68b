"""Untrusted text on GitHub: names, IDs and messages stay data in what people read and in the log.

A pull request or a hub can name files and orders anything. Driven as a runner would
(``ci pr`` and ``ci pr-publish``, ``ci intake``, ``push`` inside a job), what reaches the PR
comment, the step summary and the intake PR body is rendered here with a CommonMark parser
(tables on, as on GitHub): no image, link, HTML, heading or mention comes out of it. Every log
line that the runner would read as a workflow command is one the package built.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from markdown_it import MarkdownIt

from tests.ci_kit import configure_hub, event, head, mirror, pr_and_publish, runner_env
from tests.conftest import committed, git, run_cli
from tests.exchange_kit import directive, put_directives
from tests.github_server import GitHubServer, Repo, user
from toyfoundry_ci.actions.comment import MARKER
from toyfoundry_ci.actions.intake import BRANCH
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import rebuild_index

HOSTILE = "@octocat <details>![i](i.png)[l](mailto:x) `x` ``y``"
HOSTILE_ID = f"ALFA-2026-0951\n## pwned heading\n{HOSTILE}"
HOSTILE_NAME = f"{HOSTILE} # pwned"


def _rendered(markdown: str) -> str:
    return MarkdownIt("commonmark").enable("table").render(markdown)


def assert_inert(markdown: str) -> None:
    """Nothing untrusted in ``markdown`` renders as anything but text or code."""
    html = _rendered(markdown)
    assert "<img" not in html and "<a " not in html and "<details" not in html
    assert not [h for h in re.findall(r"<h\d>(.*?)</h\d>", html) if "pwned" in h]
    outside_code = re.sub(r"<code>.*?</code>", "", html, flags=re.DOTALL)
    assert "@octocat" not in outside_code and "pwned" not in outside_code


def _hostile_pr(factory: Path) -> tuple[str, str]:
    base = head(factory)
    git(factory, "checkout", "-q", "-b", "changes")
    (factory / "exchange" / "orders" / f"{HOSTILE_NAME}.json").write_bytes(directive(HOSTILE_ID))
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Add a directive by hand")
    return base, head(factory)


def _pr_env(
    tmp: Path, server: GitHubServer, base: str, sha: str, *, fork: bool = False
) -> dict[str, str]:
    payload = event("pull_request.opened.1")  # edited copy: the checkout's commits
    payload["pull_request"]["base"]["sha"], payload["pull_request"]["head"]["sha"] = base, sha
    payload["pull_request"]["head"]["ref"] = "changes"
    if fork:
        payload["pull_request"]["head"]["repo"]["full_name"] = "forker/Hello-World"
    return runner_env(tmp, server, "pull_request", payload, sha=sha, ref="refs/pull/2/merge")


def _reports(repo: Repo) -> list[dict[str, object]]:
    return [c for c in repo.comments.get(2, []) if str(c["body"]).startswith(MARKER)]


def test_hostile_names_and_ids_are_plain_text_in_the_comment_and_the_summary(
    factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    base, sha = _hostile_pr(factory)
    repo = github_server.add_repo("Codertocat/Hello-World")
    github_server.add_pull(repo, 2, "Codertocat", sha, [f"exchange/orders/{HOSTILE_NAME}.json"])

    proc, published = pr_and_publish(factory, tmp_path, _pr_env(tmp_path, github_server, base, sha))

    assert proc.returncode == 1, proc.stdout + proc.stderr  # the directive is invalid
    assert published.returncode == 0, published.stdout + published.stderr
    summary = (tmp_path / "summary.md").read_text()
    (comment,) = _reports(repo)
    for text in (summary, str(comment["body"])):
        assert_inert(text)
        assert "(a string of" in text  # what is wrong with the ID, not the ID
        assert "pwned heading" not in text  # the invalid value itself is never echoed
    html = _rendered(summary)
    assert "@octocat &lt;details&gt;![i](i.png)" in html  # shown, as code


def test_hostile_hub_names_are_plain_text_in_the_intake_pr_body(
    unentered_factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    factory = unentered_factory
    hub = configure_hub(factory, tmp_path / "hub")
    put_directives(hub, ["ALFA-2027-0001"])
    (hub / "orders" / f"{HOSTILE_NAME}.json").write_bytes(directive("ALFA-2027-0002"))
    repo = github_server.add_repo("Codertocat/Hello-World")
    sha = head(factory)
    mirror(github_server, repo, factory, sha, ref="main")
    dispatch = event("workflow_dispatch.1")  # edited copy: dispatched on this repository
    dispatch["repository"]["full_name"] = "Codertocat/Hello-World"
    env = runner_env(
        tmp_path, github_server, "workflow_dispatch", dispatch, sha=sha, ref="main", hub=hub
    )

    proc = run_cli("ci", "intake", cwd=factory, env=env)

    assert proc.returncode == 0, proc.stdout + proc.stderr
    (pr,) = [p for p in repo.pulls.values() if p["head"]["ref"] == BRANCH]
    body = str(pr["body"])
    assert "quarantined" in body and "| `ALFA-2027-0001` | new |" in body
    # This factory's readiness is red (its RUNBOOK names what it lacks): the intake job is
    # green, and its head carries the red gate, for the PR to show.
    tip = repo.refs[f"heads/{BRANCH}"]
    assert [s["state"] for s in repo.statuses[tip]] == ["failure"]
    assert f"::warning title=toyfoundry::the gate is red on the intake head {tip}" in proc.stdout
    assert_inert(body)
    assert_inert((tmp_path / "summary.md").read_text())


def _command_lines(output: str) -> list[str]:
    return [ln for ln in re.split(r"\r\n|\r|\n", output) if ln.lstrip().startswith(("::", "##["))]


def test_no_printed_name_becomes_a_workflow_command(factory: Path, tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    (hub / "receipts").mkdir(parents=True)
    (hub / "receipts" / "r\n::error title=pwned::x\n  ##[error]pwned\n.json").write_text("{")
    bad = factory / "exchange" / "orders" / "o\r::warning title=pwned::y\n.json"
    bad.write_text("{}")
    job = {"GITHUB_ACTIONS": "true"}

    pushed = run_cli("push", "--hub", str(hub), cwd=factory, env=job)
    checked = run_cli("validate", str(bad), cwd=factory, env=job)  # the hook's fast path

    for proc in (pushed, checked):
        output = proc.stdout + proc.stderr
        assert "pwned" in output, output  # reported, as text
        assert not [ln for ln in _command_lines(output) if "pwned" in ln], output
    assert checked.returncode == 1  # an unsafe file name is refused
    assert "\\::error title=pwned::x" in pushed.stdout + pushed.stderr  # escaped, same words


def test_the_bot_edits_its_own_comment_only(
    factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    base, sha = _hostile_pr(factory)
    repo = github_server.add_repo("Codertocat/Hello-World")
    github_server.add_pull(repo, 2, "Codertocat", sha, [])
    forged = {
        "id": github_server.next_id(),
        "body": f"{MARKER}\nall green",
        "user": user("mallory"),
    }
    app = {"id": github_server.next_id(), "body": f"{MARKER}\nold", "user": user("tf[bot]", "Bot")}
    repo.comments[2] = [forged, app]
    env = _pr_env(tmp_path, github_server, base, sha)

    _, first = pr_and_publish(factory, tmp_path, env)
    assert "PR comment: created" in first.stdout, first.stdout + first.stderr
    assert forged["body"] == f"{MARKER}\nall green" and app["body"] == f"{MARKER}\nold"
    assert repo.comments[2][2]["user"]["login"] == "github-actions[bot]"

    # A factory whose workflows comment as its GitHub App names the App's bot.
    repo.comments[2].pop()
    _, second = pr_and_publish(factory, tmp_path, {**env, "TOYFOUNDRY_BOT_LOGIN": "tf[bot]"})
    assert "PR comment: updated" in second.stdout, second.stdout + second.stderr
    assert forged["body"] == f"{MARKER}\nall green" and app["body"] != f"{MARKER}\nold"
    assert len(repo.comments[2]) == 2


def _entered(factory: Path, *, index: bool) -> tuple[str, str]:
    """A branch that enters the sample's orders in the ledger, its index rebuilt or not."""
    base = head(factory)
    git(factory, "checkout", "-q", "-b", "changes")
    entries = "exchange/ledger/entries"
    shutil.copytree(committed() / entries, factory / entries)
    if index:
        rebuild_index(Layout(factory))
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Enter the orders")
    return base, head(factory)


def test_a_read_only_token_gets_the_summary_a_notice_and_a_green_job(
    unentered_factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    base, sha = _entered(unentered_factory, index=True)
    repo = github_server.add_repo("Codertocat/Hello-World")
    github_server.add_pull(repo, 2, "forker", sha, [])
    read_only = {"GITHUB_TOKEN": github_server.read_only_token}

    for fork in (True, False):  # a fork's PR, and Dependabot's (same repository, read-only)
        env = {**_pr_env(tmp_path, github_server, base, sha, fork=fork), **read_only}
        proc, published = pr_and_publish(unentered_factory, tmp_path, env)

        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert published.returncode == 0, published.stdout + published.stderr
        assert "## toyfoundry: pull request #2" in (tmp_path / "summary.md").read_text()
        assert not _reports(repo)
        if fork:  # nothing to try: a fork's report is in the pr job's summary
            assert "PR comment: not posted" in published.stdout
            assert not [r for r in github_server.requests if r.method != "GET"]
        else:
            assert "PR comment: read-only" in published.stdout
            assert re.search(r"^::notice title=toyfoundry::.*read-only", published.stdout, re.M)
    writes = [r for r in github_server.requests if r.method != "GET"]
    assert writes and {r.status for r in writes} == {403}  # it tried, GitHub refused


def test_a_read_only_token_on_a_same_repository_branch_writes_nothing(
    unentered_factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    base, sha = _entered(unentered_factory, index=False)
    repo = github_server.add_repo("Codertocat/Hello-World")
    mirror(github_server, repo, unentered_factory, sha, ref="changes")
    github_server.add_pull(repo, 2, "dependabot[bot]", sha, [])
    env = {
        **_pr_env(tmp_path, github_server, base, sha),
        "GITHUB_TOKEN": github_server.read_only_token,
    }

    proc, published = pr_and_publish(unentered_factory, tmp_path, env)

    assert "ledger index (readiness): " in proc.stdout, proc.stderr
    assert "PR comment: read-only" in published.stdout, published.stderr
    assert published.returncode == 0
    summary = (tmp_path / "summary.md").read_text()
    assert "### Ledger index" in summary and "Nothing is committed to this branch" in summary
    assert repo.refs["heads/changes"] == sha  # nothing written to the branch
    writes = [r.path for r in github_server.requests if r.method != "GET"]
    assert writes == ["/repos/Codertocat/Hello-World/issues/2/comments"]  # the comment, refused


def test_long_reports_are_cut_to_fit_a_comment_with_a_count(
    factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    base = head(factory)
    git(factory, "checkout", "-q", "-b", "changes")
    names = [f"exchange/orders/ALFA-2026-{n:04d}{'x' * 150}.json" for n in range(300)]
    for name in names:  # invalid, long-named directives: a row and a message each
        (factory / name).write_text('{"kind": "order", "pivot": "v1"}')
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Add many directives by hand")
    sha = head(factory)
    repo = github_server.add_repo("Codertocat/Hello-World")
    github_server.add_pull(repo, 2, "Codertocat", sha, names)

    _, proc = pr_and_publish(factory, tmp_path, _pr_env(tmp_path, github_server, base, sha))

    assert "PR comment: created" in proc.stdout, proc.stdout + proc.stderr
    summary = (tmp_path / "summary.md").read_text()
    assert "… and 100 more rows not shown" in summary
    (comment,) = _reports(repo)
    assert len(str(comment["body"])) <= 65_536 < len(summary)
    assert "cut to fit GitHub's limit of 65,536 characters" in str(comment["body"])
    assert str(comment["body"]).count("\n| `exchange/orders/") <= 200
