"""Deterministic sharding of a lot: file K of N by the sha256 of its path.

The split depends only on the path's text (POSIX form, relative to the repository root), so
every runner of a matrix computes the same partition without talking to the others, and
adding a file moves only that file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

_SPEC = re.compile(r"^([1-9][0-9]{0,3})/([1-9][0-9]{0,3})$")


@dataclass(frozen=True, slots=True)
class Shard:
    """Shard ``index`` (1-based) of ``count``."""

    index: int
    count: int

    def __str__(self) -> str:
        return f"{self.index}/{self.count}"

    def holds(self, key: str) -> bool:
        return shard_of(key, self.count) == self.index


def parse_shard(spec: str) -> Shard:
    """``"K/N"`` with 1 <= K <= N <= 9999, else ValueError naming the rule."""
    match = _SPEC.match(spec.strip())
    if match is None or int(match.group(1)) > int(match.group(2)):
        raise ValueError(f"{spec!r} is not a shard: use K/N with 1 <= K <= N, e.g. 2/4")
    return Shard(int(match.group(1)), int(match.group(2)))


def shard_of(key: str, count: int) -> int:
    """The 1-based shard of ``key`` among ``count``."""
    digest = hashlib.sha256(key.replace("\\", "/").encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def select(keys: Iterable[str], shard: Shard | None) -> Iterator[str]:
    """The keys that belong to ``shard`` (all of them when ``shard`` is None), in order."""
    for key in keys:
        if shard is None or shard.holds(key):
            yield key
