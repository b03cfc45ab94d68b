"""Sign-off from a pull request's reviews, read by PyGithub from a GitHub API on loopback."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from github import Auth, Github, GithubException

from tests.conftest import git, run_cli
from tests.github_server import GitHubServer
from tests.ledger_helpers import parade_entry
from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import index_is_current, rebuild_index
from toyfoundry_ci.ledger.signoff import seal_from_pull_request
from toyfoundry_ci.ledger.store import read_entry

HEAD = "a" * 40
OLD = "b" * 40
ENTRIES = [
    "exchange/ledger/entries/ALFA-2026-0001.json",
    "exchange/ledger/entries/ALFA-2026-0002.json",
]
T0 = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


@pytest.fixture
def factory(unentered_factory: Path) -> Path:
    """These tests enter the sample orders themselves, so they start before any entry."""
    return unentered_factory


@pytest.fixture
def paraded(factory: Path) -> Layout:
    layout = Layout(factory)
    for order_id in ("ALFA-2026-0001", "ALFA-2026-0002"):
        parade_entry(layout, order_id)
    rebuild_index(layout)
    return layout


def client(server: GitHubServer, **kw: object) -> Github:
    return Github(base_url=server.url, auth=Auth.Token(server.token), **kw)  # type: ignore[arg-type]


def test_approval_of_the_head_commit_seals_the_prs_entries(
    paraded: Layout, github_server: GitHubServer
) -> None:
    repo = github_server.add_repo("hq/factory")
    github_server.add_pull(repo, 7, "author", HEAD, [*ENTRIES, "exchange/orders/x.json"])
    review = github_server.add_review(repo, 7, "reviewer", "APPROVED", HEAD, at=T0)
    results = seal_from_pull_request(paraded, "hq/factory", 7, client(github_server))
    assert [r.order_id for r in results] == ["ALFA-2026-0001", "ALFA-2026-0002"]
    entry = read_entry(paraded, "ALFA-2026-0001")
    assert entry is not None
    assert entry.signoff.state == "sealed"
    assert entry.signoff.method == "github"
    assert entry.signoff.reviewer == "reviewer"
    assert entry.signoff.pull_request == 7
    assert entry.signoff.review_id == review["id"]
    assert entry.signoff.commit == HEAD
    assert entry.signoff.at == T0
    assert index_is_current(paraded)
    paths = [r.path for r in github_server.requests]
    assert paths[:2] == ["/repos/hq/factory", "/repos/hq/factory/pulls/7"]
    assert "/repos/hq/factory/pulls/7/reviews" in paths
    again = seal_from_pull_request(paraded, "hq/factory", 7, client(github_server))
    assert not any(r.sealed for r in again)


def test_only_the_orders_asked_for_are_sealed(paraded: Layout, github_server: GitHubServer) -> None:
    repo = github_server.add_repo("hq/factory")
    github_server.add_pull(repo, 7, "author", HEAD, ENTRIES)
    github_server.add_review(repo, 7, "reviewer", "APPROVED", HEAD, at=T0)
    with pytest.raises(RefusedError, match="does not add the ledger entry of ALFA-2026-0003"):
        seal_from_pull_request(paraded, "hq/factory", 7, client(github_server), ["ALFA-2026-0003"])
    results = seal_from_pull_request(
        paraded, "hq/factory", 7, client(github_server), ["ALFA-2026-0001"]
    )
    assert [(r.order_id, r.sealed) for r in results] == [("ALFA-2026-0001", True)]
    other = read_entry(paraded, "ALFA-2026-0002")
    assert other is not None
    assert other.signoff.state == "pending"


@pytest.mark.parametrize(
    ("reviews", "why"),
    [
        ([("author", "APPROVED", HEAD, "User")], "the author approving their own PR"),
        ([("dependabot[bot]", "APPROVED", HEAD, "Bot")], "a bot by login"),
        ([("helper", "APPROVED", HEAD, "Bot")], "a bot by type"),
        ([("reviewer", "APPROVED", OLD, "User")], "an approval of an older commit"),
        (
            [
                ("reviewer", "APPROVED", HEAD, "User"),
                ("reviewer", "CHANGES_REQUESTED", HEAD, "User"),
            ],
            "an approval superseded by a request for changes",
        ),
        ([], "no review at all"),
    ],
)
def test_no_qualifying_approval_refuses_and_writes_nothing(
    paraded: Layout, github_server: GitHubServer, reviews: list[tuple[str, str, str, str]], why: str
) -> None:
    repo = github_server.add_repo("hq/factory")
    github_server.add_pull(repo, 7, "author", HEAD, ENTRIES)
    for i, (login, state, commit, kind) in enumerate(reviews):
        github_server.add_review(
            repo, 7, login, state, commit, kind=kind, at=T0 + timedelta(hours=i)
        )
    before = paraded.ledger_entry_file("ALFA-2026-0001").read_bytes()
    with pytest.raises(RefusedError, match="no approval of its head commit"):
        seal_from_pull_request(paraded, "hq/factory", 7, client(github_server))
    assert paraded.ledger_entry_file("ALFA-2026-0001").read_bytes() == before, why


def test_a_later_comment_does_not_undo_an_approval(
    paraded: Layout, github_server: GitHubServer
) -> None:
    repo = github_server.add_repo("hq/factory")
    github_server.add_pull(repo, 7, "author", HEAD, ENTRIES)
    github_server.add_review(repo, 7, "reviewer", "CHANGES_REQUESTED", OLD, at=T0)
    github_server.add_review(repo, 7, "reviewer", "APPROVED", HEAD, at=T0 + timedelta(hours=1))
    github_server.add_review(repo, 7, "reviewer", "COMMENTED", HEAD, at=T0 + timedelta(hours=2))
    results = seal_from_pull_request(paraded, "hq/factory", 7, client(github_server))
    assert all(r.sealed and r.signoff.reviewer == "reviewer" for r in results)


def test_reviews_are_read_across_pages(paraded: Layout, github_server: GitHubServer) -> None:
    repo = github_server.add_repo("hq/factory")
    github_server.add_pull(repo, 7, "author", HEAD, ENTRIES)
    for i in range(65):
        github_server.add_review(repo, 7, f"u{i}", "COMMENTED", HEAD, at=T0)
    github_server.add_review(repo, 7, "late-reviewer", "APPROVED", HEAD, at=T0)
    results = seal_from_pull_request(paraded, "hq/factory", 7, client(github_server))
    assert results[0].signoff.reviewer == "late-reviewer"
    pages = [r.query.get("page") for r in github_server.requests if r.path.endswith("/reviews")]
    assert pages == [None, ["2"], ["3"]]


def test_rate_limit_with_retry_after_is_retried_by_pygithub(
    paraded: Layout, github_server: GitHubServer
) -> None:
    repo = github_server.add_repo("hq/factory")
    github_server.add_pull(repo, 7, "author", HEAD, ENTRIES)
    github_server.add_review(repo, 7, "reviewer", "APPROVED", HEAD, at=T0)
    github_server.rate_limited(status=429, retry_after=0)
    results = seal_from_pull_request(paraded, "hq/factory", 7, client(github_server))
    assert results[0].sealed
    assert [r.status for r in github_server.requests[:2]] == [429, 200]


def test_missing_token_and_unknown_pull_are_github_errors(
    paraded: Layout, github_server: GitHubServer
) -> None:
    repo = github_server.add_repo("hq/factory")
    github_server.add_pull(repo, 7, "author", HEAD, ENTRIES)
    with pytest.raises(GithubException) as denied:
        seal_from_pull_request(paraded, "hq/factory", 7, Github(base_url=github_server.url))
    assert denied.value.status == 401
    with pytest.raises(GithubException) as missing:
        seal_from_pull_request(paraded, "hq/factory", 99, client(github_server))
    assert missing.value.status == 404


def test_signoff_command_reads_the_pr_and_never_prints_the_token(
    paraded: Layout, github_server: GitHubServer
) -> None:
    repo = github_server.add_repo("hq/factory")
    github_server.add_pull(repo, 7, "author", HEAD, ENTRIES)
    github_server.add_review(repo, 7, "reviewer", "APPROVED", HEAD, at=T0)
    env = {"GITHUB_TOKEN": github_server.token, "GITHUB_API_URL": github_server.url}
    proc = run_cli(
        "signoff", "--pull-request", "7", "--repo", "hq/factory", cwd=paraded.root, env=env
    )
    assert proc.returncode == 0, proc.stderr
    assert "ALFA-2026-0001: sealed by reviewer (github)" in proc.stdout
    assert github_server.token not in proc.stdout + proc.stderr
    git(paraded.root, "status", "--short")


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
