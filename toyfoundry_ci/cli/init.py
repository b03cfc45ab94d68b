"""``toyfoundry init [DIR]``: scaffold a factory repository."""

from __future__ import annotations

from pathlib import Path

import click

from toyfoundry_ci.base.plural import plural


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--factory", help="The factory's name (default: the directory's name).")
@click.option(
    "--action-ref",
    required=True,
    help="Full commit SHA of toyfoundry-ci the workflows pin its action to.",
)
@click.option("--hook-repo", default=None, help="The pre-commit hook repository URL.")
@click.option("--hook-rev", default=None, help="Its rev (default: this version's tag).")
def init(
    directory: Path,
    factory: str | None,
    action_ref: str,
    hook_repo: str | None,
    hook_rev: str | None,
) -> None:
    """Scaffold a factory repository: folders, docs, config, hooks, workflows."""
    from toyfoundry_ci.scaffold import InitOptions, default_factory_name, scaffold

    extra = {"hook_repo": hook_repo, "hook_rev": hook_rev}
    options = InitOptions(
        factory=factory or default_factory_name(directory),
        action_ref=action_ref,
        **{k: v for k, v in extra.items() if v},
    )
    result = scaffold(directory, options)
    for rel in result.created:
        click.echo(f"created  {rel}")
    if result.nothing_to_do:
        click.echo(f"{directory}: already scaffolded; nothing to do")
        return
    if result.kept:
        click.echo(f"kept {plural(len(result.kept), 'existing file')} as they were")
    click.echo("next: git init && git add -A && pre-commit install && git commit")
