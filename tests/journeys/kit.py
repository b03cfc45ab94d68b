"""What a person has at hand on a journey: a shell, a venv they did not activate, a bare hub.

The venv's ``bin`` is off PATH (the Quick start never activates it) and this checkout is off
PYTHONPATH, so every command runs as a person runs it: ``.venv/bin/toyfoundry`` by its path,
and git, pre-commit's hooks and the merge driver with whatever they registered.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.conftest import git
from tests.fixtures_hooks import person_env


def sh(cwd: Path, *argv: str, code: int = 0) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in ``cwd`` from a person's shell; an unexpected exit code fails the test."""
    proc = subprocess.run(
        list(argv), cwd=cwd, capture_output=True, text=True, env=person_env(), check=False
    )
    said = f"{argv} exited {proc.returncode}:\n{proc.stdout}\n{proc.stderr}"
    assert proc.returncode == code, said
    return proc


def high_command(hub: Path, work: Path, files: dict[str, bytes], message: str) -> None:
    """High Command publishes ``files`` on the hub's default branch, as any git user would."""
    if not (work / ".git").is_dir():
        git(work.parent, "clone", "-q", str(hub), work.name)
    for name, data in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_bytes(data)
    git(work, "add", "-A")
    git(work, "-c", "user.name=High Command", "-c", "user.email=hc@alfa.test", "commit", "-qm",
        message)  # fmt: skip
    git(work, "push", "-q", "origin", "HEAD")
