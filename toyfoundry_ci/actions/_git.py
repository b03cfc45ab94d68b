"""The few git reads the entry points need, on the runner's checkout."""

from __future__ import annotations

import subprocess
from pathlib import Path

from toyfoundry_ci.base.errors import ToyfoundryError


def git(root: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ToyfoundryError(
            f"git {args[0]} failed in {root}: {proc.stderr.strip()}",
            hint="check out with fetch-depth: 0 so the PR's base commit is present",
        )
    return proc.stdout


def changed_files(root: Path, base: str, head: str) -> list[str]:
    """Files the PR changes: ``git diff --name-only base...head`` (NUL-separated, exact)."""
    out = git(root, "diff", "--name-only", "--no-renames", "-z", f"{base}...{head}")
    return sorted(name for name in out.split("\0") if name)


def exists_at(root: Path, commit: str, path: str) -> bool:
    proc = subprocess.run(
        ["git", "cat-file", "-e", f"{commit}:{path}"], cwd=root, capture_output=True, check=False
    )
    return proc.returncode == 0
