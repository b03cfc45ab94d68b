"""Attack: a record file a PR adds under logs/exchange_all.d/ that is JSON but not a valid
exchange log makes ``toyfoundry push`` (and ``pull``, the intake workflow's first step) die
with a traceback (exit 3)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import git, run_cli
from tests.github_server import GitHubServer, Repo
from tests.test_signoff_gate import _sealed_by_pr

RECORD = "logs/exchange_all.d/20261201T000000Z-0000-0123456789ab.json"
BAD = {
    "run is not an object": {"kind": "exchange-log", "pivot": "v1", "runs": ["x"]},
    "bad timestamp": {
        "kind": "exchange-log",
        "pivot": "v1",
        "runs": [
            {"at": "yesterday", "direction": "push", "hub": "h", "orders": [], "result": "ok"}
        ],
    },
}


@pytest.mark.parametrize("bad", BAD, ids=list(BAD))
def test_a_malformed_log_record_is_named_not_a_crash(
    unentered_factory: Path, hub_folder: Path, github_server: GitHubServer, repo: Repo, bad: str
) -> None:
    factory = unentered_factory
    env, _ = _sealed_by_pr(factory, github_server, repo)
    (factory / RECORD).parent.mkdir(parents=True, exist_ok=True)
    (factory / RECORD).write_text(json.dumps(BAD[bad]))
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "A log record")

    proc = run_cli("push", cwd=factory, env=env)
    said = proc.stdout + proc.stderr

    assert proc.returncode != 3 and "this is a bug" not in said, said
    assert RECORD in said, said
