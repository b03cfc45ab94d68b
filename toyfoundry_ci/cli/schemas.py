"""``toyfoundry schemas``: export the pivot schemas generated from the models."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def schemas() -> None:
    """JSON Schemas of the artifact kinds, one folder per pivot."""


@schemas.command("export")
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("schemas"),
    show_default=True,
    help="The schemas folder to write or check.",
)
@click.option("--check", is_flag=True, help="Write nothing; exit 1 when the files drift.")
def export_cmd(directory: Path, check: bool) -> None:
    """Write schemas/<pivot>/*.schema.json and schemas/pivots.json from the models."""
    from toyfoundry_ci.models.export import drift, export

    if check:
        stale = drift(directory)
        for path in stale:
            state = "differs from the models" if path.exists() else "is missing"
            click.echo(f"{path}: {state}; run `toyfoundry schemas export --dir {directory}`")
        if stale:
            raise SystemExit(1)
        click.echo("ok: schemas match the models")
        return
    changed = export(directory)
    for path in changed:
        click.echo(f"wrote {path}")
    if not changed:
        click.echo("schemas already match the models; nothing written")
