"""Checks made of units: one verdict per file (an artifact, a ledger entry, a paraded order).

A unit's verdict depends only on the files it read (its ``deps``), so a later run recomputes
just the units whose files changed and keeps the others. A check's outcome is built from the
sum of its units' counters and its first problems in unit order, the same way whether every
unit was computed now (``--full``) or most were kept from the last run.
"""

from __future__ import annotations

import os
import posixpath
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

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
    # The deps whose target a link would change: read through ``os.path`` calls that follow.
    followed: tuple[str, ...] = ()


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
    # Whether ``keys_for`` names the unit for each of its deps (no reverse index needed).
    owns_deps: bool = False


@dataclass(slots=True)
class Reads:
    """The repository paths one unit reads, recorded as it reads them."""

    layout: Layout
    paths: list[str] = field(default_factory=list)
    followed: list[str] = field(default_factory=list)
    root: str = ""
    # sha256 by path, for a unit that checks one file's digest twice (an entry's ack).
    digests: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = str(self.layout.root)

    def path(self, rel: str, *, follows: bool = False) -> str:
        """The file system path of ``rel`` (as git names it), recorded as read.

        ``follows``: the caller reads through a symbolic link there (the bounded reader never
        does), so what it finds can change while git sees the same link.
        """
        odd = "//" in rel or "/." in rel or rel.startswith(".") or rel.endswith("/")
        clean = rel if not odd or ".." in rel.split("/") else posixpath.normpath(rel)
        self.paths.append(clean)
        if follows:
            self.followed.append(clean)
        return f"{self.root}/{rel}"

    def unit(
        self,
        key: str,
        sort: str,
        problems: dict[str, tuple[str, ...]],
        counts: dict[str, tuple[int, ...]],
    ) -> Unit:
        """The unit these reads decided, its problem-free checks left out."""
        kept = {check: lines for check, lines in problems.items() if lines}
        deps = tuple(dict.fromkeys(self.paths))
        return Unit(key, sort, kept, counts, deps, tuple(dict.fromkeys(self.followed)))


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
    total: list[int] = []
    for unit in units:
        counts = unit.counts.get(check_id, ())
        if len(counts) > len(total):
            total += [0] * (len(counts) - len(total))
        for i, n in enumerate(counts):
            total[i] += n
    return tuple(total)


def is_trusted_path(root: str, rel: str, real_dirs: dict[str, bool]) -> bool:
    """Whether git's view of ``rel`` is the file a check reads there.

    Not when a folder on the way is a symbolic link (git sees the link, not what is beyond
    it), nor inside ``.git`` (git lists nothing there). Whether the path itself is a link
    matters only to reads that follow links (``Unit.followed``).
    """
    parent, _, name = rel.rpartition("/")
    if name in (".git", ".."):
        return False
    if parent not in real_dirs:
        top = os.path.realpath(root)
        inside = ".git" not in parent.split("/") and ".." not in parent.split("/")
        real = os.path.realpath(f"{root}/{parent}") == posixpath.join(top, parent)
        real_dirs[parent] = inside and real
    return real_dirs[parent]
