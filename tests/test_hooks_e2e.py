"""The hooks as another factory repository uses them: real pre-commit, real git commits.

pre-commit builds the hook environment from PyPI once per session (PRE_COMMIT_HOME is shared),
from a snapshot of this repository committed to a tmp repository.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, REPO_ROOT, git, run_cli
from tests.exchange_kit import put_directives
from tests.fixtures_hooks import commit, hook_env, pre_commit

pytestmark = pytest.mark.slow

BAD_QTY = EXAMPLES / "invalid/schema-bad-qty/exchange/orders/ALFA-2026-0101.json"
ERROR_LINE = "exchange/orders/ALFA-2026-0101.json::$.lines[0].qty: 0 is less than the minimum of 1"


def _valid_order(factory: Path, order_id: str) -> Path:
    order = json.loads((factory / "exchange/orders/ALFA-2026-0001.json").read_text())
    path = factory / f"exchange/orders/{order_id}.json"
    path.write_text(json.dumps({**order, "order_id": order_id}, indent=2) + "\n")
    return path


def test_try_repo_refuses_an_invalid_order_and_passes_a_valid_one(
    factory: Path, hook_repo: tuple[Path, str]
) -> None:
    repo, _ = hook_repo
    shutil.copy(BAD_QTY, factory / "exchange/orders/ALFA-2026-0101.json")
    git(factory, "add", "exchange/orders")
    refused = pre_commit(factory, "try-repo", str(repo), "toyfoundry-validate")
    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert ERROR_LINE in refused.stdout

    git(factory, "rm", "-q", "-f", "exchange/orders/ALFA-2026-0101.json")
    _valid_order(factory, "ALFA-2026-0004")
    git(factory, "add", "exchange/orders")
    passed = pre_commit(factory, "try-repo", str(repo), "toyfoundry-validate")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "toyfoundry validate" in passed.stdout and "Passed" in passed.stdout


def test_commits_through_the_installed_hooks(factory: Path, hook_repo: tuple[Path, str]) -> None:
    repo, rev = hook_repo
    (factory / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n"
        "    hooks: [{id: toyfoundry-validate}, {id: toyfoundry-readiness}]\n"
    )
    (factory / ".gitignore").write_text(".toyfoundry/hub/\nlogs/\n")
    installed = run_cli(
        "hooks", "install", cwd=factory, env=hook_env() | {"PYTHONPATH": str(REPO_ROOT)}
    )
    assert installed.returncode == 0, installed.stderr
    git(factory, "add", "-A")
    first = commit(factory, "Use the toyfoundry hooks")
    assert first.returncode == 0, first.stdout + first.stderr

    # A valid order, mirrored from the hub, is committed.
    order = _valid_order(factory, "ALFA-2026-0004")
    (factory / ".toyfoundry/hub/orders").mkdir(parents=True)
    shutil.copy(order, factory / ".toyfoundry/hub/orders" / order.name)
    git(factory, "add", str(order))
    ok = commit(factory, "Mirror ALFA-2026-0004")
    assert ok.returncode == 0, ok.stdout + ok.stderr

    # An invalid order never enters history, and the user sees where it is wrong.
    shutil.copy(BAD_QTY, factory / "exchange/orders/ALFA-2026-0101.json")
    git(factory, "add", "exchange/orders/ALFA-2026-0101.json")
    bad = commit(factory, "Add a broken order")
    assert bad.returncode != 0
    assert ERROR_LINE in bad.stdout + bad.stderr
    git(factory, "rm", "-q", "-f", "exchange/orders/ALFA-2026-0101.json")

    # Without its runbook the factory is not ready: the readiness hook refuses.
    git(factory, "rm", "-q", "RUNBOOK.md")
    gone = commit(factory, "Drop the runbook")
    assert gone.returncode != 0
    shown = gone.stdout + gone.stderr
    assert "FAIL  docs-present" in shown
    assert "RUNBOOK.md: missing" in shown
    assert git(factory, "log", "--format=%s").splitlines()[0] == "Mirror ALFA-2026-0004"


def test_everything_a_shift_writes_commits_through_the_hook_repository(
    factory: Path, hook_repo: tuple[Path, str]
) -> None:
    repo, rev = hook_repo
    (factory / ".pre-commit-config.yaml").write_text(
        f"repos:\n  - repo: {repo}\n    rev: {rev}\n    hooks: [{{id: toyfoundry-commit}}]\n"
    )
    (factory / ".gitignore").write_text(".toyfoundry/hub/\n.toyfoundry/telemetry/quilt/raw/\n")
    installed = run_cli("hooks", "install", cwd=factory, env=hook_env())
    assert installed.returncode == 0, installed.stderr
    git(factory, "add", "-A")
    assert commit(factory, "Use the toyfoundry hooks").returncode == 0
    put_directives(factory / ".toyfoundry/hub", ["ALFA-2027-0001", "ALFA-2027-0002"])
    shifted = run_cli("shift", cwd=factory, env=hook_env())
    assert shifted.returncode == 0, shifted.stdout + shifted.stderr

    git(factory, "add", "-A")
    staged = git(factory, "diff", "--cached", "--name-only").split()
    exports = [p for p in staged if p.startswith(".toyfoundry/telemetry/quilt/exports/")]
    assert {p.rsplit(".", 2)[-2] for p in exports} >= {"manifest", "quilt"}
    assert any(p.endswith(".quilt.json") for p in exports)
    done = commit(factory, "Shift: ALFA-2027-0001, ALFA-2027-0002")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Failed" not in done.stdout + done.stderr
    assert "toyfoundry commit check" in done.stdout + done.stderr
    assert git(factory, "status", "--porcelain") == ""


def test_the_factorys_one_hook_stops_a_commit_to_stage_the_index_it_brought_current(
    factory: Path,
) -> None:
    """init's local hook, run by pre-commit from a real `git commit` on the default branch:
    an entry staged without its index row stops the commit with the index written, and the
    commit passes once the index is staged as the hook says."""
    templates = REPO_ROOT / "toyfoundry_ci/templates/local-hooks"
    shutil.copy(templates / "_pre-commit-config.yaml", factory / ".pre-commit-config.yaml")
    (factory / "hooks").mkdir(exist_ok=True)
    shutil.copy2(templates / "hooks/python", factory / "hooks/python")
    installed = run_cli("hooks", "install", cwd=factory, env=hook_env())
    assert installed.returncode == 0, installed.stderr
    git(factory, "add", "-A")
    assert commit(factory, "Use the toyfoundry hook").returncode == 0

    entry = "exchange/ledger/entries/ALFA-2026-0003.json"
    git(factory, "rm", "-q", entry)
    assert run_cli("ledger", "index", cwd=factory).returncode == 0
    git(factory, "commit", "-qam", "Drop an entry", "--no-verify")
    git(factory, "checkout", "HEAD~1", "--", entry)  # staged; the index lacks its row

    stopped = commit(factory, "Bring the entry back")
    said = stopped.stdout + stopped.stderr
    assert stopped.returncode != 0, said
    assert "toyfoundry commit check" in said and "files were modified by this hook" in said
    assert "(`git add -- exchange/ledger/index.json`) and commit again" in said
    git(factory, "add", "--", "exchange/ledger/index.json")
    done = commit(factory, "Bring the entry back")
    assert done.returncode == 0, done.stdout + done.stderr
    assert git(factory, "status", "--porcelain", "--", "exchange") == ""
    assert "ALFA-2026-0003" in git(factory, "show", "HEAD:exchange/ledger/index.json")
