"""The hook manifests and `toyfoundry hooks install`, on real repositories."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import REPO_ROOT, git, run_cli
from toyfoundry_ci.base.kinds import ARTIFACT_FILES_REGEX


def _hooks(path: Path) -> dict[str, dict[str, object]]:
    data = yaml.safe_load(path.read_text())
    hooks = data if isinstance(data, list) else [h for r in data["repos"] for h in r["hooks"]]
    return {h["id"]: h for h in hooks}


def test_manifest_and_config_validate_and_share_the_artifact_regex() -> None:
    for command, name in (
        ("validate-manifest", ".pre-commit-hooks.yaml"),
        ("validate-config", ".pre-commit-config.yaml"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "pre_commit", command, name],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    manifest = _hooks(REPO_ROOT / ".pre-commit-hooks.yaml")
    config = _hooks(REPO_ROOT / ".pre-commit-config.yaml")
    assert manifest["toyfoundry-validate"]["files"] == ARTIFACT_FILES_REGEX
    assert config["toyfoundry-validate"]["files"] == ARTIFACT_FILES_REGEX
    assert manifest["toyfoundry-readiness"]["always_run"] is True
    assert manifest["toyfoundry-readiness"]["pass_filenames"] is False
    assert manifest["toyfoundry-ledger-index"]["files"] == "^exchange/ledger/entries/"
    assert {"ruff", "ruff-format", "mypy"} <= set(config)


def test_hooks_install_sets_up_pre_commit_and_the_merge_driver_once(factory: Path) -> None:
    proc = run_cli("hooks", "install", cwd=factory)
    assert proc.returncode == 0, proc.stderr
    assert "pre-commit installed at .git/hooks/pre-commit" in proc.stdout
    assert (factory / ".git/hooks/pre-commit").is_file()
    driver = git(factory, "config", "--get", "merge.toyfoundry-ledger.driver").strip()
    assert driver == "toyfoundry ledger merge-driver %O %A %B"
    assert git(factory, "config", "--get", "merge.toyfoundry-ledger.name").strip()
    attributes = "exchange/ledger/index.json merge=toyfoundry-ledger\n"
    assert (factory / ".gitattributes").read_text() == attributes
    assert (
        git(factory, "check-attr", "merge", "exchange/ledger/index.json")
        .strip()
        .endswith("merge: toyfoundry-ledger")
    )

    again = run_cli("hooks", "install", cwd=factory)
    assert again.returncode == 0
    assert "ledger merge driver already registered; nothing to do" in again.stdout
    assert (factory / ".gitattributes").read_text() == attributes


def test_hooks_install_outside_a_repository_says_what_to_do(tmp_path: Path) -> None:
    proc = run_cli("hooks", "install", cwd=tmp_path)
    assert proc.returncode == 1
    assert "not inside a factory" in proc.stderr
    assert "hint: cd into one or run toyfoundry init" in proc.stderr
