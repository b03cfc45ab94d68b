"""Options shared by several commands, defined once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])

# What each format is for; the help of a command names only the choices it has.
FORMATS = {
    "text": "text for people",
    "json": "json for programs",
    "github": "github for Actions (workflow commands)",
    "markdown": "markdown for a summary or PR comment",
}


def format_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    """``--format`` restricted to ``choices``; its help names exactly those."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices),
        default=default,
        show_default=True,
        help="Output format: " + ", ".join(FORMATS[c] for c in choices) + ".",
    )


def _factory_root(_ctx: click.Context, _param: click.Parameter, value: str | None) -> str:
    from toyfoundry_ci.base.layout import find_factory

    return str(find_factory(value))


def root_option(*, discover: bool = True) -> Callable[[F], F]:
    """``--root``: the factory's root, found from the current folder upwards when not given.

    ``discover=False`` leaves it None when not given, for a command that needs a factory only
    for some of its work (it calls ``find_factory`` itself then).
    """
    return click.option(
        "--root",
        type=click.Path(file_okay=False, path_type=str),
        default=None,
        callback=_factory_root if discover else None,
        help="The factory's root folder (default: found from the current folder upwards).",
    )
