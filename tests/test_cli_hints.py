"""Every hint is true: each ``toyfoundry ...`` command and ``--option`` that the package's
messages and the docs name is resolved through the click CLI itself.

Mentions are collected from the string literals of the package (messages, hints, help), the
scaffold's templates, and README.md, RUNBOOK.md and ``planning/``: the code under test. A
mention is a command path (each word a subcommand of the one before), then arguments and
options; each option must exist on the command reached, and a value given to a choice option
must be one of its choices.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from tests.conftest import REPO_ROOT
from toyfoundry_ci.cli import cli

# `toyfoundry` then the rest of the command, up to what ends it in prose or shell.
_MENTION = re.compile(r"(?<![\w/.-])toyfoundry((?:[ \t]+[^\s`'\"()#;,]+)+)")
_STOP = {"&&", "||", "|", ";", ">", "<", "2>&1", "#"}
# An option named on its own (not after a command), as in "pass --reviewer NAME".
_LONE_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]+")
# Other tools' options, named beside theirs in the same message or line.
_OTHER_TOOLS = re.compile(r"\b(git|pre-commit|pip|pytest|python3?|npm|gh|uv|actionlint)\b")
# Where a mention is surely a command, not prose ("another toyfoundry run holds the lock").
_COMMAND_CONTEXT = re.compile(r"(`|\$ |\brun |^|\bhint: )$")


def _source_strings() -> Iterator[tuple[str, str]]:
    package = REPO_ROOT / "toyfoundry_ci"
    for path in sorted(package.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                yield f"{path.relative_to(package.parent)}:{node.lineno}", node.value
    for path in sorted((package / "templates").rglob("*")):
        if path.is_file() and path.suffix in {".md", ".yml", ".yaml", ".toml"}:
            yield from _doc_lines(path)


def _doc_lines(path: Path) -> Iterator[tuple[str, str]]:
    root = REPO_ROOT
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        yield f"{path.relative_to(root)}:{lineno}", line


def _doc_strings() -> Iterator[tuple[str, str]]:
    root = REPO_ROOT
    for name in ("README.md", "RUNBOOK.md"):
        yield from _doc_lines(root / name)
    for path in sorted((root / "planning").rglob("*.md")):
        yield from _doc_lines(path)


def _options(command: click.Command) -> dict[str, click.Parameter]:
    found: dict[str, click.Parameter] = {"--help": command.params[0] if command.params else None}  # type: ignore[dict-item]
    for param in command.params:
        for name in (*param.opts, *param.secondary_opts):
            found[name] = param
    found["-h"] = found["--help"]
    return found


def mention_problem(words: list[str]) -> str | None:
    """Why ``toyfoundry WORDS...`` names something that does not exist, or None."""
    command: click.Command = cli
    path = ["toyfoundry"]
    ctx = click.Context(cli)
    pending_choice: click.Parameter | None = None
    for raw in words:
        word = raw.strip("[].:!?")
        if not word or word in _STOP or raw.startswith("#"):
            break
        if pending_choice is not None:
            choices = getattr(pending_choice.type, "choices", None)
            pending_choice = None
            if choices and re.fullmatch(r"[a-z][a-z|-]*", word):
                wrong = [v for v in word.split("|") if v not in choices]
                if wrong:
                    return f"{' '.join(path)}: {raw} is not a choice ({'|'.join(choices)})"
            continue
        if word.startswith("-"):
            name = word.split("=", 1)[0]
            param = _options(command).get(name)
            if name not in _options(command):
                return f"{' '.join(path)} has no option {name}"
            if param is not None and isinstance(getattr(param, "type", None), click.Choice):
                pending_choice = param if "=" not in word else None
            continue
        if isinstance(command, click.Group):
            names = word.split("|")
            if not all(re.fullmatch(r"[a-z][a-z-]*", n) for n in names):
                break  # a placeholder (ORDER, …, <dir>): the path so far exists
            subs = [command.get_command(ctx, n) for n in names]
            missing = [n for n, sub in zip(names, subs, strict=True) if sub is None]
            if missing:
                return f"{' '.join(path)} has no command {' '.join(missing)}"
            assert subs[0] is not None
            command = subs[0]
            path.append(names[0])
    return None


def _mentions(texts: Iterator[tuple[str, str]]) -> Iterator[tuple[str, str, list[str]]]:
    ctx = click.Context(cli)
    for where, text in texts:
        for match in _MENTION.finditer(text):
            words = match.group(1).split()
            first = words[0].strip("[].:!?")
            is_command = cli.get_command(ctx, first) is not None or first.startswith("-")
            before = text[max(0, match.start() - 6) : match.start()]
            if is_command or _COMMAND_CONTEXT.search(before.lstrip()):
                yield where, f"toyfoundry{match.group(1)}", words


def _lone_options(texts: Iterator[tuple[str, str]]) -> Iterator[tuple[str, str]]:
    """Options named outside a ``toyfoundry`` mention and outside another tool's command."""
    for where, text in texts:
        rest = _MENTION.sub(" ", text)
        if _OTHER_TOOLS.search(rest):
            continue
        for match in _LONE_OPTION.finditer(rest):
            if " " in text.strip():  # a message, not one argument of a command line in code
                yield where, match.group(0)


def _every_option() -> set[str]:
    names: set[str] = set()

    def visit(command: click.Command) -> None:
        names.update(_options(command))
        if isinstance(command, click.Group):
            ctx = click.Context(command)
            for name in command.list_commands(ctx):
                sub = command.get_command(ctx, name)
                assert sub is not None
                visit(sub)

    visit(cli)
    return names


def _all_texts() -> list[tuple[str, str]]:
    return [*_source_strings(), *_doc_strings()]


def test_the_collector_sees_the_hints_it_must_check() -> None:
    found = {" ".join(words[:2]) for _, _, words in _mentions(iter(_all_texts()))}
    assert {"ledger index", "ledger verify", "shift --demo", "readiness"} <= found | {
        w.split()[0] for w in found
    }
    assert mention_problem(["ledger", "sign-off"]) == "toyfoundry ledger has no command sign-off"
    assert mention_problem(["pull", "--wait", "SECONDS"]) == "toyfoundry pull has no option --wait"
    assert mention_problem(["forge", "--format", "github"]) is not None
    assert mention_problem(["validate", "--format", "github", "FILE"]) is None
    assert mention_problem(["emit", "order|ack|report"]) is None
    assert mention_problem(["ci", "…"]) is None


@pytest.mark.parametrize("source", ["package", "docs"])
def test_every_command_and_option_named_exists(source: str) -> None:
    texts = _source_strings() if source == "package" else _doc_strings()
    problems = [
        f"{where}: `{text}`: {problem}"
        for where, text, words in _mentions(texts)
        if (problem := mention_problem(words))
    ]
    assert not problems, "\n".join(problems)


def test_every_option_named_alone_exists_on_some_command() -> None:
    known = _every_option() | {"--version"}
    texts = iter([*_source_strings(), *_doc_strings()])
    problems = [f"{where}: {name}" for where, name in _lone_options(texts) if name not in known]
    assert not problems, "\n".join(problems)
