"""Shared fixtures: real git repositories in tmp dirs, scrubbed of the caller's git state."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from tests.sample import REPO_ROOT, committed

__all__ = ["REPO_ROOT", "committed"]  # re-exported: tests import them from here

# Timing varies on shared CI machines; a property either holds or not, however long it takes.
settings.register_profile("toyfoundry", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("toyfoundry")


EXAMPLES = Path(__file__).resolve().parent / "examples"
FIXTURES = Path(__file__).resolve().parent / "fixtures"

# Folders of a factory repository that the sample content lives in.
SAMPLE_FOLDERS = (
    "exchange",
    "planning",
    "new_major_pivots",
    "tools",
    "hooks",
    ".toyfoundry/telemetry/quilt/exports",
)
# Top-level files of a factory repository (RUNBOOK.md names the others; .gitignore keeps
# machine state out of commits, as `toyfoundry init` writes it).
SAMPLE_FILES = ("README.md", "RUNBOOK.md", ".pre-commit-config.yaml", ".gitignore")


@pytest.fixture(autouse=True)
def _isolated_git(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No test sees the caller's git config or writes to the real $HOME (as pre-commit does)."""
    for name in list(os.environ):
        if name.startswith("GIT_") or name.startswith("GITHUB_"):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_AUTHOR_NAME", "Factory Operator")
    monkeypatch.setenv("GIT_AUTHOR_EMAIL", "operator@factory.test")
    monkeypatch.setenv("GIT_COMMITTER_NAME", "Factory Operator")
    monkeypatch.setenv("GIT_COMMITTER_EMAIL", "operator@factory.test")
    monkeypatch.delenv("TOYFOUNDRY_HUB_TOKEN", raising=False)


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return its stdout; a failure fails the test with git's words."""
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


def merge_button(repo: Path, branch: str, into: str = "main") -> None:
    """Merge ``branch`` into ``into`` as GitHub's merge button does: a merge commit made with
    git's own merge on the server's side (``merge-tree``), no merge driver, no work tree."""
    proc = subprocess.run(
        ["git", "merge-tree", "--write-tree", "--name-only", into, branch],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, f"{branch}: this branch has conflicts\n{proc.stdout}{proc.stderr}"
    tree = proc.stdout.split()[0]
    commit = git(repo, "commit-tree", tree, "-p", into, "-p", branch, "-m", f"Merge {branch}")
    git(repo, "update-ref", f"refs/heads/{into}", commit.strip())


def init_repo(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "-q", "-b", "main")
    git(path, "config", "commit.gpgsign", "false")
    return path


def make_factory(repo: Path, *, ledger: bool = True) -> Path:
    """A git repository at ``repo`` holding this repository's sample factory, committed.

    ``ledger=False`` leaves out the ledger: the evidence is there, nothing is entered yet.
    """
    init_repo(repo)
    sample = committed()
    for folder in SAMPLE_FOLDERS:
        src = sample / folder
        if src.exists():
            shutil.copytree(src, repo / folder, ignore=shutil.ignore_patterns("__pycache__"))
    for name in SAMPLE_FILES:
        if (sample / name).exists():
            shutil.copy2(sample / name, repo / name)
    if not ledger:
        shutil.rmtree(repo / "exchange" / "ledger")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "factory: sample content")
    return repo


@pytest.fixture
def factory(tmp_path: Path) -> Iterator[Path]:
    """A tmp git repository holding this repository's sample factory content, committed."""
    yield make_factory(tmp_path / "factory")


@pytest.fixture
def unentered_factory(tmp_path: Path) -> Iterator[Path]:
    """The sample factory before its orders were entered in the ledger."""
    yield make_factory(tmp_path / "factory", ledger=False)


def run_cli(
    *args: str,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    timeout: float | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run ``toyfoundry`` as a user would, in a subprocess (a hang fails after ``timeout``)."""
    return subprocess.run(
        [sys.executable, "-m", "toyfoundry_ci", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=False,
        timeout=timeout,
    )


def log_files(root: Path, log: str) -> list[Path]:
    """``logs/<log>.json`` (when there) and its record files ``logs/<log>.d/*.json``."""
    frozen = root / "logs" / f"{log}.json"
    folder = frozen.with_suffix(".d")
    found = [frozen] if frozen.is_file() else []
    return found + (sorted(folder.glob("*.json")) if folder.is_dir() else [])


def logged_runs(root: Path, log: str) -> list[dict[str, Any]]:
    """The runs of the log ``exchange_all`` or ``ops_readiness`` on disk, oldest first."""
    runs = [run for path in log_files(root, log) for run in json.loads(path.read_bytes())["runs"]]
    return sorted(runs, key=lambda run: str(run["at"]))


pytest_plugins = ["tests.fixtures_github", "tests.fixtures_hooks"]
