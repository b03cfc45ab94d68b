"""The artifacts-valid check: every artifact of the repository validates under its pivot.

One unit per artifact file; its problems are the validator's, as ``toyfoundry validate``
prints them.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator

from toyfoundry_ci.base.kinds import (
    REPO_LOCATIONS,
    Location,
    kind_for_path,
    repo_artifact_names,
)
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.readiness.checks import Check, failed, passed
from toyfoundry_ci.readiness.units import Family, Problems, Unit
from toyfoundry_ci.validation.checker import check_files

CHECK_ID = "artifacts-valid"


@functools.cache
def _locations_in(folder: str) -> tuple[tuple[int, Location], ...]:
    return tuple((n, loc) for n, loc in enumerate(REPO_LOCATIONS) if loc.folder == folder)


def _sort(rel: str) -> str | None:
    """Where ``rel`` comes in the scan of ``repo_artifact_names``; None: not an artifact."""
    folder, _, name = rel.rpartition("/")
    for number, loc in _locations_in(folder):
        if loc.matches_name(name) and kind_for_path(rel) == loc.kind:
            return f"{number:03d}/{rel}"
    return None


def _known_sort(rel: str) -> str:
    """``_sort`` of a path already known to be an artifact (no second kind check)."""
    folder, _, name = rel.rpartition("/")
    for number, loc in _locations_in(folder):
        if loc.matches_name(name):
            return f"{number:03d}/{rel}"
    return rel


def _keys(layout: Layout) -> list[str]:
    return [f"a:{rel}" for rel in repo_artifact_names(layout.root)]


def _keys_for(_layout: Layout, rel: str) -> Iterator[str]:
    if _sort(rel) is not None:
        yield f"a:{rel}"


def _compute(layout: Layout, keys: list[str]) -> dict[str, Unit | None]:
    units: dict[str, Unit | None] = dict.fromkeys(keys)
    root = str(layout.root)
    present = [key[2:] for key in keys if os.path.lexists(f"{root}/{key[2:]}")]
    results = check_files(f"{root}/{rel}" for rel in present)
    for rel, result in zip(present, results, strict=True):
        lines = tuple(f"{rel}::{p.where}: {p.message}" for p in result.problems)
        counts = (1, len(lines), int(not result.ok))
        sort = _known_sort(rel)
        units[f"a:{rel}"] = Unit(f"a:{rel}", sort, {CHECK_ID: lines}, {CHECK_ID: counts}, (rel,))
    return units


ARTIFACT_UNITS = Family("artifact", _keys, _keys_for, _compute, owns_deps=True)


def build_artifacts_valid(counts: tuple[int, ...], problems: Problems) -> Check:
    """Every artifact of the repository validates under its pivot."""
    artifacts, errors, bad = (*counts, 0, 0, 0)[:3]
    if not bad:
        return passed(CHECK_ID, f"{plural(artifacts, 'artifact')} valid")
    return failed(
        CHECK_ID,
        f"{plural(errors, 'error')} in {bad} of {plural(artifacts, 'artifact')}",
        "fix the files named above (`toyfoundry validate FILE` checks one again)",
        problems.first,
        problems.total,
    )
