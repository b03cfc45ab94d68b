"""Sign-off from a pull request's reviews, read by PyGithub from a GitHub API on loopback.

Each test opens PR #7 over a real branch of the sample factory (its head commit adds the
pending entries), so the seal is made from the reviewed commit's own bytes; the policy and
CODEOWNERS are committed on main, the PR's base.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from github import Auth, Github, GithubException

from tests.ci_kit import head
from tests.conftest import git, run_cli
from tests.github_server import GitHubServer, Repo, user
from tests.ledger_helpers import parade_entry
from toyfoundry_ci.base.canonical import sha256_file
from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import rebuild_index
from toyfoundry_ci.ledger.lag import index_state
from toyfoundry_ci.ledger.signoff import seal_from_pull_request
from toyfoundry_ci.ledger.store import read_entry

ORDERS = ["ALFA-2026-0001", "ALFA-2026-0002"]
ENTRIES = [f"exchange/ledger/entries/{o}.json" for o in ORDERS]
OLD = "b" * 40
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@dataclass
class Pull:
    layout: Layout
    server: GitHubServer
    repo: Repo
    head: str
    base: str

    def review(
        self, login: str, state: str = "APPROVED", commit: str | None = None,
        *, hours: int = 0, kind: str = "User", role: str | None = "write",
    ) -> dict[str, Any]:  # fmt: skip
        """``login`` reviews PR #7 (with ``role`` on the repository, None: none)."""
        if role is not None:
            self.repo.roles.setdefault(login, role)
        at, commit = T0 + timedelta(hours=hours), commit or self.head
        return self.server.add_review(self.repo, 7, login, state, commit, kind=kind, at=at)

    def seal(self, orders: list[str] | None = None, token: str | None = None) -> list[Any]:
        return seal_from_pull_request(
            self.layout, "hq/factory", 7, client(self.server, token), orders
        )


def client(server: GitHubServer, token: str | None = None) -> Github:
    return Github(base_url=server.url, auth=Auth.Token(token or server.token))


def commit_on_main(factory: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (factory / rel).parent.mkdir(parents=True, exist_ok=True)
        (factory / rel).write_text(text, encoding="utf-8")
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Set the sign-off policy")


def open_pull(
    factory: Path, server: GitHubServer, branch_files: dict[str, str] | None = None
) -> Pull:
    """PR #7 by ``author``: a branch off main whose one commit parades ``ORDERS``."""
    layout = Layout(factory)
    base = head(factory)
    git(factory, "checkout", "-q", "-b", "parade")
    for order_id in ORDERS:
        parade_entry(layout, order_id)
    rebuild_index(layout)
    for rel, text in (branch_files or {}).items():
        (factory / rel).write_text(text, encoding="utf-8")
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Parade")
    repo = server.add_repo("hq/factory")
    pull = server.add_pull(repo, 7, "author", head(factory), [*ENTRIES, "exchange/orders/x.json"])
    pull["base"]["sha"] = base
    server.add_pull_commit(repo, 7, head(factory), "author")
    return Pull(layout, server, repo, head(factory), base)


@pytest.fixture
def pull(unentered_factory: Path, github_server: GitHubServer) -> Pull:
    return open_pull(unentered_factory, github_server)


def test_an_approval_by_a_writer_seals_the_prs_entries_over_the_reviewed_bytes(pull: Pull) -> None:
    review = pull.review("reviewer", role="maintain")
    results = pull.seal()
    assert [r.order_id for r in results] == ORDERS
    entry = read_entry(pull.layout, "ALFA-2026-0001")
    assert entry is not None
    seal = entry.signoff
    assert (seal.state, seal.method, seal.reviewer) == ("sealed", "github", "reviewer")
    assert seal.reviewer_id == user("reviewer")["id"]
    assert (seal.pull_request, seal.review_id, seal.commit) == (7, review["id"], pull.head)
    assert (seal.permission, seal.at) == ("maintain", T0)
    assert [a.review_id for a in seal.approvals or ()] == [review["id"]]
    assert {d.name: d.digest.sha256 for d in seal.digests or ()} == {
        s.name: sha256_file(pull.layout.root / s.name) for s in entry.subjects
    }
    # On the PR's branch the index is left to lag; the seals are its only lag.
    lag = index_state(pull.layout)
    assert (lag.status, sorted(lag.behind)) == ("behind", ORDERS)
    paths = [r.path for r in pull.server.requests]
    assert paths[:2] == ["/repos/hq/factory", "/repos/hq/factory/pulls/7"]
    assert "/repos/hq/factory/collaborators/reviewer/permission" in paths
    assert "/repos/hq/factory/pulls/7/commits" in paths
    assert not any(r.sealed for r in pull.seal())


def test_only_the_orders_asked_for_are_sealed(pull: Pull) -> None:
    pull.review("reviewer")
    with pytest.raises(RefusedError, match="does not add the ledger entry of ALFA-2026-0003"):
        pull.seal(["ALFA-2026-0003"])
    results = pull.seal(["ALFA-2026-0001"])
    assert [(r.order_id, r.sealed) for r in results] == [("ALFA-2026-0001", True)]
    other = read_entry(pull.layout, "ALFA-2026-0002")
    assert other is not None
    assert other.signoff.state == "pending"


def _second_account(p: Pull) -> None:
    p.server.add_pull_commit(p.repo, 7, "c" * 40, "author-alt")
    p.review("author-alt")


def _co_author(p: Pull) -> None:
    email = f"{user('reviewer')['id']}+reviewer@users.noreply.github.com"
    message = f"Fix the report\n\nCo-authored-by: Reviewer <{email}>"
    p.server.add_pull_commit(p.repo, 7, "c" * 40, "author", message=message)
    p.review("reviewer")


def _changes_requested_after(p: Pull) -> None:
    p.review("reviewer")
    p.review("second", "CHANGES_REQUESTED", hours=1)


@pytest.mark.parametrize(
    ("arrange", "why"),
    [
        (lambda p: p.review("reviewer", role="read"), "cannot push to the repository"),
        (lambda p: p.review("outsider", role=None), "cannot push to the repository"),
        (lambda p: p.review("author"), "the pull request's author"),
        (_second_account, "authored or committed a commit of the pull request"),
        (_co_author, r"is a co-author \(Co-authored-by\)"),
        (lambda p: p.review("dependabot[bot]", kind="Bot"), "a bot"),
        (lambda p: p.review("helper", kind="Bot"), "a bot"),
        (lambda p: p.review("reviewer", commit=OLD), f"approved {OLD[:12]}, not the head"),
        (_changes_requested_after, r"second \(review \d+\) requested changes"),
        (
            lambda p: (p.review("reviewer"), p.review("reviewer", "CHANGES_REQUESTED", hours=1)),
            r"reviewer \(review \d+\) requested changes",
        ),
        (
            lambda p: (p.server.add_pull_commit(p.repo, 7, "d" * 40, None), p.review("reviewer")),
            r"author of commit dddddddddddd \(someone@elsewhere.test\) is linked to no GitHub",
        ),
        (lambda p: None, "0 of the 1 qualifying approval"),
    ],
)
def test_no_qualifying_approval_refuses_names_why_and_writes_nothing(
    pull: Pull, arrange: Any, why: str
) -> None:
    arrange(pull)
    before = pull.layout.ledger_entry_file("ALFA-2026-0001").read_bytes()
    with pytest.raises(RefusedError, match=why):
        pull.seal()
    assert pull.layout.ledger_entry_file("ALFA-2026-0001").read_bytes() == before


def test_a_pull_request_of_250_commits_fails_closed(pull: Pull) -> None:
    for i in range(249):
        pull.server.add_pull_commit(pull.repo, 7, f"{i:040x}", "author")
    pull.review("reviewer")
    with pytest.raises(RefusedError, match="has 250 commits; GitHub lists only 250"):
        pull.seal()


def test_two_approvals_required_and_one_given_is_refused_and_two_seal(
    unentered_factory: Path, github_server: GitHubServer
) -> None:
    commit_on_main(unentered_factory, {".toyfoundry/config.toml": "signoff.approvals = 2\n"})
    p = open_pull(unentered_factory, github_server)
    p.review("reviewer")
    with pytest.raises(RefusedError, match="1 of the 2 qualifying approval"):
        p.seal()
    p.review("second", hours=1)
    sealed = p.seal()
    assert [a.reviewer for a in sealed[0].signoff.approvals or ()] == ["reviewer", "second"]


def test_a_pull_request_cannot_lower_its_own_approvals(
    unentered_factory: Path, github_server: GitHubServer
) -> None:
    commit_on_main(unentered_factory, {".toyfoundry/config.toml": "signoff.approvals = 2\n"})
    # The PR itself sets the bar back to one: the base's setting is the one that counts.
    lowered = {".toyfoundry/config.toml": "signoff.approvals = 1\n"}
    p = open_pull(unentered_factory, github_server, lowered)
    p.review("reviewer")
    with pytest.raises(RefusedError, match=r"1 of the 2 qualifying approval.*signoff.approvals at"):
        p.seal()


OWNERS = "# evidence owners\n*.md @docs-team-lead\n/exchange/reports/ @quality-lead\n"


def test_codeowners_needs_an_owners_approval_of_the_evidence(
    unentered_factory: Path, github_server: GitHubServer
) -> None:
    commit_on_main(unentered_factory, {".github/CODEOWNERS": OWNERS})
    p = open_pull(unentered_factory, github_server)
    p.review("reviewer")
    with pytest.raises(
        RefusedError,
        match=r"no approval by an owner of exchange/reports/RPT-ALFA-2026-0001.json"
        r" \(.github/CODEOWNERS at [0-9a-f]+, line 3: @quality-lead\)",
    ):
        p.seal()
    p.review("quality-lead", hours=1)
    assert all(r.sealed for r in p.seal())


def test_a_team_the_token_cannot_read_is_not_satisfied(
    unentered_factory: Path, github_server: GitHubServer
) -> None:
    commit_on_main(unentered_factory, {".github/CODEOWNERS": "exchange/ @hq/quality\n"})
    p = open_pull(unentered_factory, github_server)
    github_server.teams["hq/quality"] = ["reviewer"]
    p.review("reviewer")
    with pytest.raises(RefusedError, match=r"the token cannot read team @hq/quality \(403\)"):
        p.seal()
    assert all(r.sealed for r in p.seal(token=github_server.app_token))


def test_a_later_comment_does_not_undo_an_approval(pull: Pull) -> None:
    pull.review("reviewer", "CHANGES_REQUESTED", OLD)
    pull.review("reviewer", hours=1)
    pull.review("reviewer", "COMMENTED", hours=2)
    results = pull.seal()
    assert all(r.sealed and r.signoff.reviewer == "reviewer" for r in results)


def test_reviews_are_read_across_pages(pull: Pull) -> None:
    for i in range(65):
        pull.review(f"u{i}", "COMMENTED", role=None)
    pull.review("late-reviewer")
    results = pull.seal()
    assert results[0].signoff.reviewer == "late-reviewer"
    pages = [r.query.get("page") for r in pull.server.requests if r.path.endswith("/reviews")]
    assert pages == [None, ["2"], ["3"]]


def test_rate_limit_with_retry_after_is_retried_by_pygithub(pull: Pull) -> None:
    pull.review("reviewer")
    pull.server.rate_limited(status=429, retry_after=0)
    results = pull.seal()
    assert results[0].sealed
    assert [r.status for r in pull.server.requests[:2]] == [429, 200]


def test_missing_token_and_unknown_pull_are_github_errors(pull: Pull) -> None:
    with pytest.raises(GithubException) as denied:
        seal_from_pull_request(pull.layout, "hq/factory", 7, Github(base_url=pull.server.url))
    assert denied.value.status == 401
    with pytest.raises(GithubException) as missing:
        seal_from_pull_request(pull.layout, "hq/factory", 99, client(pull.server))
    assert missing.value.status == 404


def test_signoff_command_reads_the_pr_and_never_prints_the_token(pull: Pull) -> None:
    pull.review("reviewer")
    env = {"GITHUB_TOKEN": pull.server.token, "GITHUB_API_URL": pull.server.url}
    proc = run_cli(
        "signoff", "--pull-request", "7", "--repo", "hq/factory", cwd=pull.layout.root, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "ALFA-2026-0001: sealed by reviewer (github)" in proc.stdout
    assert pull.server.token not in proc.stdout + proc.stderr


def test_git_data_endpoints_build_a_commit_and_refuse_a_stale_ref_update(
    github_server: GitHubServer,
) -> None:
    repo_state = github_server.add_repo("hq/hub")
    repo = client(github_server).get_repo("hq/hub")
    ref = repo.get_git_ref("heads/main")
    base = repo.get_git_commit(ref.object.sha)
    blob = repo.create_git_blob("hello\n", "utf-8")
    from github.InputGitTreeElement import InputGitTreeElement

    tree = repo.create_git_tree(
        [InputGitTreeElement("orders/a.json", "100644", "blob", sha=blob.sha)], base.tree
    )
    commit = repo.create_git_commit("push", tree, [base])
    ref.edit(commit.sha)
    assert github_server.files_at(repo_state, "main") == {"orders/a.json": b"hello\n"}
    assert repo.get_contents("orders/a.json").decoded_content == b"hello\n"  # type: ignore[union-attr]
    stale = repo.create_git_commit("stale", tree, [base])
    with pytest.raises(GithubException) as refused:
        ref.edit(stale.sha)
    assert refused.value.status == 422


def test_a_reviewed_commit_missing_from_the_clone_is_fetched_from_the_pulls_head(
    pull: Pull, tmp_path: Path
) -> None:
    pull.review("reviewer")
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", str(origin))
    git(pull.layout.root, "push", "-q", str(origin), f"{pull.base}:refs/heads/main",
        f"{pull.head}:refs/pull/7/head")  # fmt: skip
    # A clone of main alone: the PR's head is in no branch it fetched (as after a squash).
    clone = tmp_path / "clone"
    git(
        tmp_path,
        "clone",
        "-q",
        "--no-local",
        "--single-branch",
        "-b",
        "main",
        str(origin),
        str(clone),
    )
    layout = Layout(clone)
    for order_id in ORDERS:
        parade_entry(layout, order_id)
    missing = subprocess.run(["git", "cat-file", "-e", pull.head], cwd=clone, check=False)
    assert missing.returncode != 0
    results = seal_from_pull_request(layout, "hq/factory", 7, client(pull.server))
    assert [r.order_id for r in results if r.sealed] == ORDERS
    assert git(clone, "cat-file", "-t", pull.head).strip() == "commit"
