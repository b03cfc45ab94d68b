"""``toyfoundry init``: a scaffold that passes readiness and its own hooks on its first commit."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import committed, git, init_repo, run_cli
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


def test_init_writes_the_skeleton_with_local_hooks_and_refuses_to_overwrite(
    tmp_path: Path,
) -> None:
    target = tmp_path / "Iron Works"
    target.mkdir()
    (target / "README.md").write_text("# ours\n")

    proc = run_cli("init", str(target))

    assert proc.returncode == 0, proc.stderr
    assert (target / "README.md").read_text() == "# ours\n"  # kept, not overwritten
    assert "kept 1 existing file as" in proc.stdout
    for doc in (*DOCS[1:], "planning/toyfoundry/catalogue.md", "exchange/orders/README.md"):
        assert f"created  {doc}" in proc.stdout and (target / doc).read_text().strip()
    for folder in FOLDERS:
        assert (target / folder).is_dir()
    # Local hooks, run through hooks/python: nothing to fetch, no URL or tag that may not exist.
    hooks = yaml.safe_load((target / ".pre-commit-config.yaml").read_text())
    (repo,) = hooks["repos"]
    assert repo["repo"] == "local"
    by_id = {h["id"]: h for h in repo["hooks"]}
    assert set(by_id) == {"toyfoundry-commit"}  # pre-commit diffs the work tree after each hook
    assert by_id["toyfoundry-commit"]["entry"] == "hooks/python -m toyfoundry_ci hooks pre-commit"
    assert by_id["toyfoundry-commit"]["always_run"] is True
    assert os.access(target / "hooks/python", os.X_OK)
    assert 'factory = "iron-works"' in (target / ".toyfoundry/config.toml").read_text()
    assert 'signoff.method = "local"' in (target / ".toyfoundry/config.toml").read_text()
    # No --action-ref: no workflows, and a note that says how to add them.
    assert not (target / ".github").exists()
    assert "workflows left out: add them later with `" in proc.stdout
    assert "init" in proc.stdout and "--action-ref <40-hex commit>`, the commit of" in proc.stdout
    assert "--action-ref <40-hex commit>`" in proc.stdout
    # The next steps name this very toyfoundry, so they work with the venv off PATH.
    steps = proc.stdout.split("next:\n", 1)[1].splitlines()
    assert steps[0].strip().startswith("git -C ") and steps[0].endswith(" init -b main")
    assert f"{shlex.quote(sys.executable)} -m toyfoundry_ci hooks install --root" in steps[1]

    again = run_cli("init", str(target))
    assert again.returncode == 0
    assert "already scaffolded; nothing to do" in again.stdout
    assert "created" not in again.stdout

    pinned = run_cli("init", str(target), "--action-ref", SHA)
    assert pinned.returncode == 0, pinned.stderr
    created = [line for line in pinned.stdout.splitlines() if line.startswith("created")]
    assert len(created) == 3 and "workflows left out" not in pinned.stdout
    for name in ("pr", "merge", "intake"):
        flow = (target / ".github" / "workflows" / f"{name}.yml").read_text()
        assert f"toyfoundry/toyfoundry-ci@{SHA} # toyfoundry-ci v" in flow
        assert f"command: {name}" in flow
        assert yaml.safe_load(flow)["permissions"] == {}


def test_the_starter_catalogue_validates_and_its_doc_is_this_repositorys(tmp_path: Path) -> None:
    target = tmp_path / "f"
    assert run_cli("init", str(target)).returncode == 0
    catalogue = sorted((target / "planning/toyfoundry").glob("*/*.json"))
    assert [p.parent.name for p in catalogue] == ["blueprints", "recipes"]
    checked = run_cli("validate", *map(str, catalogue), cwd=target)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    doc = (target / "planning/toyfoundry/catalogue.md").read_text()
    assert doc == (committed() / "planning/toyfoundry/catalogue.md").read_text()


def test_init_with_the_workflows_states_github_sign_off(tmp_path: Path) -> None:
    proc = run_cli("init", str(tmp_path / "f"), "--action-ref", SHA)
    assert proc.returncode == 0, proc.stderr
    assert 'signoff.method = "github"' in (tmp_path / "f/.toyfoundry/config.toml").read_text()


def test_init_refuses_a_hook_repo_without_its_rev(tmp_path: Path) -> None:
    proc = run_cli("init", str(tmp_path / "f"), "--hook-repo", "https://example.test/hooks")
    assert proc.returncode == 1
    assert "--hook-repo and --hook-rev go together" in proc.stderr
    assert not (tmp_path / "f").exists()


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
    assert re.search(r"^toyfoundry commit check\.+Passed$", hooks, re.MULTILINE), hooks
    assert "Failed" not in hooks
    gate = subprocess.run(
        [sys.executable, "-m", "toyfoundry_ci", "readiness"],
        cwd=factory, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "readiness: GREEN" in gate.stdout
