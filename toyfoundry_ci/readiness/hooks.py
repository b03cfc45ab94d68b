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

from toyfoundry_ci.base.errors import ToyfoundryError
from toyfoundry_ci.base.git import Git
from toyfoundry_ci.ledger.merge_driver import register_merge_driver


def repository_root(start: Path) -> Path:
    """The top of the git work tree holding ``start``."""
    ran = Git(start).run("rev-parse", "--show-toplevel")
    if not ran.ok:
        raise ToyfoundryError(
            f"{start} is not inside a git repository",
            hint="run `git init` first, or pass --root pointing at the factory repository",
        )
    return Path(ran.out.decode("utf-8", errors="surrogateescape").strip())


def _pre_commit() -> list[str]:
    # The pre-commit beside this interpreter first: the git hook it writes runs it by absolute
    # path, so commits work from a shell whose PATH lacks the venv.
    if importlib.util.find_spec("pre_commit") is not None:
        return [sys.executable, "-m", "pre_commit"]
    found = shutil.which("pre-commit")
    if found:
        return [found]
    raise ToyfoundryError(
        "pre-commit is not installed",
        hint=f"install it (`{sys.executable} -m pip install pre-commit`) and run"
        " `toyfoundry hooks install` again",
    )


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
