"""``toyfoundry validate``: check artifacts against their pivot's schemas."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from toyfoundry_ci.cli.options import format_option, root_option
from toyfoundry_ci.validation.run import run_validate

if TYPE_CHECKING:
    from toyfoundry_ci.validation.shard import Shard


@click.command()
# Plain strings: click.Path would stat every file, and the loader looks at each anyway.
@click.argument("paths", nargs=-1, type=str)
@format_option("text", "json", "github")
@root_option(discover=False)
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
    paths: tuple[str, ...], fmt: str, root: str | None, jobs: int | None, shard: Shard | None
) -> None:
    """Validate artifacts under their pivot's schema (no PATHS: every artifact of the factory)."""
    report, code = run_validate(paths, fmt=fmt, root=_root(paths, root), jobs=jobs, shard=shard)
    click.echo(report)
    if code:
        raise SystemExit(code)


def _root(paths: tuple[str, ...], root: str | None) -> str:
    """Files named are checked wherever they are; without them, the factory's artifacts."""
    if paths:
        return root or "."
    from pathlib import Path

    from toyfoundry_ci.base.layout import find_factory

    found = find_factory(root)
    return "." if found == Path.cwd().resolve() else str(found)


def _shard(value: str | None) -> Shard | None:
    if value is None:
        return None
    from toyfoundry_ci.validation.shard import parse_shard

    try:
        return parse_shard(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None
