"""Find the line of a JSON path in a document, for annotations on the offending line.

Runs only for files that failed, so a small position-tracking scanner is fast enough.
"""

from __future__ import annotations

import json
import re

_WS = re.compile(r"[ \t\r\n]*")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SCALAR = re.compile(r"[^,\]}\s]+")


def line_of(text: str, parts: list[str | int]) -> int:
    """1-based line where the value at ``parts`` starts; the deepest match found otherwise."""
    try:
        pos = _descend(text, _skip(text, 0), parts)
    except (IndexError, ValueError):
        return 1
    return text.count("\n", 0, pos) + 1


def _skip(text: str, pos: int) -> int:
    m = _WS.match(text, pos)
    return m.end() if m else pos


def _descend(text: str, pos: int, parts: list[str | int]) -> int:
    line_pos = pos
    for part in parts:
        found = _child(text, pos, part)
        if found is None:
            break
        line_pos, pos = found
    return line_pos


def _child(text: str, pos: int, part: str | int) -> tuple[int, int] | None:
    """Where the member ``part`` starts (its key, for objects) and where its value starts."""
    opener = text[pos]
    if opener not in "{[":
        return None
    pos = _skip(text, pos + 1)
    index = 0
    while text[pos] not in "}]":
        key: str | int = index
        entry = pos
        if opener == "{":
            m = _STRING.match(text, pos)
            if m is None:
                raise ValueError(pos)
            key = json.loads(m.group())
            pos = _skip(text, m.end())
            pos = _skip(text, pos + 1)  # the colon
        if key == part:
            return entry, pos
        pos = _skip(text, _end_of_value(text, pos))
        if text[pos] == ",":
            pos = _skip(text, pos + 1)
        index += 1
    return None


def _end_of_value(text: str, pos: int) -> int:
    ch = text[pos]
    if ch == '"':
        m = _STRING.match(text, pos)
        if m is None:
            raise ValueError(pos)
        return m.end()
    if ch in "{[":
        closer = "}" if ch == "{" else "]"
        pos = _skip(text, pos + 1)
        while text[pos] != closer:
            if ch == "{":
                m = _STRING.match(text, pos)
                if m is None:
                    raise ValueError(pos)
                pos = _skip(text, _skip(text, m.end()) + 1)
            pos = _skip(text, _end_of_value(text, pos))
            if text[pos] == ",":
                pos = _skip(text, pos + 1)
        return pos + 1
    m = _SCALAR.match(text, pos)
    if m is None:
        raise ValueError(pos)
    return m.end()
