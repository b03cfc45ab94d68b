"""``toyfoundry init``: a scaffold that passes readiness and its own hooks on its first commit."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import git, init_repo, run_cli
from tests.exchange_kit import put_directives
from tests.fixtures_hooks import commit, pre_commit
from toyfoundry_ci.scaffold import FOLDERS

SHA = "0123456789abcdef0123456789abcdef01234567"
DOCS = (
    "README.md",
    "RUNBOOK.md",
    "planning/toyfoundry/toyfoundry.md",
    "planning/change_log.md",
    "new_major_pivots/README.md",
)


def test_init_writes_the_skeleton_pinned_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "Iron Works"
    target.mkdir()
    (target / "README.md").write_text("# ours\n")

    proc = run_cli("init", str(target), "--action-ref", SHA, "--hook-rev", "v9.9.9")

    assert proc.returncode == 0, proc.stderr
    assert (target / "README.md").read_text() == "# ours\n"  # kept, not overwritten
    assert "kept 1 existing file as" in proc.stdout
    for doc in DOCS[1:]:
        assert f"created  {doc}" in proc.stdout and (target / doc).read_text().strip()
    for folder in FOLDERS:
        assert (target / folder).is_dir()
    hooks = yaml.safe_load((target / ".pre-commit-config.yaml").read_text())
    (repo,) = hooks["repos"]
    assert repo["rev"] == "v9.9.9" and repo["repo"].startswith("https://github.com/")
    assert {h["id"] for h in repo["hooks"]} >= {"toyfoundry-validate", "toyfoundry-readiness"}
    assert 'factory = "iron-works"' in (target / ".toyfoundry/config.toml").read_text()
    for name in ("pr", "merge", "intake"):
        flow = (target / ".github" / "workflows" / f"{name}.yml").read_text()
        assert f"toyfoundry/toyfoundry-ci@{SHA} # toyfoundry-ci v" in flow
        assert f"command: {name}" in flow
        assert yaml.safe_load(flow)["permissions"] == {}

    again = run_cli("init", str(target), "--action-ref", SHA)
    assert again.returncode == 0
    assert "already scaffolded; nothing to do" in again.stdout
    assert "created" not in again.stdout


def test_init_refuses_an_action_ref_that_is_not_a_sha(tmp_path: Path) -> None:
    proc = run_cli("init", str(tmp_path / "f"), "--action-ref", "v1")
    assert proc.returncode == 1
    assert "is not a full commit SHA" in proc.stderr
    assert not (tmp_path / "f").exists()


@pytest.mark.slow
def test_the_first_commit_passes_readiness_and_the_real_hooks(
    tmp_path: Path, hook_repo: tuple[Path, str]
) -> None:
    repo_path, rev = hook_repo
    factory = tmp_path / "factory"
    made = run_cli(
        "init", str(factory), "--action-ref", SHA, "--hook-repo", str(repo_path), "--hook-rev", rev
    )
    assert made.returncode == 0, made.stderr
    init_repo(factory)
    # One directive pulled from the embedded hub, so the validate hook has something to check.
    put_directives(factory / ".toyfoundry" / "hub", ["ALFA-2027-0001"])
    pulled = run_cli("pull", cwd=factory)
    assert pulled.returncode == 0, pulled.stderr
    git(factory, "add", "-A")
    installed = pre_commit(factory, "install")
    assert installed.returncode == 0, installed.stderr

    first = commit(factory, "Scaffold the factory")

    assert first.returncode == 0, first.stdout + first.stderr
    hooks = first.stdout + first.stderr  # git prints the hooks' lines on stderr
    for name in ("toyfoundry validate", "toyfoundry readiness"):
        assert re.search(rf"^{name}\.+Passed$", hooks, re.MULTILINE), hooks
    assert "Failed" not in hooks
    gate = subprocess.run(
        [sys.executable, "-m", "toyfoundry_ci", "readiness"],
        cwd=factory, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "readiness: GREEN" in gate.stdout
