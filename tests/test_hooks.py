"""The hook manifests and `toyfoundry hooks install`, on real repositories."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import REPO_ROOT, git, run_cli
from tests.fixtures_hooks import person_env, venv_stub
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
    # Where the readiness hook runs too, it checks the ledger index (schema and rebuild).
    assert config["toyfoundry-validate"]["exclude"] == r"^exchange/ledger/index\.json$"
    assert "exclude" not in manifest["toyfoundry-validate"]  # a repo may use validate alone
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
    # By the interpreter's absolute path: a person's shell need not have the venv on PATH.
    assert driver == f"{shlex.quote(sys.executable)} -m toyfoundry_ci ledger merge-driver %O %A %B"
    assert git(factory, "config", "--get", "toyfoundry.python").strip() == sys.executable
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


def test_install_script_works_from_a_shell_without_the_venv(factory: Path) -> None:
    """hooks/install.sh finds the factory's .venv itself; then commits need no PATH either."""
    venv_stub(factory)
    shell = person_env()
    installed = subprocess.run(
        ["sh", "hooks/install.sh"], cwd=factory, capture_output=True, text=True, env=shell,
        check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "pre-commit installed at .git/hooks/pre-commit" in installed.stdout
    assert git(factory, "config", "--get", "toyfoundry.python").strip() == sys.executable
    ran = subprocess.run(
        ["hooks/python", "-m", "toyfoundry_ci", "--version"], cwd=factory, capture_output=True,
        text=True, env=shell, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr


def test_hooks_python_without_any_toyfoundry_says_how_to_record_one(factory: Path) -> None:
    shell = person_env() | {"PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        ["hooks/python", "-m", "toyfoundry_ci", "validate"], cwd=factory, capture_output=True,
        text=True, env=shell, check=False,
    )  # fmt: skip
    if proc.returncode == 0:  # a system python3 that has toyfoundry-ci is a fine answer too
        return
    assert proc.returncode == 1
    assert "no Python with toyfoundry-ci found" in proc.stderr
    assert "hint: run `toyfoundry hooks install`" in proc.stderr


def test_the_local_hooks_script_is_the_one_init_writes() -> None:
    template = REPO_ROOT / "toyfoundry_ci/templates/local-hooks/hooks/python"
    assert (REPO_ROOT / "hooks/python").read_bytes() == template.read_bytes()
