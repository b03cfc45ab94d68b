"""Showing long work as it goes, and what it had done when Ctrl-C stopped it.

On a terminal a live display (rich, imported only then) counts the orders of each stage;
otherwise each order something happened to is one plain line on stderr (``progress.QUIET``
statuses are left out), so logs show it and stdout stays the result.
On Ctrl-C the summary says, per stage, which orders finished and which did not; the error
boundary (``_boundary.run``) shows it and exits 130 without a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

import click

from toyfoundry_ci.base import progress
from toyfoundry_ci.base.errors import Interrupted
from toyfoundry_ci.base.plural import plural

_SHOWN = 5  # order IDs named per list in the summary


@dataclass
class _Stage:
    items: list[str]
    finished: list[str] = field(default_factory=list)


class Tracker:
    """A ``base.progress`` listener that shows progress and remembers what finished."""

    def __init__(self, command: str, *, live: bool) -> None:
        self.command = command
        self.stages: dict[str, _Stage] = {}
        self.steps: list[str] = []
        self._live: Any = None
        self._tasks: dict[str, Any] = {}
        if live:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

            self._live = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                console=Console(stderr=True),
                transient=True,
            )

    # -- the listener --------------------------------------------------------------------

    def begin(self, stage: str, items: Sequence[str]) -> None:
        self.stages[stage] = _Stage(list(items))
        if self._live is not None:
            self._tasks[stage] = self._live.add_task(stage, total=len(items))

    def advance(self, stage: str, item: str, status: str) -> None:
        record = self.stages.setdefault(stage, _Stage([]))
        record.finished.append(item)
        if self._live is not None:
            if stage in self._tasks:
                self._live.advance(self._tasks[stage])
            return
        if status in progress.QUIET:
            return
        count = f" {len(record.finished)}/{len(record.items)}" if record.items else ""
        click.echo(f"{stage}:{count} {item} {status}", err=True)

    def notice(self, message: str) -> None:
        if self._live is not None:
            self._live.console.print(message, markup=False, highlight=False)
        else:
            click.echo(message, err=True)

    def display(self) -> AbstractContextManager[Any]:
        """The live display while the work runs (nothing to open for plain lines)."""
        return self._live if self._live is not None else nullcontext()

    # -- the shift's steps ---------------------------------------------------------------

    def step(self, name: str) -> None:
        """A shift step begins; the one before it finished."""
        self.steps.append(name)
        if self._live is not None:
            self._live.console.print(f"shift: {name}", markup=False, highlight=False)
        else:
            click.echo(f"shift: {name}")

    # -- the summary ---------------------------------------------------------------------

    def summary(self) -> str:
        """What finished and what did not, for the operator who pressed Ctrl-C."""
        lines = [f"interrupted: {self.command} stopped before it finished"]
        if self.steps:
            done = ", ".join(self.steps[:-1]) or "none"
            lines.append(f"  shift steps finished: {done}; stopped during: {self.steps[-1]}")
        for stage, record in self.stages.items():
            finished = set(record.finished)
            left = [i for i in record.items if i not in finished]
            line = f"  {stage}: {plural(len(record.finished), 'order')} finished"
            line += _named(record.finished)
            if left:
                line += f"; not done: {plural(len(left), 'order')}" + _named(left)
            lines.append(line)
        if not self.stages and not self.steps:
            lines.append("  no order was finished")
        lines.append(
            "  every file is written whole (old or new, never torn); "
            f"run `toyfoundry {self.command}` again to finish what was not done"
        )
        return "\n".join(lines)


def _named(ids: Sequence[str]) -> str:
    if not ids:
        return ""
    more = f", and {len(ids) - _SHOWN} more" if len(ids) > _SHOWN else ""
    return f" ({', '.join(ids[:_SHOWN])}{more})"


@contextmanager
def showing(command: str) -> Iterator[Tracker]:
    """Show the progress of the work in the block; on Ctrl-C, carry where it stopped."""
    tracker = Tracker(command, live=sys.stderr.isatty())
    try:
        with progress.listening(tracker), tracker.display():
            yield tracker
    except KeyboardInterrupt:
        raise Interrupted(tracker.summary()) from None
