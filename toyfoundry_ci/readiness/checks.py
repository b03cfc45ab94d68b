"""The readiness checks: each has a stable ID, a status and a one-line fix hint.

IDs are part of the interface: the log records them, the change log names them to resume
after a halt, and operators grep for them. Never rename one; add a new one instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from toyfoundry_ci.base.cachedir import UNTRACKED_STATE
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import MAX_BYTES
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.base.reader import UnreadableError, read_present

if TYPE_CHECKING:
    from toyfoundry_ci.readiness.changes import IndexChanges

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


def failed(
    check_id: str, message: str, fix: str, problems: Iterable[str] = (), total: int | None = None
) -> Check:
    """A failed check keeping the first problems; ``total`` counts them all when only the
    first are given."""
    lines = list(problems)
    count = len(lines) if total is None else total
    details = lines[:MAX_DETAILS]
    if count > MAX_DETAILS:
        details.append(f"... and {count - MAX_DETAILS} more")
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


def state_untracked(layout: Layout, staged: IndexChanges | None = None) -> Check:
    """No machine state (caches, the embedded hub, quarantine, the demo) is tracked by git.

    What a commit puts there arrives with every clone: a committed hub would look like pushes,
    a committed cache like checked digests. ``staged``: the index is HEAD's tree and these
    changes (the index is not read again).
    """
    from toyfoundry_ci.readiness import _git

    if staged is None:
        files = _git.tracked(layout.root, UNTRACKED_STATE)
    else:
        held = set(_git.in_tree(layout.root, staged.tree, list(UNTRACKED_STATE)))
        for path, (status, _mode, _oid) in staged.staged.items():
            (held.discard if status == "D" else held.add)(path)
        files = sorted(held)
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
    """The checks of every run that read a handful of files, in the order they are reported.

    The checks over every artifact and ledger entry are made of units (``readiness.units``)
    and run by ``readiness.incremental``, which puts them in their place (``REPORT_ORDER``).
    """
    from toyfoundry_ci.readiness.docs import docs_aligned

    return (docs_present, docs_aligned, state_untracked, layout_folders)


# Where each check appears in a report; the IDs of the unit checks are theirs.
REPORT_ORDER = (
    "docs-present",
    "docs-aligned",
    "artifacts-valid",
    "state-untracked",
    "layout-folders",
    "ledger-entries",
    "ledger-evidence",
    "storyboard-notes",
    "telemetry-exports",
    "ledger-index",
)


def run_checks(
    layout: Layout, *, staged: bool = False, full: bool = False, checkout: bool = False
) -> list[Check]:
    """Run every check (and the staged ones when asked), in report order.

    The unit checks recompute only what changed since the last run (``full``: everything).
    ``staged`` (a commit hook's run): git is asked once what the index changes, and the
    unit checks take the rest of the work tree to be as committed (``staged_feed``).
    ``checkout`` (a CI job's run): the work tree is taken to be HEAD's commit when git finds
    no tracked file changed, and files git does not track are not looked for.
    """
    from toyfoundry_ci.readiness.incremental import unit_checks

    index = None
    as_staged: dict[str, tuple[tuple[str, ...], bool]] = {}
    if staged:
        from toyfoundry_ci.readiness.staged import staged_changes

        changes = staged_changes(layout)
        index = None if isinstance(changes, Exception) else changes
    units = unit_checks(layout, full=full, staged=index, as_staged=as_staged, checkout=checkout)
    found = {check.id: check for check in units}
    for fn in repository_checks():
        check = state_untracked(layout, index) if fn is state_untracked else fn(layout)
        found[check.id] = check
    checks = [found[check_id] for check_id in REPORT_ORDER]
    if staged:
        from toyfoundry_ci.readiness.staged import run_staged_checks

        checks += run_staged_checks(layout, changes, as_staged)
    return checks
