"""Strict artifact loading: parse failures are data, never tracebacks.

Beyond plain JSON syntax this refuses what JSON parsers commonly let through: a byte-order
mark, invalid UTF-8, NaN/Infinity, duplicate object keys, nesting deeper than a bound and
files above a size bound. Files are read by the one bounded reader (``base.reader``): symbolic
links, FIFOs and devices are refused, so a checkout cannot smuggle in a file from elsewhere.
The fast path parses with orjson and counts object keys in the raw bytes; only when a file is
suspect does the slower, position-aware standard library parser run to say
exactly where.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from toyfoundry_ci.base.reader import UnreadableError, read_file, too_large

MAX_BYTES = 5 * 1024 * 1024  # per kind: kinds.max_bytes_for
MAX_DEPTH = 64

# The canonical artifact form (base.canonical.dumps); not imported, to keep this module a leaf.
_CANONICAL = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
_SPACED_COLON = re.compile(rb'"[ \t\r\n]+:')
_BOMS = (
    (b"\xef\xbb\xbf", "UTF-8"),
    (b"\xff\xfe", "UTF-16"),
    (b"\xfe\xff", "UTF-16"),
)
# Every JSON string, with the colon that follows it when it is an object key. Scanning left
# to right keeps the match aligned on string boundaries, so a colon inside a string never
# counts; joining the captured colons counts the keys in the text.
_STRING_OR_KEY = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"\s*(:?)', re.DOTALL)


@dataclass(frozen=True, slots=True)
class ParseError:
    """Why a file is not a loadable artifact; ``where`` is a JSON path or a text position."""

    where: str
    message: str


def read_artifact(
    path: str | Path, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH
) -> Any | ParseError:
    """Read (with the one bounded reader) and strictly parse one artifact file."""
    try:
        data = read_file(path, max_bytes)
    except UnreadableError as exc:
        return ParseError("$", exc.reason)
    return parse_artifact(data, max_depth=max_depth)


def too_big(size: int, max_bytes: int = MAX_BYTES) -> ParseError:
    """The refusal of a file above the size bound."""
    return ParseError("$", too_large(size, max_bytes))


def parse_artifact(data: bytes, *, max_depth: int = MAX_DEPTH) -> Any | ParseError:
    """Strictly parse artifact bytes, returning the value or a ParseError."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return ParseError(
                "$", f"file starts with a {name} byte-order mark; save it as UTF-8 without one"
            )
    try:
        value = orjson.loads(data)
    except orjson.JSONDecodeError as exc:
        return _explain(data, str(exc), max_depth)
    # Fewer brackets than the bound cannot nest deeper than it: most files skip the walk.
    if data.count(b"{") + data.count(b"[") > max_depth and _deeper_than(value, max_depth):
        return ParseError("$", f"nesting is deeper than {max_depth} levels")
    # A file in canonical form (as every artifact this tool writes is) re-serialises to its
    # own bytes, which a repeated key, a BOM or an escape would have made impossible.
    if orjson.dumps(value, option=_CANONICAL) == data or _same_key_count(data, value):
        return value
    keys, _ = _shape(value, max_depth)
    if keys != len(b"".join(_STRING_OR_KEY.findall(data))):
        return _find_duplicate(data)
    return value


def _same_key_count(data: bytes, value: Any) -> bool:
    """Quick proof that no key was repeated: the text and a re-serialisation agree.

    In compact output every key ends in '":'; so does every escaped quote followed by a
    colon inside a string. Without \\u escapes or white space before colons, the input has
    exactly the same such sequences unless a repeated key was dropped by the parser, which
    only lowers the re-serialised count. When the proof does not apply, the exact count runs.
    """
    return (
        b"\\u" not in data
        and _SPACED_COLON.search(data) is None
        and data.count(b'":') == orjson.dumps(value).count(b'":')
    )


def _deeper_than(value: Any, max_depth: int) -> bool:
    """Whether nesting exceeds ``max_depth`` containers: ``_shape``'s answer, level by level
    (half its time on a large file such as the ledger index, which every commit stages)."""
    level = [value] if type(value) is dict or type(value) is list else []
    for _ in range(max_depth):
        below: list[Any] = []
        for node in level:
            children = node.values() if type(node) is dict else node
            below += [c for c in children if type(c) is dict or type(c) is list]
        if not below:
            return False
        level = below
    return bool(level)


def _shape(value: Any, max_depth: int) -> tuple[int, bool]:
    """Count object keys and tell whether nesting exceeds ``max_depth`` containers."""
    keys = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        children: Iterable[Any]
        if type(node) is dict:
            children = node.values()
            keys += len(node)
        elif type(node) is list:
            children = node
        else:
            continue
        if depth > max_depth:
            return keys, True
        for child in children:
            if type(child) is dict or type(child) is list:
                stack.append((child, depth + 1))
    return keys, False


def _explain(data: bytes, fast_message: str, max_depth: int) -> Any | ParseError:
    """Turn an orjson failure into a precise message (or accept what only it refused)."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return ParseError("$", f"invalid UTF-8 at byte {exc.start}; save the file as UTF-8")
    if "depth" in fast_message or "recursion" in fast_message:
        return ParseError("$", f"nesting is deeper than {max_depth} levels")
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except _ConstantError as exc:
        return ParseError("$", f"{exc.args[0]} is not valid JSON; use a number or null")
    except json.JSONDecodeError as exc:
        return ParseError(
            f"line {exc.lineno}, column {exc.colno}", f"invalid JSON: {exc.msg.lower()}"
        )
    except RecursionError:
        return ParseError("$", f"nesting is deeper than {max_depth} levels")
    keys, too_deep = _shape(value, max_depth)
    if too_deep:
        return ParseError("$", f"nesting is deeper than {max_depth} levels")
    if keys != len(b"".join(_STRING_OR_KEY.findall(data))):
        return _find_duplicate(data)
    return value


class _ConstantError(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _ConstantError(name)


class _Pairs(list[tuple[str, Any]]):
    """An object as parsed, keeping every key even when repeated."""


def _find_duplicate(data: bytes) -> ParseError:
    value = json.loads(data.decode("utf-8"), object_pairs_hook=_Pairs)
    stack: list[tuple[Any, str]] = [(value, "$")]
    while stack:
        node, where = stack.pop()
        if isinstance(node, _Pairs):
            seen: set[str] = set()
            for key, child in node:
                if key in seen:
                    return ParseError(
                        where, f"duplicate key {key!r}; each key may appear once per object"
                    )
                seen.add(key)
                stack.append((child, json_path_join(where, key)))
        elif isinstance(node, list):
            stack.extend((child, f"{where}[{i}]") for i, child in enumerate(node))
    return ParseError("$", "duplicate key")


_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def json_path_join(base: str, key: str | int) -> str:
    """Append one step to a JSON path in the ``$.a[0]['b c']`` notation."""
    if isinstance(key, int):
        return f"{base}[{key}]"
    if _IDENT.match(key):
        return f"{base}.{key}"
    return f"{base}[{json.dumps(key)}]"


def json_path(parts: list[str | int] | tuple[str | int, ...]) -> str:
    """A JSON path string for a sequence of keys and indexes."""
    where = "$"
    for part in parts:
        where = json_path_join(where, part)
    return where
