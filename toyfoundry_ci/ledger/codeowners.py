"""CODEOWNERS as GitHub reads it: whose approval a path needs.

One rule per line, ``PATTERN OWNER...``; ``#`` starts a comment; the **last** matching rule
wins, and a rule without owners leaves its paths unowned. Patterns are gitignore-like as
GitHub documents them: a leading ``/`` or a ``/`` inside anchors the pattern at the root,
otherwise it matches at any depth; a trailing ``/`` matches everything below a folder; ``*``
stays within one folder (``docs/*`` owns ``docs/a.md``, not ``docs/x/a.md``), ``**`` crosses
folders, ``?`` is one character. GitHub does not support ``!`` negation or ``[ ]`` ranges, so
a rule using them matches nothing here either. Owners are ``@login``, ``@org/team`` or an
e-mail address.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Rule:
    pattern: str
    line: int
    owners: tuple[str, ...]
    regex: re.Pattern[str] | None  # None: a pattern GitHub does not support


def parse(text: str) -> list[Rule]:
    """The rules of a CODEOWNERS file, in file order."""
    rules = []
    for number, raw in enumerate(text.splitlines(), 1):
        line = re.sub(r"(?<!\\)#.*", "", raw).strip()
        if not line:
            continue
        pattern, *owners = line.split()
        rules.append(Rule(pattern, number, tuple(owners), _regex(pattern.replace("\\#", "#"))))
    return rules


def owners_of(rules: list[Rule], path: str) -> tuple[Rule | None, tuple[str, ...]]:
    """The rule that decides ``path`` (the last that matches) and its owners."""
    for rule in reversed(rules):
        if rule.regex is not None and rule.regex.fullmatch(path):
            return rule, rule.owners
    return None, ()


def _regex(pattern: str) -> re.Pattern[str] | None:
    if pattern.startswith("!") or "[" in pattern:
        return None
    folder = pattern.endswith("/")
    body = pattern.strip("/")
    if not body:
        return None
    anchored = pattern.startswith("/") or "/" in body
    out = []
    i = 0
    while i < len(body):
        if body.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif body.startswith("**", i):
            out.append(".*")
            i += 2
        elif body[i] == "*":
            out.append("[^/]*")
            i += 1
        elif body[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(body[i]))
            i += 1
    last = body.rsplit("/", 1)[-1]
    if folder:
        below = "/.*"
    elif "*" in last:
        below = ""  # a wildcard name owns what it names, not what lies below it
    else:
        below = "(?:/.*)?"  # a name owns the file, or everything in the folder
    return re.compile(("" if anchored else "(?:.*/)?") + "".join(out) + below)
