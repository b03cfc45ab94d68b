"""``logs/ops_readiness.json``: every run appended, newest last, bounded, written atomically
under the repository lock.

The log is plain JSON checked against the readiness-log schema with the compiled validator
(the same one ``toyfoundry validate`` uses), so recording a run costs no pydantic import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from toyfoundry_ci.base.atomic import write_json_atomic
from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import read_artifact
from toyfoundry_ci.base.lock import SHORT_WAIT, repository_lock
from toyfoundry_ci.readiness.checks import Check
from toyfoundry_ci.validation.checker import check_value
from toyfoundry_ci.validation.schemas import load_schema, registry

KIND = "readiness-log"
MESSAGE_LIMIT = 2000


def history_limit() -> int:
    """How many runs the log keeps: the schema's bound (``HISTORY_LIMIT`` in the model)."""
    schema = load_schema(registry().current, KIND)
    return int(schema["properties"]["runs"]["maxItems"])


def read_runs(layout: Layout) -> list[dict[str, Any]]:
    """The recorded runs, oldest first; none when the log does not exist yet."""
    path = layout.readiness_log
    if not path.exists() and not path.is_symlink():
        return []
    value = read_artifact(path)
    result = check_value(layout.rel(path), value, KIND)
    if not result.ok or not isinstance(value, dict):
        first = result.problems[0] if result.problems else None
        where, what = (first.where, first.message) if first else ("$", "not an object")
        raise RefusedError(
            f"{layout.rel(path)}::{where}: {what}",
            hint="restore the log from git (`git checkout -- logs/ops_readiness.json`);"
            " the halt rule is derived from it",
        )
    runs: list[dict[str, Any]] = value["runs"]
    return runs


def run_record(at: str, head: str, checks: Sequence[Check]) -> dict[str, Any]:
    """One run as the log stores it."""
    return {
        "at": at,
        "head": head,
        "verdict": "red" if any(c.failed for c in checks) else "green",
        "checks": [_check_record(c) for c in checks],
    }


def _check_record(check: Check) -> dict[str, Any]:
    message = "; ".join((check.message, *check.details))
    if len(message) > MESSAGE_LIMIT:
        message = message[: MESSAGE_LIMIT - 3] + "..."
    record: dict[str, Any] = {"id": check.id, "status": check.status, "message": message}
    if check.fix:
        record["fix"] = check.fix[:MESSAGE_LIMIT]
    return record


def append_run(layout: Layout, run: dict[str, Any]) -> list[dict[str, Any]]:
    """Append ``run``, drop the oldest beyond the bound, write atomically; return the runs."""
    # Read, add, write back: under the lock, or a second writer's run would be lost.
    with repository_lock(layout.root, purpose="readiness --record", wait=SHORT_WAIT):
        runs = [*read_runs(layout), run][-history_limit() :]
        doc = {"kind": KIND, "pivot": registry().current, "runs": runs}
        result = check_value(layout.rel(layout.readiness_log), doc, KIND)
        if not result.ok:
            first = result.problems[0]
            raise RefusedError(f"refusing to write an invalid readiness log: {first.message}")
        write_json_atomic(layout.readiness_log, doc)
    return runs
