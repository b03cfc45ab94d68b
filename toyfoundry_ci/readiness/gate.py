"""``run_readiness``: run the checks, record the run when asked, say where production stands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from toyfoundry_ci.base.clock import stamp
from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.readiness import _git
from toyfoundry_ci.readiness.checks import Check, run_checks
from toyfoundry_ci.readiness.halt import HaltState, change_log_entries, derive
from toyfoundry_ci.readiness.log import append_run, read_runs, run_record


@dataclass(frozen=True, slots=True)
class ReadinessResult:
    """The checks of one run, its verdict, and the halt state of the recorded runs."""

    at: str
    head: str
    checks: tuple[Check, ...]
    halt: HaltState
    recorded: bool
    # Unrecorded runs only: whether recording this run would lift the halt.
    would_resume: bool = False

    @property
    def verdict(self) -> Literal["green", "red"]:
        return "red" if self.failed else "green"

    @property
    def green(self) -> bool:
        return not self.failed

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.failed)


def run_readiness(
    layout: Layout,
    staged: bool = False,
    *,
    record: bool = False,
    full: bool = False,
    checkout: bool = False,
) -> ReadinessResult:
    """Run every check (plus the staged ones); with ``record``, append the run to the log.

    Looking at the gate changes nothing: only a recorded run (the shift's gates,
    ``readiness --record``) writes ``logs/ops_readiness.json`` and counts towards the halt
    rule. An unrecorded run reports the halt state of the recorded runs as it stands.
    The checks over every artifact and entry recompute only what changed since the last
    run, by git's account; ``full`` recomputes everything (the verdict is the same).
    ``checkout``: a CI job's checkout of the commit it judges (``run_checks``).
    """
    if staged and not _git.in_work_tree(layout.root):
        raise RefusedError(
            f"{layout.root} is not a git repository: --staged checks what is staged to commit",
            hint="run `git init` there, or run `toyfoundry readiness` without --staged",
        )
    checks = tuple(run_checks(layout, staged=staged, full=full, checkout=checkout))
    at = stamp()
    head = _git.head(layout.root)
    run = run_record(at, head, checks)
    entries = change_log_entries(layout)
    if record:
        halt = derive(append_run(layout, run), entries)
        return ReadinessResult(at=at, head=head, checks=checks, halt=halt, recorded=True)
    runs = read_runs(layout)
    halt = derive(runs, entries)
    would_resume = halt.halted and not derive([*runs, run], entries).halted
    return ReadinessResult(
        at=at, head=head, checks=checks, halt=halt, recorded=False, would_resume=would_resume
    )
