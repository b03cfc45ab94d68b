"""The docs-aligned check: every command and path RUNBOOK.md names must exist.

Commands are checked against the CLI's own registry, paths against the file system, so a
renamed command or folder turns the check red instead of leaving the runbook stale.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import shlex
from collections.abc import Iterator, Mapping
from pathlib import Path

from toyfoundry_ci.base.cachedir import UNTRACKED_STATE
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import MAX_BYTES
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.base.reader import UnreadableError, read_present
from toyfoundry_ci.readiness.checks import Check, failed, passed

CHECK_ID = "docs-aligned"
RUNBOOK = "RUNBOOK.md"

_FENCE = re.compile(r"^\s*(```|~~~)\s*([\w+-]*)")
_INLINE = re.compile(r"`([^`\n]+)`")
_PATH_SUFFIXES = (".md", ".json", ".py", ".yaml", ".yml", ".toml", ".sh", ".txt", ".csv")
_PLACEHOLDER = re.compile(r"[<>*{}$…]|\.\.\.")
_ENV_ASSIGNMENT = re.compile(r"^[A-Z_][A-Z0-9_]*=")
_SEPARATORS = re.compile(r"\s*(?:&&|\|\||;|\|(?=\s))\s*")
_GLOBAL_OPTIONS = {"-v", "--verbose"}
# Files the tools write on first use; a runbook may name them before they exist.
# Created by the first run that needs them (and emptied again by purge): named before they exist.
# The machine-state folders are named by the check that keeps them out of git.
GENERATED = (
    "logs/ops_readiness.json",
    "logs/exchange_all.json",
    "logs/ops_readiness.d",
    "logs/exchange_all.d",
    *UNTRACKED_STATE,
    "outbox",
    "outbox/orders",
    "outbox/acks",
    "outbox/reports",
)


def docs_aligned(layout: Layout) -> Check:
    restore = f"restore it: `git checkout -- {RUNBOOK}`"
    try:
        data = read_present(layout.root / RUNBOOK, MAX_BYTES)
    except UnreadableError as exc:
        return failed(CHECK_ID, f"{RUNBOOK} {exc.reason}", restore)
    if data is None:
        return failed(CHECK_ID, f"{RUNBOOK} is missing", restore)
    problems: list[str] = []
    commands = paths = 0
    for lineno, kind, text in runbook_mentions(data.decode(errors="replace")):
        if kind == "command":
            commands += 1
            problem = command_problem(layout.root, text, cli_registry())
        else:
            paths += 1
            problem = path_problem(layout.root, text)
        if problem:
            problems.append(f"{RUNBOOK}:{lineno}: {problem}")
    if problems:
        return failed(
            CHECK_ID,
            f"names in {RUNBOOK} that do not exist: {len(problems)}",
            f"edit the {RUNBOOK} lines named above to the current command and folder names"
            " (or restore what they name)",
            problems,
        )
    return passed(
        CHECK_ID, f"{plural(commands, 'command')} and {plural(paths, 'path')} in {RUNBOOK} exist"
    )


def cli_registry() -> Mapping[str, str]:
    """The CLI's command table: the one truth about which commands exist.

    Read as data (module paths, nothing is called), so the gate sees exactly what a user can
    type without this layer depending on the CLI's code.
    """
    commands: Mapping[str, str] = importlib.import_module("toyfoundry_ci.cli").COMMANDS
    return commands


def runbook_mentions(text: str) -> Iterator[tuple[int, str, str]]:
    """``(line, "command" | "path", text)`` for each command line and path the text names."""
    fence: str | None = None
    lang = ""
    for lineno, line in enumerate(text.splitlines(), start=1):
        opened = _FENCE.match(line)
        if opened and (fence is None or opened.group(1) == fence):
            fence, lang = (None, "") if fence else (opened.group(1), opened.group(2))
            continue
        if fence is not None:
            yield from _fenced_line(lineno, line, lang)
            continue
        for span in _INLINE.findall(line):
            yield from _mentions(lineno, span.strip())


def _fenced_line(lineno: int, line: str, lang: str) -> Iterator[tuple[int, str, str]]:
    stripped = line.strip()
    if lang == "console":
        if not stripped.startswith("$ "):
            return
        stripped = stripped[2:]
    elif lang not in ("", "bash", "sh", "shell"):
        return
    if stripped and not stripped.startswith("#"):
        yield from _mentions(lineno, stripped)


def _mentions(lineno: int, text: str) -> Iterator[tuple[int, str, str]]:
    for segment in _SEPARATORS.split(text):
        words = _split(segment)
        while words and _ENV_ASSIGNMENT.match(words[0]):
            words = words[1:]
        if words and Path(words[0]).name in ("toyfoundry", "python", "python3"):
            yield lineno, "command", shlex.join(words)
            words = words[1:]
        for word in words:
            if _looks_like_path(word):
                yield lineno, "path", word


def _split(segment: str) -> list[str]:
    try:
        return shlex.split(segment)
    except ValueError:
        return segment.split()


def _looks_like_path(word: str) -> bool:
    word = word.rstrip(".,:;)")
    if not word or word.startswith(("-", "/", "~", "http:", "https:", "git@")):
        return False
    return "/" in word or word.endswith(_PATH_SUFFIXES)


def path_problem(root: Path, word: str) -> str | None:
    """Why ``word`` is not a path of the repository, or None when it is."""
    word = word.rstrip(".,:;)")
    if word.rstrip("/") in GENERATED:
        return None
    parts = word.rstrip("/").split("/")
    # `planning/storyboard/<order>.md` names its folder: the part before the placeholder.
    for i, part in enumerate(parts):
        if _PLACEHOLDER.search(part):
            parts = parts[:i]
            break
    if not parts:
        return None
    if (root.joinpath(*parts)).exists():
        return None
    return f"names `{word}`, which does not exist"


def command_problem(root: Path, command: str, registry: Mapping[str, str]) -> str | None:
    """Why ``command`` would not run here, or None when it names what exists."""
    words = shlex.split(command)
    program, args = Path(words[0]).name, words[1:]
    if program == "toyfoundry":
        return _toyfoundry_problem(command, args, registry)
    return _python_problem(root, command, args)


def _toyfoundry_problem(command: str, args: list[str], registry: Mapping[str, str]) -> str | None:
    args = [a for a in args if a not in _GLOBAL_OPTIONS]
    if not args or args[0].startswith("-"):
        return None
    family = args[0]
    if family not in registry:
        return f"names `{command}`, but `{family}` is not a toyfoundry command"
    if len(args) < 2 or args[1].startswith("-") or _PLACEHOLDER.search(args[1]):
        return None
    module, _, attr = registry[family].partition(":")
    group = getattr(importlib.import_module(module), attr)
    subcommands = getattr(group, "commands", None)
    if isinstance(subcommands, dict) and subcommands and args[1] not in subcommands:
        return f"names `{command}`, but `{args[1]}` is not a `toyfoundry {family}` command"
    return None


def _python_problem(root: Path, command: str, args: list[str]) -> str | None:
    if not args or args[0] in ("-c", "-V", "--version"):
        return None
    if args[0] == "-m":
        if len(args) < 2:
            return f"names `{command}` without a module"
        module = args[1]
        as_path = root.joinpath(*module.split("."))
        found = (
            as_path.with_suffix(".py").is_file()
            or (as_path / "__init__.py").is_file()
            or _importable(module)
        )
        return None if found else f"names `{command}`, but module `{module}` does not exist"
    if args[0].startswith("-"):
        return None
    script = args[0]
    if _PLACEHOLDER.search(script) or (root / script).is_file():
        return None
    return f"names `{command}`, but `{script}` does not exist"


def _importable(module: str) -> bool:
    top = module.split(".", maxsplit=1)[0]
    try:
        return importlib.util.find_spec(top) is not None
    except (ImportError, ValueError):
        return False
