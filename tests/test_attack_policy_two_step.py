"""Attack: an unreviewed PR switches ``signoff.method`` to "local"; the next unreviewed PR
seals with ``toyfoundry signoff --reviewer ANY-NAME``. Each gate reads the policy of its
base, so both are green, and ``ci merge`` (policy at HEAD) pushes evidence no GitHub review
approved."""

from __future__ import annotations

from pathlib import Path

from tests.ci_kit import fresh_checkout, head, merge_pr
from tests.ci_kit import merge_run as _merge_run
from tests.conftest import git, run_cli
from tests.github_server import GitHubServer, Repo
from tests.test_signoff_gate import ORDERS, _sent
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import rebuild_index


def _unreviewed_pr(
    factory: Path, server: GitHubServer, repo: Repo, number: int, change
) -> tuple[str, str]:
    """PR ``number`` by mallory, with ``change`` applied, merged with no review; returns
    (the base it was gated against, the merge)."""
    base = head(factory)
    git(factory, "checkout", "-q", "-b", f"pr-{number}", "main")
    files = change(factory)
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", f"PR {number}")
    branch = head(factory)
    server.add_pull(repo, number, "mallory", branch, files)
    server.add_pull_commit(repo, number, branch, "mallory")
    git(factory, "checkout", "-q", "main")
    git(factory, "merge", "-q", "--no-ff", "-m", f"Merge pull request #{number}", branch)
    merge = head(factory)
    server.merge_pull(repo, number, [branch, merge])
    return base, branch


def test_a_pr_cannot_lower_the_bar_for_the_next_one(
    unentered_factory: Path, hub_folder: Path, github_server: GitHubServer, repo: Repo
) -> None:
    factory, tmp_path = unentered_factory, hub_folder.parent
    merge_pr(github_server, repo, factory, 1, ORDERS, approve=False)  # pending, unreviewed
    env = {
        "GITHUB_TOKEN": github_server.token,
        "GITHUB_API_URL": github_server.url,
        "GITHUB_REPOSITORY": "Codertocat/Hello-World",
    }

    def lower(f: Path) -> list[str]:
        (f / ".toyfoundry").mkdir(exist_ok=True)
        (f / ".toyfoundry/config.toml").write_text('signoff.method = "local"\n')
        return [".toyfoundry/config.toml"]

    def seal(f: Path) -> list[str]:
        for order in ORDERS:
            proc = run_cli("signoff", order, "--reviewer", "ANY-NAME", cwd=f)
            assert proc.returncode == 0, proc.stdout + proc.stderr
        rebuild_index(Layout(f))
        return [f"exchange/ledger/entries/{o}.json" for o in ORDERS]

    greens = []
    for number, change in ((2, lower), (3, seal)):
        base, branch = _unreviewed_pr(factory, github_server, repo, number, change)
        git(factory, "checkout", "-q", "--detach", branch)
        gate = run_cli("ledger", "verify", "--base", base, cwd=factory, env=env)
        greens.append(gate.returncode == 0)
        git(factory, "checkout", "-q", "main")
    merge = head(factory)
    before = git(factory, "rev-parse", "HEAD^1").strip()
    fresh_checkout(factory, merge)
    _status, out, _ = _merge_run(
        factory, tmp_path, github_server, hub_folder, sha=merge, before=before
    )

    sent = _sent(hub_folder)
    # Either the PR that lowered the bar is refused by its gate, or nothing leaves.
    assert not all(greens) or sent == [], out


def test_a_pr_that_raises_the_bar_passes_the_gate(unentered_factory: Path) -> None:
    factory = unentered_factory
    base = head(factory)
    git(factory, "checkout", "-q", "-b", "stricter", "main")
    (factory / ".toyfoundry").mkdir(exist_ok=True)
    (factory / ".toyfoundry/config.toml").write_text(
        'signoff.method = "github"\nsignoff.approvals = 2\n'
    )
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Ask for two approvals")

    raised = run_cli("ledger", "verify", "--base", base, cwd=factory)
    assert raised.returncode == 0, raised.stdout + raised.stderr

    (factory / ".toyfoundry/config.toml").write_text('signoff.method = "github"\n')
    git(factory, "commit", "-qam", "Ask for one again")
    lowered = run_cli("ledger", "verify", "--base", head(factory) + "~1", cwd=factory)
    assert lowered.returncode == 1
    assert "signoff.approvals" in lowered.stdout
    assert "2 became 1" in lowered.stdout
