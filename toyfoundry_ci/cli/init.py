"""``toyfoundry init [DIR]``: scaffold a factory repository."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import click

from toyfoundry_ci.base.plural import plural


@click.command()
@click.argument("directory", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--factory", help="The factory's name (default: the directory's name).")
@click.option(
    "--action-ref",
    default=None,
    help="Full commit SHA of toyfoundry-ci to pin the GitHub workflows' action to"
    " (without it, the workflows are left out).",
)
@click.option(
    "--hook-repo",
    default=None,
    help="A pre-commit hook repository to use instead of local hooks (with --hook-rev).",
)
@click.option("--hook-rev", default=None, help="The tag or commit of --hook-repo to use.")
def init(
    directory: Path,
    factory: str | None,
    action_ref: str | None,
    hook_repo: str | None,
    hook_rev: str | None,
) -> None:
    """Scaffold a factory repository: folders, docs, catalogue, config, hooks, workflows."""
    from toyfoundry_ci.scaffold import InitOptions, default_factory_name, scaffold

    options = InitOptions(
        factory=factory or default_factory_name(directory),
        action_ref=action_ref,
        hook_repo=hook_repo,
        hook_rev=hook_rev,
    )
    result = scaffold(directory, options)
    for rel in result.created:
        click.echo(f"created  {rel}")
    if result.nothing_to_do:
        click.echo(f"{directory}: already scaffolded; nothing to do")
    elif result.kept:
        click.echo(f"kept {plural(len(result.kept), 'existing file')} as they were")
    where = shlex.quote(str(directory))
    if action_ref is None and not (directory / ".github" / "workflows").is_dir():
        click.echo(
            f"workflows left out: add them later with `{_me()} init {where} --action-ref "
            "<40-hex commit>`, the commit of the toyfoundry-ci release you use"
        )
    if not result.nothing_to_do:
        click.echo("next:\n" + "\n".join(f"  {step}" for step in _next_steps(directory)))


def _me() -> str:
    """This very toyfoundry, as the user can type it again."""
    from toyfoundry_ci.ledger.merge_driver import interpreter_command

    program = Path(sys.argv[0])
    return shlex.quote(str(program)) if program.name == "toyfoundry" else interpreter_command()


def _next_steps(directory: Path) -> list[str]:
    """What is left to make the scaffold a committed repository with its hooks."""
    where = shlex.quote(str(directory))
    if (directory / ".git").exists():  # a re-run on a repository: only commit what is new
        return [f'cd {where} && git add -A && git commit -m "Add what toyfoundry init wrote"']
    return [
        f"git -C {where} init -b main",
        f"{_me()} hooks install --root {where}",
        f'cd {where} && git add -A && git commit -m "Scaffold the factory"',
    ]
