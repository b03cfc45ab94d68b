"""The readiness checks: each has a stable ID, a status and a one-line fix hint.

IDs are part of the interface: the log records them, the change log names them to resume
after a halt, and operators grep for them. Never rename one; add a new one instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from toyfoundry_ci.base.cachedir import UNTRACKED_STATE
from toyfoundry_ci.base.kinds import iter_repo_artifacts
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import MAX_BYTES
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.base.reader import UnreadableError, read_present
from toyfoundry_ci.validation.checker import check_files

Status = Literal["pass", "fail", "not-applicable"]

# How many problem lines a check keeps; the count of the rest is said.
MAX_DETAILS = 20


@dataclass(frozen=True, slots=True)
class Check:
    """The outcome of one check: what was found, and the one thing to do when it failed."""

    id: str
    status: Status
    message: str
    fix: str | None = None
    details: tuple[str, ...] = ()

    @property
    def failed(self) -> bool:
        return self.status == "fail"


def passed(check_id: str, message: str) -> Check:
    return Check(check_id, "pass", message)


def not_applicable(check_id: str, why: str) -> Check:
    return Check(check_id, "not-applicable", f"not applicable ({why})")


def failed(check_id: str, message: str, fix: str, problems: Iterable[str] = ()) -> Check:
    lines = list(problems)
    details = lines[:MAX_DETAILS]
    if len(lines) > MAX_DETAILS:
        details.append(f"... and {len(lines) - MAX_DETAILS} more")
    return Check(check_id, "fail", message, fix, tuple(details))


REQUIRED_DOCS = (
    "RUNBOOK.md",
    "README.md",
    "planning/toyfoundry/toyfoundry.md",
    "planning/change_log.md",
    "new_major_pivots/README.md",
)


def docs_present(layout: Layout) -> Check:
    """Every required doc exists and holds more than whitespace, as do all plans."""
    names = list(REQUIRED_DOCS)
    plans = layout.root / "planning" / "toyfoundry"
    if plans.is_dir():
        names += sorted(layout.rel(p) for p in plans.glob("*.md") if layout.rel(p) not in names)
    problems = []
    for name in names:
        try:
            text = read_present(layout.root / name, MAX_BYTES)
        except UnreadableError as exc:
            problems.append(f"{name}: {exc.reason}")
            continue
        if text is None:
            problems.append(f"{name}: missing")
        elif not text.strip():
            problems.append(f"{name}: empty")
    if problems:
        return failed(
            "docs-present",
            f"{plural(len(problems), 'required doc')} missing or empty",
            "restore the docs named above from git (`git checkout -- FILE`), or write them"
            " (RUNBOOK.md says what each one holds)",
            problems,
        )
    return passed("docs-present", f"{plural(len(names), 'required doc')} present")


def artifacts_valid(layout: Layout) -> Check:
    """Every artifact of the repository validates under its pivot."""
    root = layout.root
    results = check_files(str(p) for p in iter_repo_artifacts(root))
    bad = [r for r in results if not r.ok]
    if not bad:
        return passed("artifacts-valid", f"{plural(len(results), 'artifact')} valid")
    problems = [
        f"{layout.rel(Path(r.path))}::{p.where}: {p.message}" for r in bad for p in r.problems
    ]
    return failed(
        "artifacts-valid",
        f"{plural(len(problems), 'error')} in {len(bad)} of {plural(len(results), 'artifact')}",
        "run `toyfoundry validate` and fix the files it names",
        problems,
    )


def state_untracked(layout: Layout) -> Check:
    """No machine state (caches, the embedded hub, quarantine, the demo) is tracked by git.

    What a commit puts there arrives with every clone: a committed hub would look like pushes,
    a committed cache like checked digests.
    """
    from toyfoundry_ci.readiness import _git

    files = _git.tracked(layout.root, UNTRACKED_STATE)
    counts = {
        folder: sum(1 for f in files if f == folder or f.startswith(folder + "/"))
        for folder in UNTRACKED_STATE
    }
    problems = [f"{folder}: {plural(n, 'file')} tracked" for folder, n in counts.items() if n]
    if problems:
        return failed(
            "state-untracked",
            f"{plural(len(problems), 'folder')} of machine state tracked by git",
            "untrack each folder named above with `git rm -r --cached FILE` and commit"
            " (the files stay on disk)",
            problems,
        )
    return passed("state-untracked", "no cache, hub, quarantine or demo folder is tracked")


def layout_folders(layout: Layout) -> Check:
    """No folder the tool writes into is a symbolic link (a committed one writes elsewhere)."""
    links = sorted({link for folder in layout.folders() if (link := _link_on(layout, folder))})
    if links:
        return failed(
            "layout-folders",
            f"{plural(len(links), 'factory folder')} reached through a symbolic link",
            "replace each link by a real folder: `git rm --cached PATH`, `rm PATH`,"
            " `mkdir PATH`, then copy back what belongs there",
            [f"{link}: a symbolic link; writes would land where it points" for link in links],
        )
    return passed("layout-folders", "no factory folder is a symbolic link")


def _link_on(layout: Layout, folder: Path) -> str | None:
    """The first component of ``folder`` below the root that is a symbolic link."""
    here = layout.root
    for part in folder.relative_to(layout.root).parts:
        here = here / part
        if here.is_symlink():
            return layout.rel(here)
        if not here.is_dir():
            return None
    return None


CheckFn = Callable[[Layout], Check]


def repository_checks() -> tuple[CheckFn, ...]:
    """The checks of every run, in the order they are reported."""
    from toyfoundry_ci.readiness.docs import docs_aligned
    from toyfoundry_ci.readiness.trace import TRACE_CHECKS

    return (
        docs_present,
        docs_aligned,
        artifacts_valid,
        state_untracked,
        layout_folders,
        *TRACE_CHECKS,
    )


def staged_checks() -> tuple[CheckFn, ...]:
    """The checks ``--staged`` adds, over what is about to be committed."""
    from toyfoundry_ci.readiness.staged import staged_artifacts_valid, staged_orders_mirrored

    return (staged_artifacts_valid, staged_orders_mirrored)


def run_checks(layout: Layout, *, staged: bool = False) -> list[Check]:
    """Run every check (and the staged ones when asked), in report order."""
    fns = repository_checks() + (staged_checks() if staged else ())
    return [fn(layout) for fn in fns]
