"""The one GitHub client, over real HTTP on loopback: whose token, and what a failure says.

The hub's token is ``TOYFOUNDRY_HUB_TOKEN`` and nothing else unless the operator asks for
``GITHUB_TOKEN``; every status GitHub answers and every transport failure becomes one line
naming the place and the action, with a hint naming what to set or check, never a traceback
and never the token.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.ci_kit import pr_and_publish
from tests.conftest import run_cli
from tests.exchange_kit import directive, empty_factory, issued, sealed_factory
from tests.github_server import Fault, GitHubServer
from tests.test_ci_pr import _checkout_with_pr, _runner_env
from toyfoundry_ci.base.errors import ToyfoundryError
from toyfoundry_ci.github.client import REPOSITORY, Connection

HUB = "github://high-command/hub"
QUICK = {"TOYFOUNDRY_GITHUB_BACKOFF": "0.01", "TOYFOUNDRY_GITHUB_TIMEOUT": "2"}


def _closed_port() -> int:
    with socket.socket() as closed:  # a port nothing listens on: connection refused
        closed.bind(("127.0.0.1", 0))
        port: int = closed.getsockname()[1]
    return port


def test_the_hub_never_borrows_github_token_unless_asked(
    tmp_path: Path, github_server: GitHubServer
) -> None:
    github_server.add_repo("high-command/hub", files={"orders/ALFA-2027-0001.json": directive(
        "ALFA-2027-0001")})  # fmt: skip
    layout = empty_factory(tmp_path / "factory")
    env = {"TOYFOUNDRY_GITHUB_API_URL": github_server.url, "GITHUB_TOKEN": github_server.token}

    refused = run_cli("pull", "--hub", HUB, cwd=layout.root, env=env)

    assert refused.returncode == 1
    assert "no token was sent: set TOYFOUNDRY_HUB_TOKEN" in refused.stderr
    assert "TOYFOUNDRY_HUB_TOKEN_FALLBACK=github-token" in refused.stderr
    assert not any(r.authorized for r in github_server.requests)  # GITHUB_TOKEN never sent

    asked = {**env, "TOYFOUNDRY_HUB_TOKEN_FALLBACK": "github-token"}
    pulled = run_cli("pull", "--hub", HUB, cwd=layout.root, env=asked)

    assert pulled.returncode == 0, pulled.stderr
    assert "new      ALFA-2027-0001" in pulled.stdout

    odd = run_cli(
        "pull", "--hub", HUB, cwd=layout.root, env={**env, "TOYFOUNDRY_HUB_TOKEN_FALLBACK": "yes"}
    )
    assert odd.returncode == 1
    assert "error: TOYFOUNDRY_HUB_TOKEN_FALLBACK='yes' is not understood" in odd.stderr


def test_signoff_with_the_api_unreachable_says_so(tmp_path: Path) -> None:
    layout = empty_factory(tmp_path / "factory")
    env = {
        "GITHUB_API_URL": f"http://127.0.0.1:{_closed_port()}",
        "GITHUB_TOKEN": "ghs_not-a-real-token-0123456789",
        **QUICK,
    }

    result = run_cli(
        "signoff", "--pull-request", "7", "--repo", "hq/factory", cwd=layout.root, env=env
    )

    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr and "requests." not in result.stderr
    error = next(ln for ln in result.stderr.splitlines() if ln.startswith("error: "))
    assert error.startswith("error: hq/factory on the GitHub API at http://127.0.0.1:")
    assert error.endswith(
        "cannot read pull request #7: cannot connect to the API server"
        " (refused or unreachable), after retries"
    )
    assert "(set by GITHUB_API_URL, else GitHub.com)" in result.stderr
    assert "ghs_not-a-real-token" not in result.stderr


def test_signoff_without_a_token_names_the_variable(tmp_path: Path) -> None:
    layout = empty_factory(tmp_path / "factory")

    result = run_cli("signoff", "--pull-request", "7", "--repo", "hq/factory", cwd=layout.root)

    assert result.returncode == 1
    assert "reading a pull request's reviews needs a token: GITHUB_TOKEN is not set" in (
        result.stderr
    )


def test_ci_pr_publish_with_the_api_unreachable_says_so(factory: Path, tmp_path: Path) -> None:
    """``ci pr`` asks GitHub for nothing; the job that publishes its report meets the API."""
    base, head = _checkout_with_pr(factory)
    with GitHubServer() as server:
        env = _runner_env(tmp_path, server, base, head)
    env.update(GITHUB_API_URL=f"http://127.0.0.1:{_closed_port()}", **QUICK)

    report, result = pr_and_publish(factory, tmp_path, env)

    assert report.returncode in (0, 1), report.stderr  # the PR's verdict; no API involved
    assert "Traceback" not in report.stderr
    assert result.returncode == 1
    assert "Traceback" not in result.stderr and "requests." not in result.stderr
    assert "error: Codertocat/Hello-World on the GitHub API at http://127.0.0.1:" in (result.stderr)
    assert "cannot connect to the API server (refused or unreachable)" in result.stderr


STATUSES = {
    "401 wrong token": (
        Fault(401, "Bad credentials"),
        "401 Bad credentials",
        "the token in GITHUB_TOKEN was refused: set it to a valid token",
    ),
    "403 a permission the token lacks": (
        Fault(403, "Resource not accessible by integration"),
        "403 Resource not accessible by integration",
        "the token in GITHUB_TOKEN lacks a permission: see the workflow's permissions:",
    ),
    "403 secondary rate limit, retried": (
        Fault(403, "You have exceeded a secondary rate limit", headers={"Retry-After": "0"}),
        "gave up after retries (too many 403 error responses)",
        "wait for GitHub's rate limit to reset, then run again",
    ),
    "429 rate limit, retried": (
        Fault(429, "API rate limit exceeded", headers={"Retry-After": "0"}),
        "gave up after retries (too many 429 error responses)",
        "wait for GitHub's rate limit to reset, then run again",
    ),
    "404": (
        Fault(404, "Not Found"),
        "404 Not Found",
        "check that hq/factory exists and that the token may read it",
    ),
    "422": (
        Fault(422, "Validation Failed"),
        "422 Validation Failed",
        "a branch or object it names may have moved; run it again",
    ),
    "500, retried": (
        Fault(500, "Server Error"),
        "gave up after retries (too many 500 error responses)",
        "check that http://127.0.0.1:",
    ),
}


@pytest.mark.parametrize("name", list(STATUSES))
def test_each_failure_is_one_message_with_a_hint(github_server: GitHubServer, name: str) -> None:
    fault, said, hint = STATUSES[name]
    github_server.add_repo("hq/factory")
    github_server.faults += [fault] * 10  # every try meets it
    env = {"GITHUB_API_URL": github_server.url, "GITHUB_TOKEN": github_server.token, **QUICK}
    conn = Connection(REPOSITORY, "hq/factory", env)

    with pytest.raises(ToyfoundryError) as caught:
        conn.call(lambda: conn.github.get_repo("hq/factory"), conn.place, "read the repository")

    assert caught.value.message == (
        f"hq/factory on the GitHub API at {github_server.url}: cannot read the repository: {said}"
    )
    assert hint in (caught.value.hint or "")
    assert github_server.token not in f"{caught.value.message}{caught.value.hint}"


def test_a_tree_github_truncates_is_walked_folder_by_folder(
    tmp_path: Path, github_server: GitHubServer
) -> None:
    files = {"README.md": b"hub\n", **{f"docs/{n}.md": b"x\n" for n in range(5)}}
    github_server.add_repo("high-command/hub", files={**files, **issued(1, 3)})
    github_server.tree_limit = 8  # the recursive listing holds 11 entries or more: it is cut
    layout, _ = sealed_factory(tmp_path / "factory", 3)
    env = {
        "TOYFOUNDRY_GITHUB_API_URL": github_server.url,
        "TOYFOUNDRY_HUB_TOKEN": github_server.token,
    }

    pushed = run_cli("push", "--hub", HUB, cwd=layout.root, env=env)

    assert pushed.returncode == 0, pushed.stderr
    walked = [r.path for r in github_server.requests if "/git/trees/" in r.path and not r.query]
    assert len(walked) >= 2  # the top, then orders/ (docs/ is not the hub's: never listed)
    repo = github_server.repos["high-command/hub"]
    on_hub = github_server.files_at(repo, "main")
    assert sum(p.startswith("receipts/") for p in on_hub) == 1
    assert all(p in on_hub for p in files)  # the hub's other files are kept

    again = run_cli("push", "--hub", HUB, cwd=layout.root, env=env)
    assert again.returncode == 0, again.stderr
    assert "nothing new" in again.stdout  # what the walk found is what the hub holds


def test_a_hub_folder_github_cannot_list_whole_is_refused_by_name(
    tmp_path: Path, github_server: GitHubServer
) -> None:
    github_server.add_repo("high-command/hub", files=issued(1, 4))
    github_server.tree_limit = 3
    layout = empty_factory(tmp_path / "factory")
    env = {
        "TOYFOUNDRY_GITHUB_API_URL": github_server.url,
        "TOYFOUNDRY_HUB_TOKEN": github_server.token,
    }

    pulled = run_cli("pull", "--hub", HUB, cwd=layout.root, env=env)

    assert pulled.returncode == 1
    assert "error: github://high-command/hub@main via http://127.0.0.1:" in pulled.stderr
    assert "folder orders holds more entries than GitHub lists in one answer" in pulled.stderr
    assert not list(layout.orders.glob("*.json"))  # nothing taken from a partial listing


def test_the_client_reads_who_may_push_and_who_wrote_a_pull_requests_commits(
    github_server: GitHubServer,
) -> None:
    """What sign-off rules need beyond reviews: a reviewer's push right (``user.permissions
    .push``, which PyGithub drops) and the PR's commits, at most 250 of them, as GitHub."""
    repo = github_server.add_repo("hq/factory")
    github_server.add_pull(repo, 7, "author", "a" * 40, [])
    repo.roles.update(octocat="maintain", reader="read")
    github_server.add_pull_commit(repo, 7, "c" * 40, "author", committer="web-flow")
    github_server.add_pull_commit(repo, 7, "d" * 40, None)
    env = {"GITHUB_API_URL": github_server.url, "GITHUB_TOKEN": github_server.token}
    conn = Connection(REPOSITORY, "hq/factory", env)

    def push_right(login: str) -> bool:
        found = conn.get_json(f"/repos/hq/factory/collaborators/{login}/permission")
        return bool(found["user"]["permissions"]["push"])

    assert [push_right(u) for u in ("octocat", "reader", "stranger")] == [True, False, False]
    commits = list(conn.github.get_repo("hq/factory").get_pull(7).get_commits())
    assert [(c.sha[0], c.author.login if c.author else None) for c in commits] == [
        ("c", "author"),
        ("d", None),
    ]
    assert commits[0].committer.login == "web-flow"
    for n in range(260):
        github_server.add_pull_commit(repo, 8, f"{n:040x}", "author")
    github_server.add_pull(repo, 8, "author", "e" * 40, [])
    assert conn.github.get_repo("hq/factory").get_pull(8).get_commits().totalCount == 250
