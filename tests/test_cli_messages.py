"""Small things a user reads: typo suggestions, help that names real choices, counted nouns."""

from __future__ import annotations

import ast
import re

import click
import pytest

from tests.conftest import REPO_ROOT, run_cli
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.cli import cli


@pytest.mark.parametrize(
    ("typed", "meant"), [("shfit", "shift"), ("valdiate", "validate"), ("redaines", "readiness")]
)
def test_a_mistyped_command_gets_a_suggestion(typed: str, meant: str) -> None:
    proc = run_cli(typed)
    assert proc.returncode == 2
    assert f"No such command '{typed}'. Did you mean '{meant}'?" in proc.stderr


def _commands(group: click.Group, prefix: str = "") -> list[tuple[str, click.Command]]:
    ctx = click.Context(group)
    found = []
    for name in group.list_commands(ctx):
        command = group.get_command(ctx, name)
        assert command is not None
        found.append((f"{prefix}{name}", command))
        if isinstance(command, click.Group):
            found += _commands(command, f"{prefix}{name} ")
    return found


def test_format_help_names_exactly_the_choices_of_each_command() -> None:
    checked = 0
    for name, command in _commands(cli):
        for param in command.params:
            if "--format" not in getattr(param, "opts", ()):
                continue
            assert isinstance(param, click.Option) and isinstance(param.type, click.Choice)
            named = set(re.findall(r"\b(text|json|github|markdown) for\b", param.help or ""))
            assert named == set(param.type.choices), f"{name}: {param.help}"
            checked += 1
    assert checked >= 8
    shown = run_cli("forge", "--help").stdout
    assert "github" not in shown and "[text|json]" in shown


def test_plural_counts_nouns() -> None:
    assert plural(1, "order") == "1 order"
    assert plural(0, "order") == "0 orders"
    assert plural(2, "entry") == "2 entries"
    assert plural(3, "day") == "3 days"
    assert plural(2, "sign-off") == "2 sign-offs"
    assert plural(2, "index", "indexes") == "2 indexes"


def test_no_message_writes_a_plural_in_brackets() -> None:
    package = REPO_ROOT / "toyfoundry_ci"
    bracketed = re.compile(r"[a-z]\((s|es|ies|y/ies)\)")
    found = []
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and bracketed.search(node.value)
            ):
                found.append(f"{path.relative_to(REPO_ROOT)}:{node.lineno}: {node.value!r}")
    assert not found, "\n".join(found)
