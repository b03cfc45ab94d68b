"""Helpers for the reliability tests: the bad-input catalogue and tree snapshots.

Each catalogue entry is one way an artifact can be wrong, with the bytes that show it and the
words the user must see. The same bytes go through every entry point a user hits.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from tests.exchange_kit import _template, directive
from toyfoundry_ci.base.canonical import dumps

BAD_ID = "ALFA-2027-0100"
BIG = 50 * 1024 * 1024


@dataclass(frozen=True)
class BadInput:
    name: str
    data: bytes
    says: str  # what the error message must contain


def _with_order_id(value: str) -> bytes:
    doc = json.loads(directive(BAD_ID))
    doc["order_id"] = value
    return dumps(doc)


def _swap(old: bytes, new: bytes) -> bytes:
    data = directive(BAD_ID)
    assert old in data
    return data.replace(old, new, 1)


def catalogue(*, big: bool = False) -> list[BadInput]:
    """Every bad artifact, as the file ``exchange/orders/ALFA-2027-0100.json`` would hold it."""
    good = directive(BAD_ID)
    ack = _template("ack")
    items = [
        BadInput("malformed JSON", good[:-20], "invalid JSON"),
        BadInput(
            "duplicate key", _swap(b"{\n", b'{\n  "kind": "order",\n'), "duplicate key 'kind'"
        ),
        BadInput("NaN", _swap(b'"qty": 120', b'"qty": NaN'), "NaN is not valid JSON"),
        BadInput("Infinity", _swap(b'"qty": 120', b'"qty": Infinity'), "Infinity is not valid"),
        BadInput("byte-order mark", b"\xef\xbb\xbf" + good, "byte-order mark"),
        BadInput("invalid UTF-8", _swap(b"Sample", b"Sam\xff\xfeple"), "invalid UTF-8"),
        BadInput(
            "10,000-deep nesting",
            _swap(b'"Sample Alfa batch directive."', b"[" * 10_000 + b"]" * 10_000),
            "nesting is deeper than 64 levels",
        ),
        BadInput("wrong kind for its folder", dumps(ack), "does not belong in a folder of 'order'"),
        BadInput("order ID with ../", _with_order_id("../ALFA-2027-0100"), "$.order_id"),
        BadInput("order ID with /", _with_order_id("ALFA/2027-0100"), "$.order_id"),
        BadInput("order ID with NUL", _with_order_id("ALFA-2027-0100\x00"), "$.order_id"),
        BadInput(
            "order ID with control chars", _with_order_id("ALFA-2027-\x1b[0100"), "$.order_id"
        ),
        BadInput("order ID with look-alikes", _with_order_id("\u0410LFA-2027-0100"), "$.order_id"),
    ]
    if big:
        padded = _swap(b"Sample Alfa batch directive.", b"x" * BIG)
        items.append(BadInput("50 MB artifact", padded, "-byte bound"))
    return items


def snapshot(root: Path, *, skip: tuple[str, ...] = (".git",)) -> dict[str, str]:
    """Every file below ``root`` (symbolic links as their target) -> sha256 of its bytes."""
    found: dict[str, str] = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel_dir = Path(dirpath).relative_to(root)
        dirnames[:] = [d for d in dirnames if (rel_dir / d).as_posix() not in skip]
        for name in filenames:
            path = Path(dirpath) / name
            rel = (rel_dir / name).as_posix()
            if path.is_symlink():
                found[rel] = f"-> {path.readlink()}"
            else:
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def temp_files(root: Path) -> list[str]:
    """Leftovers of interrupted atomic writes (``.<name>.<random>.tmp``) below ``root``."""
    return sorted(str(p.relative_to(root)) for p in root.rglob(".*.tmp"))


def torn_json(root: Path, *, skip: tuple[str, ...] = (".git",)) -> list[str]:
    """JSON files below ``root`` that do not parse: what a torn write would leave."""
    bad = []
    for path in root.rglob("*.json"):
        rel = path.relative_to(root).as_posix()
        if any(rel == s or rel.startswith(s + "/") for s in skip) or path.is_symlink():
            continue
        try:
            json.loads(path.read_bytes())
        except ValueError:
            bad.append(rel)
    return bad
