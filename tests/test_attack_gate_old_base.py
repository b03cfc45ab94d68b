"""Attack: the gate reads the sign-off policy at the merge base, not at the base branch's
tip. A branch cut before the factory switched to GitHub sign-off carries a local seal
(``toyfoundry signoff --reviewer ANY-NAME``); the gate is green, and once merged the entry
is sealed for good (write-once) by a seal the factory refuses: it can never be pushed nor
sealed properly."""

from __future__ import annotations

from pathlib import Path

from tests.ci_kit import head, merge_pr
from tests.conftest import git, run_cli
from tests.github_server import GitHubServer
from tests.test_signoff_gate import ORDER, ORDERS
from toyfoundry_ci.actions.gate import run_gate
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import rebuild_index


def test_the_gate_applies_the_base_branchs_policy_not_the_merge_bases(
    unentered_factory: Path, github_server: GitHubServer
) -> None:
    factory = unentered_factory
    repo = github_server.add_repo("Codertocat/Hello-World")
    (factory / ".toyfoundry").mkdir(exist_ok=True)
    (factory / ".toyfoundry/config.toml").write_text('signoff.method = "local"\n')
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Sign off locally")
    merge_pr(github_server, repo, factory, 1, ORDERS, approve=False)  # pending entries
    git(factory, "branch", "old-branch")  # cut while the policy was local
    (factory / ".toyfoundry/config.toml").write_text('signoff.method = "github"\n')
    git(factory, "commit", "-qam", "Sign off on GitHub from now on")
    tip = head(factory)

    git(factory, "checkout", "-q", "old-branch")
    proc = run_cli("signoff", ORDER, "--reviewer", "ANY-NAME", cwd=factory)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rebuild_index(Layout(factory))
    git(factory, "commit", "-qam", "Seal it")

    outcome = run_gate(Layout(factory), tip, github_check=lambda rel, seal: None)

    assert not outcome.ok, outcome.summary
    assert "a local seal, but this factory signs off by github" in outcome.summary
