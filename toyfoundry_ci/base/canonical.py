"""The one canonical JSON writer and the one digest function.

Artifact files are written as UTF-8 JSON with sorted keys, two-space indentation and a final
newline: the same object always gives the same bytes, whatever the machine. The compact form
(no whitespace) is what digests over JSON values are computed from.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson

from toyfoundry_ci.base.reader import read_file

_PRETTY = orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_APPEND_NEWLINE
_COMPACT = orjson.OPT_SORT_KEYS


def dumps(obj: Any) -> bytes:
    """Canonical artifact bytes: sorted keys, indented, newline-terminated."""
    return orjson.dumps(obj, option=_PRETTY)


def dumps_compact(obj: Any) -> bytes:
    """Canonical compact bytes, the input of digests over JSON values."""
    return orjson.dumps(obj, option=_COMPACT)


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of bytes."""
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: str | Path) -> str:
    """Hex sha256 of a regular file's bytes, read by the one bounded reader (no link, no FIFO)."""
    return sha256_bytes(read_file(path, None))


def sha256_json(obj: Any) -> str:
    """Hex sha256 of a JSON value's compact canonical form."""
    return sha256_bytes(dumps_compact(obj))
