"""Attack: the lag rule accepts an index row when *any* commit of HEAD's history held that
entry version, including a commit of the PR itself. A PR commits a forged sealed version of
an entry with its index row, then restores the entry in a second commit and keeps the row:
the gate is green, readiness calls the forged row "behind", and main's index says sealed."""

from __future__ import annotations

import json
from pathlib import Path

from tests.ci_kit import head, merge_pr
from tests.conftest import git, run_cli
from tests.github_server import GitHubServer, Repo
from tests.test_signoff_gate import ENTRY, ORDERS
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import rebuild_index

INDEX = "exchange/ledger/index.json"


def test_an_index_row_only_the_prs_own_history_held_is_wrong(
    unentered_factory: Path, github_server: GitHubServer, repo: Repo
) -> None:
    factory = unentered_factory
    merge_pr(github_server, repo, factory, 1, ORDERS, approve=False)
    base = head(factory)
    pending = (factory / ENTRY).read_bytes()
    git(factory, "checkout", "-q", "-b", "forge", "main")
    entry = json.loads(pending)
    entry["signoff"] = {
        "state": "sealed",
        "method": "local",
        "reviewer": "ANY-NAME",
        "at": "2026-11-24T09:00:00Z",
    }
    (factory / ENTRY).write_text(json.dumps(entry, indent=2) + "\n")
    rebuild_index(Layout(factory))
    git(factory, "commit", "-qam", "wip")
    (factory / ENTRY).write_bytes(pending)  # the entry as on main; the index row stays
    git(factory, "commit", "-qam", "Tidy")
    assert '"sealed"' in (factory / INDEX).read_text()

    gate = run_cli("ledger", "verify", "--base", base, cwd=factory)

    assert gate.returncode == 1, gate.stdout + gate.stderr
    assert INDEX in gate.stdout
