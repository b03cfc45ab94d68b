"""Artifact kinds and where each lives: the one table that maps folders to kinds."""

from __future__ import annotations

import fnmatch
import functools
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath

from toyfoundry_ci.base.loader import MAX_BYTES

KINDS: tuple[str, ...] = (
    "order",
    "acknowledgement",
    "report",
    "blueprint",
    "recipe",
    "telemetry-export",
    "ledger-entry",
    "ledger-index",
    "notification",
    "receipt",
    "readiness-log",
    "exchange-log",
)


@dataclass(frozen=True, slots=True)
class Location:
    """Files matching ``pattern`` in folder ``folder`` (relative, POSIX) are of ``kind``."""

    folder: str
    pattern: str
    kind: str

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.folder.split("/"))

    def matches_name(self, name: str) -> bool:
        return _name_matcher(self.pattern)(name) not in (None, False)


# Factory repository layout (DESIGN §3), most specific first.
REPO_LOCATIONS: tuple[Location, ...] = (
    Location("exchange/ledger/entries", "*.json", "ledger-entry"),
    Location("exchange/ledger", "index.json", "ledger-index"),
    Location("exchange/orders", "*.json", "order"),
    Location("exchange/acknowledgements", "*.json", "acknowledgement"),
    Location("exchange/reports", "*.json", "report"),
    Location("outbox/orders", "*.json", "order"),
    Location("outbox/acks", "*.json", "acknowledgement"),
    Location("outbox/reports", "*.json", "report"),
    Location("planning/toyfoundry/blueprints", "*.json", "blueprint"),
    Location("planning/toyfoundry/recipes", "*.json", "recipe"),
    Location(".toyfoundry/telemetry/quilt/exports", "*.manifest.json", "telemetry-export"),
    Location("logs", "ops_readiness.json", "readiness-log"),
    Location("logs", "exchange_all.json", "exchange-log"),
    # One record file per run (base/records.py): a log document of the same kind, one run.
    Location("logs/ops_readiness.d", "*.json", "readiness-log"),
    Location("logs/exchange_all.d", "*.json", "exchange-log"),
)

# Hub layout (DESIGN §7): the same kinds, folders at the hub's root.
HUB_LOCATIONS: tuple[Location, ...] = (
    Location("orders", "*.json", "order"),
    Location("acknowledgements", "*.json", "acknowledgement"),
    Location("reports", "*.json", "report"),
    Location("notifications", "*.json", "notification"),
    Location("receipts", "*.json", "receipt"),
)

_ALL = REPO_LOCATIONS + HUB_LOCATIONS


def _files_regex(locations: tuple[Location, ...]) -> str:
    """A regex matching exactly the repository paths of ``locations``, from the root."""
    glob = {"*": "[^/]*", "?": "[^/]", ".": r"\."}
    alternatives = [
        loc.folder.replace(".", r"\.") + "/" + "".join(glob.get(c, c) for c in loc.pattern)
        for loc in locations
    ]
    return "^(" + "|".join(alternatives) + ")$"


# The pre-commit hook's `files` regex: the artifacts and nothing else (the quilt's CSV, JSON
# and SVG data beside a manifest are not artifacts; the manifest vouches for them by checksum).
# The hook manifests carry it verbatim; a test keeps them equal.
ARTIFACT_FILES_REGEX = _files_regex(REPO_LOCATIONS)


# Files above this many bytes are refused unread (untrusted input must not exhaust memory).
# The ledger index is the exception: it is derived, verified against a rebuild, and grows
# by about 250 bytes per order, so 100,000 orders already make 25 MB.
_MAX_BYTES = {"ledger-index": 512 * 1024 * 1024}


def max_bytes_for(kind: str | None) -> int:
    """The size bound for a file of ``kind``."""
    return _MAX_BYTES.get(kind or "", MAX_BYTES)


def kind_for_path(path: PurePath | str) -> str | None:
    """The kind a file's folder implies, matched on the trailing folders of its path."""
    folder, name = os.path.split(os.fspath(path))
    for loc in _locations_for_folder(folder):
        if loc.matches_name(name):
            return loc.kind
    return None


@functools.cache
def _name_matcher(pattern: str) -> Callable[[str], object]:
    if pattern.startswith("*") and not any(c in pattern[1:] for c in "*?[]"):
        return functools.partial(_ends_with, pattern[1:])  # most patterns; 5x quicker
    return re.compile(fnmatch.translate(pattern)).match


def _ends_with(suffix: str, name: str) -> bool:
    return name.endswith(suffix)


@functools.lru_cache(maxsize=1024)
def _locations_for_folder(folder: str) -> tuple[Location, ...]:
    parents = PurePath(folder).parts
    return tuple(loc for loc in _ALL if parents[-len(loc.parts) :] == loc.parts)


def iter_repo_artifacts(root: Path) -> Iterator[Path]:
    """Every artifact file of a factory repository, in a stable order."""
    for rel in repo_artifact_names(root):
        yield root / rel


def repo_artifact_names(root: Path) -> Iterator[str]:
    """The repository paths (POSIX, relative) of ``iter_repo_artifacts``, in its order.

    Each folder is read once (``os.scandir``) and named by strings: a Path per file costs
    more than the listing at 100,000 orders.
    """
    seen: set[str] = set()
    for loc in REPO_LOCATIONS:
        folder = f"{root}/{loc.folder}"
        if not os.path.isdir(folder):  # noqa: PTH112 - strings throughout, see above
            continue
        for name in _matching(folder, loc.pattern):
            rel = f"{loc.folder}/{name}"
            if rel not in seen and kind_for_path(rel) == loc.kind:
                seen.add(rel)
                yield rel


def _matching(folder: str, pattern: str) -> list[str]:
    """The names ``sorted(Path(folder).glob(pattern))`` yields, for a one-part pattern."""
    if not any(c in pattern for c in "*?["):  # glob names such a file only when it exists
        return [pattern] if os.path.exists(f"{folder}/{pattern}") else []  # noqa: PTH110
    with os.scandir(folder) as entries:
        return sorted(e.name for e in entries if fnmatch.fnmatchcase(e.name, pattern))
