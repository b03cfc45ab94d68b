"""``toyfoundry hooks install``: pre-commit's git hook plus the ledger index merge driver.

pre-commit covers the commit-time checks; the merge driver is git-level glue it does not
cover: ``exchange/ledger/index.json`` is never merged by hand, it is rebuilt from the entries.
"""

from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
from pathlib import Path

from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.errors import ToyfoundryError

DRIVER = "toyfoundry-ledger"
DRIVER_NAME = "toyfoundry ledger index: rebuilt from the entries, never merged by hand"
DRIVER_COMMAND = "toyfoundry ledger merge-driver %O %A %B"
ATTRIBUTES_LINE = f"exchange/ledger/index.json merge={DRIVER}"


def _git(repo_root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", *args], cwd=repo_root, capture_output=True, text=True, check=False
    )


def repository_root(start: Path) -> Path:
    """The top of the git work tree holding ``start``."""
    proc = _git(start, "rev-parse", "--show-toplevel")
    if proc.returncode != 0:
        raise ToyfoundryError(
            f"{start} is not inside a git repository",
            hint="run `git init` first, or pass --root pointing at the factory repository",
        )
    return Path(proc.stdout.strip())


def register_merge_driver(repo_root: Path) -> list[str]:
    """Configure the ledger merge driver in ``.git/config`` and ``.gitattributes``.

    Returns what changed, empty when both were already in place.
    """
    changed = []
    for key, value in (("name", DRIVER_NAME), ("driver", DRIVER_COMMAND)):
        setting = f"merge.{DRIVER}.{key}"
        if _git(repo_root, "config", "--local", "--get", setting).stdout.strip() != value:
            proc = _git(repo_root, "config", "--local", setting, value)
            if proc.returncode != 0:
                raise ToyfoundryError(f"git config {setting} failed: {proc.stderr.strip()}")
            changed.append(f"git config {setting}")
    attributes = repo_root / ".gitattributes"
    text = attributes.read_text(encoding="utf-8") if attributes.is_file() else ""
    if ATTRIBUTES_LINE not in text.splitlines():
        prefix = text if not text or text.endswith("\n") else text + "\n"
        write_bytes_atomic(attributes, f"{prefix}{ATTRIBUTES_LINE}\n".encode())
        changed.append(f".gitattributes: {ATTRIBUTES_LINE}")
    return changed


def _pre_commit() -> list[str]:
    found = shutil.which("pre-commit")
    if found:
        return [found]
    if importlib.util.find_spec("pre_commit") is None:
        raise ToyfoundryError(
            "pre-commit is not installed",
            hint="install it (`pip install pre-commit`) and run `toyfoundry hooks install` again",
        )
    return [sys.executable, "-m", "pre_commit"]


def install_hooks(start: Path) -> list[str]:
    """Run ``pre-commit install`` and register the merge driver; return what was done."""
    repo_root = repository_root(start)
    proc = subprocess.run(
        [*_pre_commit(), "install"], cwd=repo_root, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        detail = (proc.stdout + proc.stderr).strip()
        raise ToyfoundryError(
            f"pre-commit install failed: {detail}",
            hint="if core.hooksPath is set, unset it (`git config --unset-all core.hooksPath`)",
        )
    done = [line for line in proc.stdout.strip().splitlines() if line]
    return done + register_merge_driver(repo_root)
