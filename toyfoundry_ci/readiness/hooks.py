"""``toyfoundry hooks``: pre-commit's git hook plus the ledger index merge driver, and the
commit check the factory's hook runs.

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
from toyfoundry_ci.base.layout import Layout
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


def commit_check(layout: Layout) -> tuple[str, int]:
    """``toyfoundry hooks pre-commit``: what a commit needs, in one process; (report, code).

    Readiness over the staged changes (``--staged``, not recorded: it validates every staged
    artifact as staged); then, when its ledger-index check finds the index not a rebuild of
    the entries being committed, on the default branch the index brought current (as
    ``ledger index --default-branch-only``): the commit stops, to stage it. One pre-commit
    hook instead of three: pre-commit diffs the whole work tree after each hook it runs
    (0.7 s at 100,000 orders).
    """
    from toyfoundry_ci.foundry.ledger import catch_up_entries, off_default_branch
    from toyfoundry_ci.ledger.index import index_outcome
    from toyfoundry_ci.ledger.lag import CURRENT
    from toyfoundry_ci.readiness.gate import run_readiness
    from toyfoundry_ci.readiness.reporting import REPORTERS
    from toyfoundry_ci.readiness.trace import INDEX

    result = run_readiness(layout, staged=True)
    lines = [REPORTERS["text"](result)]
    code = 0 if result.green else 1
    index = next(c for c in result.checks if c.id == INDEX)
    if index.status != "not-applicable" and index.message != CURRENT:
        said = off_default_branch(layout)
        if said is not None:
            lines.append(said)
            return "\n".join(lines), code
        try:
            wrote = catch_up_entries(layout, staged=True)  # the entries this commit holds
        except ToyfoundryError as exc:  # said after the report, which stays whole
            stop = "the commit stops here: once that is done, run `git commit` again"
            return "\n".join([*lines, exc.render(), stop]), exc.exit_code
        if wrote:
            rel = layout.rel(layout.ledger_index)
            lines.append(
                f"{index_outcome(layout, True)} (it lagged the entries being committed):"
                f" stage it (`git add -- {rel}`) and commit again"
            )
            code = 1
    return "\n".join(lines), code
