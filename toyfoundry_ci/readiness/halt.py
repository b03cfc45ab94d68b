"""The halt rule, derived from the readiness log and ``planning/change_log.md`` alone.

Two consecutive red recorded runs halt production. While halted, pull, push, parade and shift
refuse. Resuming needs an entry in the change log dated at or after the halt that names every
check that failed since the halt began, and then a green recorded run at or after that entry's
date. There is no hidden flag: anyone can read the same two files and reach the same state.
Only recorded runs count (the shift's gates, ``readiness --record``): looking is not a run.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from toyfoundry_ci.base.clock import stamp
from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import MAX_BYTES
from toyfoundry_ci.base.reader import read_present

RED_RUNS_TO_HALT = 2
ENTRY_FORMAT = "## <RFC 3339 time, UTC> — fix: <check id>[, <check id> ...]"
_ENTRY = re.compile(r"^##\s+(\S+)\s+(?:\u2014|\u2013|--|-)\s+fix:\s*(.+?)\s*$")
_CHECK_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True, slots=True)
class ChangeEntry:
    """One dated change-log entry and the check IDs whose fix it documents."""

    at: datetime
    checks: frozenset[str]
    line: int


@dataclass(frozen=True, slots=True)
class HaltState:
    """Whether production is halted, since when, and which checks must be documented."""

    halted: bool
    since: str | None = None
    failing: tuple[str, ...] = ()

    def entry_template(self) -> str:
        """A change-log heading that would document the fix, dated now."""
        return f"## {stamp()} — fix: {', '.join(self.failing)}"


def parse_change_log(text: str) -> list[ChangeEntry]:
    """The dated fix entries of a change log; headings of another form are ignored."""
    entries = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        match = _ENTRY.match(line)
        if not match:
            continue
        at = _parse_time(match.group(1))
        if at is None:
            continue
        ids = {w for w in re.split(r"[,\s]+", match.group(2)) if _CHECK_ID.match(w)}
        entries.append(ChangeEntry(at, frozenset(ids), lineno))
    return entries


def _parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def derive(runs: Sequence[dict[str, Any]], entries: Iterable[ChangeEntry]) -> HaltState:
    """Replay the runs, oldest first, against the change log's entries."""
    entries = list(entries)
    reds = 0
    failing: set[str] = set()
    since: datetime | None = None
    since_text: str | None = None
    for run in runs:
        at = _parse_time(str(run.get("at")))
        if at is None:
            continue
        red = run.get("verdict") != "green"
        failed_ids = {str(c.get("id")) for c in run.get("checks", []) if c.get("status") == "fail"}
        if since is None:
            reds = reds + 1 if red else 0
            failing = failing | failed_ids if red else set()
            if reds >= RED_RUNS_TO_HALT:
                since, since_text = at, str(run["at"])
        elif red:
            failing |= failed_ids
        elif _documented(entries, since, at, failing):
            since, since_text, reds, failing = None, None, 0, set()
    if since is None:
        return HaltState(halted=False)
    return HaltState(halted=True, since=since_text, failing=tuple(sorted(failing)))


def _documented(
    entries: Sequence[ChangeEntry], since: datetime, until: datetime, failing: set[str]
) -> bool:
    named: set[str] = set()
    for entry in entries:
        # Time stamps have one-second resolution: an entry written in the second the halt
        # began (the one the halt message prints) is not before it.
        if since <= entry.at <= until:
            named |= entry.checks
    return failing <= named


def change_log_entries(layout: Layout) -> list[ChangeEntry]:
    data = read_present(layout.change_log, MAX_BYTES)
    return [] if data is None else parse_change_log(data.decode(errors="replace"))


def halt_state(layout: Layout) -> HaltState:
    """The production state now, from ``logs/ops_readiness.json`` and the change log."""
    from toyfoundry_ci.readiness.log import read_runs

    return derive(read_runs(layout), change_log_entries(layout))


def require_not_halted(layout: Layout, action: str) -> None:
    """Raise RefusedError naming the failing checks when production is halted.

    ``action`` is the step asking (``pull``, ``push``, ``parade``, ``shift``), for the message.
    """
    state = halt_state(layout)
    if not state.halted:
        return
    raise RefusedError(
        f"{action} refused: production is halted since {state.since} after"
        f" {RED_RUNS_TO_HALT} red recorded readiness runs;"
        f" failing checks: {', '.join(state.failing)}",
        hint=resume_hint(state),
    )


RECORD_COMMAND = "toyfoundry readiness --record"


def resume_hint(state: HaltState) -> str:
    """What lifts the halt, with the change-log entry on a line of its own, ready to paste."""
    return (
        "fix those checks, then add this entry to planning/change_log.md"
        " (and below it what you did):\n"
        f"{state.entry_template()}\n"
        f"then run `{RECORD_COMMAND}` until it is green"
    )
