"""Attack: the PR that records a github seal may write what it likes in the seal's
descriptive fields. Only ``review_id``, ``reviewer_id``, ``commit`` and ``digests`` are
re-derived; ``reviewer`` (login), ``permission``, ``at`` and ``approvals`` are believed, so
the ledger entry that goes to the hub names an approver, access level and co-approvals that
GitHub never showed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ci_kit import merge_pr
from tests.conftest import git, run_cli
from tests.github_server import GitHubServer, Repo
from tests.test_signoff_gate import ENTRY, ORDERS
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import rebuild_index


def test_a_seal_naming_another_approver_does_not_re_derive(
    unentered_factory: Path, github_server: GitHubServer, repo: Repo
) -> None:
    factory = unentered_factory
    merge = merge_pr(github_server, repo, factory, 1, ORDERS)  # octocat (write) approved
    env = {
        "GITHUB_TOKEN": github_server.token,
        "GITHUB_API_URL": github_server.url,
        "GITHUB_REPOSITORY": "Codertocat/Hello-World",
    }
    sealed = run_cli("signoff", "--pull-request", "1", cwd=factory, env=env)
    assert sealed.returncode == 0, sealed.stderr
    entry = json.loads((factory / ENTRY).read_text())
    seal = entry["signoff"]
    seal["reviewer"] = "the-ceo"
    seal["permission"] = "admin"
    seal["at"] = "2020-01-01T00:00:00Z"
    forged = {
        **seal["approvals"][0],
        "reviewer": "security-lead",
        "reviewer_id": 4242,
        "review_id": 999999,
        "permission": "admin",
    }
    seal["approvals"] = [*seal["approvals"], forged]
    (factory / ENTRY).write_text(json.dumps(entry, indent=2) + "\n")
    rebuild_index(Layout(factory))
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Record the sign-off")

    gate = run_cli("ledger", "verify", "--base", merge, cwd=factory, env=env)

    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert ENTRY in gate.stdout
