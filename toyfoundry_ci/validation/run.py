"""One validate run, from arguments to rendered report and exit code (no CLI framework)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from toyfoundry_ci.base.kinds import iter_repo_artifacts
from toyfoundry_ci.validation.checker import check_files
from toyfoundry_ci.validation.reporting import REPORTERS

if TYPE_CHECKING:
    from toyfoundry_ci.validation.shard import Shard


def expand_paths(paths: tuple[str, ...], root: str) -> Iterator[str]:
    """Files as given; folders expand to the JSON files below them; none means the repo."""
    if not paths:
        base = Path(root)
        for path in iter_repo_artifacts(base):
            yield os.path.relpath(path) if root == "." else str(path)
        return
    for raw in paths:
        # A *.json argument is taken as a file without a stat: the loader says if it is not.
        if not raw.endswith(".json") and Path(raw).is_dir() and not Path(raw).is_symlink():
            yield from (str(p) for p in sorted(Path(raw).rglob("*.json")))
        else:
            yield raw


def run_validate(
    paths: tuple[str, ...],
    *,
    fmt: str = "text",
    root: str = ".",
    jobs: int | None = None,
    shard: Shard | None = None,
) -> tuple[str, int]:
    """Validate and render: the report text and the exit code (0 clean, 1 any failure)."""
    selected = expand_paths(paths, root)
    if shard is not None:
        from toyfoundry_ci.validation.shard import select  # only sharded runs pay for hashlib

        selected = select(selected, shard)
    results = check_files(selected, jobs=jobs)
    return REPORTERS[fmt](results), int(any(not r.ok for r in results))
