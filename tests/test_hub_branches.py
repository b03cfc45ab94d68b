"""A hub is what git (or GitHub) says it is: its default branch, and no hub that is not there.

Real ``git init --bare`` hubs on ``master``, on ``main`` and on git's own default (no
``init.defaultBranch`` configured: the tests run with an empty $HOME), folders that exist or
not, and the GitHub hub through the loopback API server.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import git, run_cli
from tests.exchange_kit import answer, directive, enter, factory_docs, issued
from tests.github_server import GitHubServer
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.hub.config import open_hub
from toyfoundry_ci.hub.protocol import HubFile, Publication

ORDER = "ALFA-2027-0001"


def bare_hub(tmp_path: Path, *init: str) -> tuple[Path, str]:
    """``git init --bare [init]``; High Command commits one directive on HEAD's branch."""
    bare = tmp_path / "hub.git"
    git(tmp_path, "init", "-q", "--bare", *init, str(bare))
    branch = git(bare, "symbolic-ref", "--short", "HEAD").strip()
    work = tmp_path / "high-command"
    git(tmp_path, "clone", "-q", str(bare), str(work))
    (work / "orders").mkdir()
    (work / "orders" / f"{ORDER}.json").write_bytes(directive(ORDER))
    git(work, "add", "-A")
    git(work, "-c", "commit.gpgsign=false", "commit", "-q", "-m", "High Command: a directive")
    git(work, "push", "-q", "origin", f"HEAD:refs/heads/{branch}")
    return bare, branch


def branches(bare: Path) -> list[str]:
    return git(bare, "for-each-ref", "--format=%(refname:short)", "refs/heads").split()


def new_factory(tmp_path: Path) -> Layout:
    layout = Layout(tmp_path / "factory")
    factory_docs(layout.root)
    return layout


@pytest.mark.parametrize("init", [("-b", "master"), ("-b", "main"), ()], ids=str)
def test_pull_and_push_use_the_hubs_default_branch(tmp_path: Path, init: tuple[str, ...]) -> None:
    bare, branch = bare_hub(tmp_path, *init)
    layout = new_factory(tmp_path)

    pulled = run_cli("pull", "--hub", str(bare), cwd=layout.root)
    assert pulled.returncode == 0, pulled.stderr
    assert f"new      {ORDER}" in pulled.stdout
    answer(layout, ORDER)
    enter(layout, ORDER)
    pushed = run_cli("push", "--hub", str(bare), cwd=layout.root)

    assert pushed.returncode == 0, pushed.stderr
    assert "pushed 1 order " in pushed.stdout
    assert branches(bare) == [branch]  # no parentless branch beside the default
    assert git(bare, "rev-list", "--count", branch).strip() == "2"
    changed = git(bare, "diff", "--name-only", f"{branch}~1", branch).split()
    assert f"acknowledgements/ACK-{ORDER}.json" in changed
    assert not [p for p in changed if p.startswith("orders/")]  # orders/ is the hub's own


def test_a_missing_branch_is_an_error_naming_it_and_push_creates_none(tmp_path: Path) -> None:
    bare, _ = bare_hub(tmp_path, "-b", "master")
    layout = new_factory(tmp_path)

    for command in ("pull", "push"):
        proc = run_cli(command, "--hub", f"{bare}#main", cwd=layout.root)
        assert proc.returncode == 1, proc.stdout
        assert "the hub has no branch main (its branches: master)" in proc.stderr
        assert f"hint: use the hub's default branch: --hub {bare} (that is #master)" in proc.stderr
        assert "Traceback" not in proc.stderr
    assert branches(bare) == ["master"]
    assert not list(layout.orders.glob("*.json"))


def test_an_unborn_head_is_an_empty_hub_and_its_branch_takes_the_first_push(
    tmp_path: Path,
) -> None:
    bare = tmp_path / "hub.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "master", str(bare))
    layout = new_factory(tmp_path)

    pulled = run_cli("pull", "--hub", str(bare), cwd=layout.root)
    assert pulled.returncode == 0, pulled.stderr
    assert f"nothing new on {bare}: 0 directives already mirrored" in pulled.stdout
    named = run_cli("pull", "--hub", f"{bare}#main", cwd=layout.root)
    assert named.returncode == 1
    assert "the hub has no branch main (its branches: none)" in named.stderr

    hub = open_hub(layout, str(bare))
    notice = HubFile("notifications/first.json", b"{}\n")
    hub.publish(Publication((), HubFile("receipts/first.json", b"{}\n"), notice, "first"))
    assert branches(bare) == ["master"]


def test_a_missing_repository_or_folder_is_an_error_naming_it(tmp_path: Path) -> None:
    layout = new_factory(tmp_path)
    missing_repo = tmp_path / "nowhere.git"
    missing_folder = tmp_path / "no-such-hub"

    repo = run_cli("pull", "--hub", str(missing_repo), cwd=layout.root)
    folder = run_cli("push", "--hub", str(missing_folder), cwd=layout.root)

    assert repo.returncode == 1
    assert f"error: {missing_repo}: no git repository can be read there" in repo.stderr
    assert "git init --bare PATH" in repo.stderr
    assert folder.returncode == 1
    assert f"error: {missing_folder}: no such hub folder" in folder.stderr
    assert not missing_folder.exists()


def test_the_embedded_hub_is_made_on_first_use(tmp_path: Path) -> None:
    layout = new_factory(tmp_path)

    pulled = run_cli("pull", cwd=layout.root)

    assert pulled.returncode == 0, pulled.stderr
    assert "nothing new on .toyfoundry/hub" in pulled.stdout


@pytest.fixture
def trunk_hub(github_server: GitHubServer, monkeypatch: pytest.MonkeyPatch) -> GitHubServer:
    """A GitHub hub whose default branch is ``trunk``."""
    github_server.add_repo("high-command/hub", default_branch="trunk", files=issued(1, 1))
    monkeypatch.setenv("TOYFOUNDRY_GITHUB_API_URL", github_server.url)
    monkeypatch.setenv("TOYFOUNDRY_HUB_TOKEN", github_server.token)
    monkeypatch.setenv("TOYFOUNDRY_GITHUB_BACKOFF", "0.01")
    return github_server


def test_a_github_hub_is_its_default_branch_and_a_missing_one_is_named(
    tmp_path: Path, trunk_hub: GitHubServer
) -> None:
    layout = new_factory(tmp_path)
    repo = trunk_hub.repos["high-command/hub"]

    pulled = run_cli("pull", "--hub", "github://high-command/hub", cwd=layout.root)
    assert pulled.returncode == 0, pulled.stderr
    assert f"pulled from github://high-command/hub@trunk via {trunk_hub.url}" in pulled.stdout
    answer(layout, ORDER)
    enter(layout, ORDER)
    pushed = run_cli("push", "--hub", "github://high-command/hub", cwd=layout.root)
    missing = run_cli("push", "--hub", "github://high-command/hub@main", cwd=layout.root)

    assert pushed.returncode == 0, pushed.stderr
    assert f"reports/RPT-{ORDER}.json" in trunk_hub.files_at(repo, "trunk")
    assert missing.returncode == 1
    assert "the hub has no branch main" in missing.stderr
    assert "use the default branch (trunk): --hub github://high-command/hub" in missing.stderr
    assert sorted(repo.refs) == ["heads/trunk"]


def test_a_head_naming_a_branch_without_commits_asks_for_the_branch(tmp_path: Path) -> None:
    bare, _ = bare_hub(tmp_path, "-b", "master")
    git(bare, "symbolic-ref", "HEAD", "refs/heads/main")  # HEAD names main; only master exists
    layout = new_factory(tmp_path)

    unnamed = run_cli("pull", "--hub", str(bare), cwd=layout.root)
    named = run_cli("pull", "--hub", f"{bare}#master", cwd=layout.root)

    assert unnamed.returncode == 1
    said = "the hub's HEAD names no branch with commits (its branches: master)"
    assert said in unnamed.stderr
    assert f"hint: name the branch: --hub {bare}#master" in unnamed.stderr
    assert named.returncode == 0, named.stderr
    assert f"new      {ORDER}" in named.stdout
