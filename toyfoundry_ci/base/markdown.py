"""Markdown that people read on GitHub, with every untrusted value made inert in one place.

Step summaries, PR comments, PR and issue bodies carry file names, messages and IDs that come
from a pull request or a hub. Here they are put in code spans fenced by a backtick run longer
than any inside: nothing in a code span is a link, an image, HTML, a heading or a mention.
An ID that does not validate is never shown, only what is wrong with it; tables and whole
texts are cut to GitHub's limits with a count of what was left out.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

# GitHub's limits: an issue or PR comment / body holds 65,536 characters, a step summary 1 MiB.
COMMENT_LIMIT = 65_536
SUMMARY_LIMIT = 1024 * 1024
TABLE_ROWS = 200  # rows shown per table; the rest are counted

_BACKTICKS = re.compile(r"`+")
_LINE_BREAK = re.compile(r"[\r\n\u2028\u2029\x0b\x0c\x85]+")


def code(value: str) -> str:
    """``value`` as one inline code span, on one line, whatever backticks it holds."""
    flat = _LINE_BREAK.sub(" ", value)
    longest = max((len(run) for run in _BACKTICKS.findall(flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith(("`", " ")) or flat.endswith(("`", " ")) or not flat else ""
    return f"{fence}{pad}{flat}{pad}{fence}"


def cell(value: str) -> str:
    """Untrusted text for a table cell: a code span, and no ``|`` ends the cell.

    GitHub splits table cells on ``|`` even inside code spans; ``\\|`` is read as the
    character and dropped from the span's text.
    """
    return code(value).replace("|", "\\|")


def fenced(value: str, language: str = "") -> str:
    """``value`` as a fenced code block whose fence no line of it can close."""
    longest = max((len(run) for run in _BACKTICKS.findall(value)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{value.rstrip(chr(10))}\n{fence}"


def checked_id(value: str, is_valid: Callable[[str], bool]) -> str:
    """A validated ID in a code span; an invalid one is described, never shown."""
    if is_valid(value):
        return f"`{value}`"
    return f"(an invalid ID of {len(value)} characters)"


def table(header: Sequence[str], rows: Sequence[Sequence[str]], limit: int = TABLE_ROWS) -> str:
    """A table of already escaped cells; past ``limit`` rows, a line counts the rest."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows[:limit]]
    if len(rows) > limit:
        lines += ["", f"… and {len(rows) - limit} more rows not shown"]
    return "\n".join(lines)


def fit(markdown: str, limit: int, where: str) -> str:
    """``markdown`` cut at a line to at most ``limit`` characters, saying where the rest is."""
    if len(markdown) <= limit:
        return markdown
    note = f"\n\n… cut to fit GitHub's limit of {limit:,} characters; {where}\n"
    kept = markdown[: limit - len(note)]
    kept = kept[: kept.rfind("\n") + 1] if "\n" in kept else kept
    return kept.rstrip("\n") + note


def fit_bytes(markdown: str, limit: int, where: str) -> str:
    """As :func:`fit`, for a limit in UTF-8 bytes (the step summary's)."""
    size = limit
    while len((out := fit(markdown, size, where)).encode()) > limit:
        size -= (len(out.encode()) - limit + 3) // 4 + 1  # a character is at most 4 bytes
    return out
