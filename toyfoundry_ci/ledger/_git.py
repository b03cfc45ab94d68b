"""Running git for the ledger's modules: one place that turns a git failure into an error."""

from __future__ import annotations

import subprocess
from pathlib import Path

from toyfoundry_ci.base.errors import RefusedError


def git(root: Path, *args: str) -> str:
    """git's stdout; a failure is a RefusedError quoting git's words."""
    try:
        proc = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise RefusedError(f"git cannot run: {exc}", hint="install git") from exc
    if proc.returncode != 0:
        raise RefusedError(f"git {args[0]} failed: {proc.stderr.strip()}")
    return proc.stdout


def show(root: Path, commit: str, path: str) -> bytes | None:
    """The bytes of ``path`` at ``commit``, or None when it does not exist there."""
    proc = subprocess.run(
        ["git", "show", f"{commit}:{path}"], cwd=root, capture_output=True, check=False
    )
    return proc.stdout if proc.returncode == 0 else None


def config(root: Path, key: str) -> str | None:
    """The value git's configuration gives ``key`` in ``root``, or None when unset."""
    proc = subprocess.run(
        ["git", "config", "--get", key], cwd=root, capture_output=True, text=True, check=False
    )
    return proc.stdout.strip() or None if proc.returncode == 0 else None
