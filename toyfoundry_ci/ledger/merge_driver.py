"""The git merge driver for ``exchange/ledger/index.json``: nobody merges the index by hand.

GitHub's merge button runs no driver; the index stays conflict-free there because branches
other than the default one never write it (``ledger/lag.py``). Locally, on such a branch, the
driver keeps our index as it is; on the default branch it merges as below.

git runs the driver before it writes the merged tree, so the entries on disk are still one
side's; the driver therefore merges the two indexes row by row against their ancestor (a row
is an entry's path, digest and state) and recomputes the Merkle root. Two sides that changed
the same order's row differently conflict, exactly when their entry files conflict.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

import orjson

from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.git import Git, on_default_branch
from toyfoundry_ci.base.kinds import max_bytes_for
from toyfoundry_ci.base.loader import MAX_BYTES
from toyfoundry_ci.base.reader import read_present
from toyfoundry_ci.ledger.index import render_index

DRIVER = "toyfoundry-ledger"
DRIVER_NAME = "toyfoundry ledger index: rebuilt from the entries, never merged by hand"
ATTRIBUTE_LINE = f"exchange/ledger/index.json merge={DRIVER}"


def merge_driver(root: Path, ancestor: Path, current: Path, other: Path) -> list[str]:
    """What git's merge of the index does in the clone at ``root``; the conflicting order IDs.

    Only the default branch keeps its index (a serialized writer): there the two indexes are
    merged row by row. On any other branch the index is ours, untouched, and lags the merged
    entries, as a pull-request branch's index does (readiness says by how much).
    """
    if not on_default_branch(root):
        return []
    return merge_indexes(ancestor, current, other)


def merge_indexes(ancestor: Path, current: Path, other: Path) -> list[str]:
    """Merge into ``current`` (git's %A); return the conflicting order IDs (none: clean)."""
    base, ours, theirs = _rows(ancestor), _rows(current), _rows(other)
    merged: dict[str, dict[str, Any]] = {}
    conflicts = []
    for order_id in sorted(base.keys() | ours.keys() | theirs.keys()):
        o, a, b = base.get(order_id), ours.get(order_id), theirs.get(order_id)
        if b in (a, o):
            chosen = a
        elif a == o:
            chosen = b
        else:
            conflicts.append(order_id)
            chosen = a
        if chosen is not None:
            merged[order_id] = chosen
    if not conflicts:
        write_bytes_atomic(current, render_index(merged.values()))
    return conflicts


def _rows(path: Path) -> dict[str, dict[str, Any]]:
    data = read_present(path, max_bytes_for("ledger-index"))
    if data is None:
        raise RefusedError(
            f"{path}: no such file; the merge driver needs git's three versions of the index",
            hint="git passes them during a merge (`toyfoundry ledger merge-driver %O %A %B`,"
            " registered by `toyfoundry hooks install`)",
        )
    if not data.strip():
        return {}  # git passes an empty file for a side that has no index
    try:
        doc = orjson.loads(data)
        return {row["order_id"]: row for row in doc["entries"]}
    except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise RefusedError(
            f"{path}: not a ledger index ({exc}); cannot merge it",
            hint="resolve by running `toyfoundry ledger index` after the merge",
        ) from exc


def interpreter_command() -> str:
    """How git and the hooks should start toyfoundry: this interpreter, by absolute path.

    A bare ``toyfoundry`` is found only when its venv is on PATH, which a person's shell
    (or a GUI's merge) often does not have.
    """
    return f"{shlex.quote(sys.executable)} -m toyfoundry_ci"


def register_merge_driver(repo_root: Path) -> list[str]:
    """Register the driver in the clone's git config and in .gitattributes; idempotent.

    Also records this interpreter as ``toyfoundry.python``, which ``hooks/python`` runs the
    hooks with. Returns what changed, empty when everything was in place.
    """
    changed = []
    git = Git(repo_root)
    wanted = {
        f"merge.{DRIVER}.name": DRIVER_NAME,
        f"merge.{DRIVER}.driver": f"{interpreter_command()} ledger merge-driver %O %A %B",
        "toyfoundry.python": sys.executable,
    }
    for key, value in wanted.items():
        if git.run("config", "--local", "--get", key).out.decode().strip() != value:
            git.out("config", "--local", "--", key, value)
            changed.append(f"git config {key}")
    attributes = repo_root / ".gitattributes"
    text = (read_present(attributes, MAX_BYTES) or b"").decode(errors="replace")
    if ATTRIBUTE_LINE not in text.splitlines():
        prefix = text if not text or text.endswith("\n") else text + "\n"
        write_bytes_atomic(attributes, f"{prefix}{ATTRIBUTE_LINE}\n".encode())
        changed.append(f".gitattributes: {ATTRIBUTE_LINE}")
    return changed
