"""Attack: an entry file a PR rewrites into a shape that is JSON but not an entry makes
``ledger verify --base`` (the PR gate) die with a traceback instead of naming the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ci_kit import head, merge_pr
from tests.conftest import git, run_cli
from tests.github_server import GitHubServer, Repo
from tests.test_signoff_gate import ENTRY, ORDERS

SHAPES = {
    "signoff is a string": lambda e: {**e, "signoff": "sealed"},
    "entry is a list": lambda e: [e],
    "signoff is a list": lambda e: {**e, "signoff": []},
}


@pytest.mark.parametrize("shape", SHAPES, ids=list(SHAPES))
def test_a_changed_entry_of_the_wrong_shape_is_a_problem_not_a_crash(
    unentered_factory: Path, github_server: GitHubServer, repo: Repo, shape: str
) -> None:
    factory = unentered_factory
    merge_pr(github_server, repo, factory, 1, ORDERS, approve=False)
    base = head(factory)
    entry = json.loads((factory / ENTRY).read_text())
    (factory / ENTRY).write_text(json.dumps(SHAPES[shape](entry), indent=2) + "\n")
    git(factory, "commit", "-qam", "Reshape an entry")

    proc = run_cli("ledger", "verify", "--base", base, cwd=factory)

    assert "Traceback" not in proc.stderr, proc.stderr
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert ENTRY in proc.stdout
