"""``run_readiness``: run the checks, record the run, and say where production stands."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from toyfoundry_ci.base.clock import stamp
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.readiness import _git
from toyfoundry_ci.readiness.checks import Check, run_checks
from toyfoundry_ci.readiness.halt import HaltState, change_log_entries, derive
from toyfoundry_ci.readiness.log import append_run, read_runs, run_record


@dataclass(frozen=True, slots=True)
class ReadinessResult:
    """The checks of one run, its verdict, and the halt state after it was recorded."""

    at: str
    head: str
    checks: tuple[Check, ...]
    halt: HaltState
    recorded: bool

    @property
    def verdict(self) -> Literal["green", "red"]:
        return "red" if self.failed else "green"

    @property
    def green(self) -> bool:
        return not self.failed

    @property
    def failed(self) -> tuple[Check, ...]:
        return tuple(c for c in self.checks if c.failed)


def run_readiness(layout: Layout, staged: bool = False, *, record: bool = True) -> ReadinessResult:
    """Run every check (plus the staged ones), append the run to the log, derive the halt.

    ``record=False`` checks without writing the log; the pre-commit hook uses it, since a
    hook that modifies a tracked file fails the commit it guards.
    """
    checks = tuple(run_checks(layout, staged=staged))
    at = stamp()
    head = _git.head(layout.root)
    run = run_record(at, head, checks)
    runs = append_run(layout, run) if record else [*read_runs(layout), run]
    halt = derive(runs, change_log_entries(layout))
    return ReadinessResult(at=at, head=head, checks=checks, halt=halt, recorded=record)
