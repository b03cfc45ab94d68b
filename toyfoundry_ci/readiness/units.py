"""Checks made of units: one verdict per file (an artifact, a ledger entry, a paraded order).

A unit's verdict depends only on the files it read (its ``deps``), so a later run recomputes
just the units whose files changed and keeps the others. A check's outcome is built from the
sum of its units' counters and its first problems in unit order, the same way whether every
unit was computed now (``--full``) or most were kept from the last run.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.readiness.checks import MAX_DETAILS, Check


@dataclass(frozen=True, slots=True)
class Unit:
    """One unit's share of each check it feeds: problem lines and counters.

    ``sort`` orders the problems of a check across units, as a full scan lists them.
    """

    key: str
    sort: str
    problems: dict[str, tuple[str, ...]]
    counts: dict[str, tuple[int, ...]]
    deps: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Problems:
    """The first problems of a check (in unit order) and how many there are in all."""

    first: tuple[str, ...]
    total: int


@dataclass(frozen=True, slots=True)
class Family:
    """Units of one kind: how to list them all, which a changed path owns, how to compute them.

    ``compute`` returns None for a key whose unit does not exist (its file is gone).
    """

    name: str
    list_keys: Callable[[Layout], list[str]]
    keys_for: Callable[[Layout, str], Iterable[str]]
    compute: Callable[[Layout, list[str]], dict[str, Unit | None]]
    # Paths outside the units' own files that decide a check of this family (none mostly).
    checks: tuple[str, ...] = ()


@dataclass(slots=True)
class Reads:
    """The repository paths one unit reads, recorded as it reads them."""

    layout: Layout
    paths: list[str] = field(default_factory=list)

    def path(self, rel: str) -> Path:
        self.paths.append(str(PurePosixPath(rel)))
        return self.layout.root / rel


Build = Callable[[tuple[int, ...], Problems], Check]


def first_problems(units: Iterable[Unit], check_id: str) -> Problems:
    """The problems of ``check_id`` over ``units`` taken in their sort order."""
    lines: list[str] = []
    total = 0
    for unit in sorted(units, key=lambda u: u.sort):
        found = unit.problems.get(check_id, ())
        total += len(found)
        lines.extend(found[: MAX_DETAILS - len(lines)] if len(lines) < MAX_DETAILS else ())
    return Problems(tuple(lines), total)


def add_counts(total: tuple[int, ...], more: tuple[int, ...], sign: int = 1) -> tuple[int, ...]:
    """Element-wise ``total + sign * more`` (the shorter padded with zeros)."""
    width = max(len(total), len(more))
    a = (*total, *(0,) * (width - len(total)))
    b = (*more, *(0,) * (width - len(more)))
    return tuple(x + sign * y for x, y in zip(a, b, strict=True))


def sum_counts(units: Iterable[Unit], check_id: str) -> tuple[int, ...]:
    total: tuple[int, ...] = ()
    for unit in units:
        total = add_counts(total, unit.counts.get(check_id, ()))
    return total


def is_trusted_path(root: Path, rel: str, real_dirs: dict[str, bool]) -> bool:
    """Whether git's view of ``rel`` is the file a check reads there.

    Not when the path, or a folder on the way, is a symbolic link (its target can change
    while git sees the same link), nor inside ``.git`` (git lists nothing there).
    """
    parts = PurePosixPath(rel).parts
    if ".git" in parts or ".." in parts:
        return False
    if (root / rel).is_symlink():
        return False
    parent = str(PurePosixPath(rel).parent)
    if parent not in real_dirs:
        expected = os.path.normpath(root.resolve() / parent)
        real_dirs[parent] = os.path.realpath(root / parent) == expected
    return real_dirs[parent]
