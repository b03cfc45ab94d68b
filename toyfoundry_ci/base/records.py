"""Logs that two branches never conflict on: one new file per record, never edited after.

A log is its frozen file (``logs/exchange_all.json``, the part written before this layout or
folded in by a serialized writer) followed by its record folder (``logs/exchange_all.d/``).
Each record file is a log document of the same kind holding one run, so it validates under
the log's schema; its name, ``<UTC stamp>-<sequence>-<digest>.json``, sorts in time order
and cannot collide: the digest is of the record and a random nonce, so two branches that
write the same run in the same second still add two files, and a merge keeps both. Nothing
edits or deletes a record file except folding (``fold``), which only a serialized writer does.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.canonical import dumps, sha256_bytes
from toyfoundry_ci.base.clock import now
from toyfoundry_ci.base.loader import read_artifact

_NAME = re.compile(r"[0-9]{8}T[0-9]{6}Z-[0-9]{4}-[0-9a-f]{12}\.json")


def record_folder(frozen: Path) -> Path:
    """The record folder of the log whose frozen file is ``frozen``: ``<name>.d/`` beside it."""
    return frozen.with_suffix(".d")


def record_files(frozen: Path) -> list[Path]:
    """The record files of the log, oldest first (their names sort in time order)."""
    folder = record_folder(frozen)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if _NAME.fullmatch(p.name) and p.is_file())


def log_documents(frozen: Path) -> list[tuple[Path, Any]]:
    """The frozen file (when present) and every record file, parsed, oldest first.

    A file that does not parse comes back as its ``ParseError``: the caller says where.
    """
    found: list[tuple[Path, Any]] = []
    if frozen.exists() or frozen.is_symlink():
        found.append((frozen, read_artifact(frozen)))
    found += [(path, read_artifact(path)) for path in record_files(frozen)]
    return found


def raw_runs(frozen: Path) -> list[tuple[Path, int, dict[str, Any]]]:
    """Every run of the log as (file, index in that file, run), oldest first; unreadable
    files and malformed runs are skipped (for readers that only look things up)."""
    runs = []
    for path, value in log_documents(frozen):
        items = value.get("runs") if isinstance(value, dict) else None
        for i, run in enumerate(items if isinstance(items, list) else []):
            if isinstance(run, dict):
                runs.append((path, i, run))
    return runs


def write_record(frozen: Path, document: dict[str, Any], at: datetime | None = None) -> Path:
    """Write ``document`` (a log document holding one run) as a new record file."""
    data = dumps(document)
    folder = record_folder(frozen)
    stamp = (at or now()).strftime("%Y%m%dT%H%M%SZ")
    taken = len(list(folder.glob(f"{stamp}-*.json"))) if folder.is_dir() else 0
    digest = sha256_bytes(data + os.urandom(16))[:12]
    path = folder / f"{stamp}-{taken:04d}-{digest}.json"
    write_bytes_atomic(path, data)
    return path


def fold(frozen: Path, document: dict[str, Any], folded: Iterable[Path]) -> bool:
    """Write ``document`` (every run, bounded) as the frozen file, then drop ``folded``.

    Only for serialized writers (the intake run): a branch that folds edits the frozen file,
    which every other branch leaves alone. Returns whether anything changed.
    """
    changed = write_bytes_atomic(frozen, dumps(document))
    for path in folded:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()
            changed = True
    return changed
