"""The hooks as another factory repository uses them: real pre-commit, real git commits.

pre-commit builds the hook environment from PyPI once per session (PRE_COMMIT_HOME is shared),
from a snapshot of this repository committed to a tmp repository.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES, REPO_ROOT, git, init_repo, run_cli

pytestmark = pytest.mark.slow

BAD_QTY = EXAMPLES / "invalid/schema-bad-qty/exchange/orders/ALFA-2026-0101.json"
ERROR_LINE = "exchange/orders/ALFA-2026-0101.json::$.lines[0].qty: 0 is less than the minimum of 1"


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, str]]:
    """This repository's files as they are now, committed, and pre-commit's shared store."""
    repo = init_repo(tmp_path_factory.mktemp("hook-repo") / "toyfoundry-ci")
    files = git(REPO_ROOT, "ls-files", "-co", "--exclude-standard", "-z").split("\0")
    for name in filter(None, files):
        src = REPO_ROOT / name
        if src.is_file():
            (repo / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, repo / name)
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t.test"}
    env |= {"GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@t.test"}
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "snapshot"], cwd=repo, check=True, env=env)
    os.environ["PRE_COMMIT_HOME"] = str(tmp_path_factory.mktemp("pre-commit-home"))
    yield repo, git(repo, "rev-parse", "HEAD").strip()


def _env() -> dict[str, str]:
    # The hook environment must run its own installed copy, as in another repository.
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def pre_commit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=_env(),
    )


def commit(cwd: Path, message: str) -> subprocess.CompletedProcess[str]:
    bin_dir = str(Path(sys.executable).parent)
    env = _env() | {"PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    return subprocess.run(
        ["git", "commit", "-m", message],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


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
        "hooks", "install", cwd=factory, env=_env() | {"PYTHONPATH": str(REPO_ROOT)}
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
