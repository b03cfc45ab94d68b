"""``toyfoundry validate``: check artifacts against their pivot's schemas."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import click

from toyfoundry_ci.base.kinds import iter_repo_artifacts
from toyfoundry_ci.cli.options import format_option, root_option
from toyfoundry_ci.validation.checker import check_files
from toyfoundry_ci.validation.reporting import REPORTERS
from toyfoundry_ci.validation.shard import Shard, parse_shard, select


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


@click.command()
# Plain strings: click.Path would stat every file, and the loader looks at each anyway.
@click.argument("paths", nargs=-1, type=str)
@format_option("text", "json", "github")
@root_option()
@click.option(
    "--jobs",
    type=click.IntRange(min=1),
    default=None,
    help="Worker processes for large batches (default: one per core).",
)
@click.option(
    "--shard",
    "shard",
    callback=lambda _ctx, _param, value: _shard(value),
    default=None,
    metavar="K/N",
    help="Check only shard K of N (split by the sha256 of each path), for a CI matrix.",
)
def validate(
    paths: tuple[str, ...], fmt: str, root: str, jobs: int | None, shard: Shard | None
) -> None:
    """Validate artifacts under their pivot's schema (no PATHS: every artifact in ROOT)."""
    results = check_files(select(expand_paths(paths, root), shard), jobs=jobs)
    click.echo(REPORTERS[fmt](results))
    if any(not r.ok for r in results):
        raise SystemExit(1)


def _shard(value: str | None) -> Shard | None:
    if value is None:
        return None
    try:
        return parse_shard(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
