"""Progress of long work: a stage names the orders it will handle and reports each one done,
a slow or failing request says that it will try again.

Work code reports here; whoever listens (the CLI: a live display on a terminal, plain lines
otherwise) shows it. With nobody listening a report costs one function call and shows nothing.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Protocol


class Listener(Protocol):
    """What the CLI implements to show progress."""

    def begin(self, stage: str, items: Sequence[str]) -> None:
        """``stage`` is about to handle ``items`` (order IDs), in that order."""

    def advance(self, stage: str, item: str, status: str) -> None:
        """``stage`` finished ``item`` with ``status`` (done, unchanged, refused, ...)."""

    def notice(self, message: str) -> None:
        """Something worth saying while waiting: a retry, a slow request."""


# Statuses of items nothing happened to: a plain log of the work leaves them out (a push
# over 100,000 orders has a line for each it sends or holds, not for each already sent).
QUIET = frozenset({"already on the hub", "unanswered"})

_listeners: list[Listener] = []


@contextmanager
def listening(listener: Listener) -> Iterator[Listener]:
    """Send every report made inside the block to ``listener``."""
    _listeners.append(listener)
    try:
        yield listener
    finally:
        _listeners.remove(listener)


def begin(stage: str, items: Sequence[str]) -> None:
    for listener in _listeners:
        listener.begin(stage, items)


def advance(stage: str, item: str, status: str) -> None:
    for listener in _listeners:
        listener.advance(stage, item, status)


def notice(message: str) -> None:
    for listener in _listeners:
        listener.notice(message)
