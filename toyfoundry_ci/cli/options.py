"""Options shared by several commands, defined once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

F = TypeVar("F", bound=Callable[..., Any])


def format_option(*choices: str, default: str = "text") -> Callable[[F], F]:
    """``--format`` restricted to ``choices``; ``github`` renders workflow commands."""
    return click.option(
        "--format",
        "fmt",
        type=click.Choice(choices or ("text", "json", "github")),
        default=default,
        show_default=True,
        help="Output format: text for people, json for programs, github for Actions.",
    )


def root_option() -> Callable[[F], F]:
    return click.option(
        "--root",
        type=click.Path(file_okay=False, path_type=str),
        default=".",
        show_default=True,
        help="The factory repository's root folder.",
    )
