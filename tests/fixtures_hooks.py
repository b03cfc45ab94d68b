"""pytest plugin: ``hook_repo``, a committed snapshot of this repository as a hook repository.

pre-commit builds the hook environment once per session (PRE_COMMIT_HOME is shared), so every
test that runs the real hooks pays for it once. ``pre_commit`` and ``commit`` run them as a
user would, without this checkout on PYTHONPATH (the hook runs its own installed copy).
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, git, init_repo


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


def hook_env() -> dict[str, str]:
    # The hook environment must run its own installed copy, as in another repository.
    return {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}


def person_env() -> dict[str, str]:
    """A person's shell: the venv that runs the tests is not on PATH, nor on PYTHONPATH."""
    venv_bin = str(Path(sys.executable).parent)
    path = [p for p in os.environ["PATH"].split(os.pathsep) if p and p != venv_bin]
    return hook_env() | {"PATH": os.pathsep.join(path)}


def venv_stub(folder: Path) -> Path:
    """``folder/.venv/bin/{python,toyfoundry}``: a venv as a person made it, running this one.

    Its ``toyfoundry`` runs with ``-P``, as a console script does: the package comes from the
    installation, never from a ``toyfoundry_ci/`` folder in the current one.
    """
    bin_dir = folder / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    for name, args in (("python", ""), ("toyfoundry", " -P -m toyfoundry_ci")):
        script = bin_dir / name
        script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)}{args} "$@"\n')
        script.chmod(0o755)
    return bin_dir


def pre_commit(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pre_commit", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        env=hook_env(),
    )


def commit(cwd: Path, message: str) -> subprocess.CompletedProcess[str]:
    bin_dir = str(Path(sys.executable).parent)
    env = hook_env() | {"PATH": bin_dir + os.pathsep + os.environ["PATH"]}
    return subprocess.run(
        ["git", "commit", "-m", message],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
