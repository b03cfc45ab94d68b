"""The readiness log: every recorded run, oldest first, bounded.

Each run is written as its own record file in ``logs/ops_readiness.d/`` and never edited, so
two branches that both ran readiness merge without a conflict; ``logs/ops_readiness.json``
is the frozen part (runs recorded before that layout, or folded in by the intake run).

The log is plain JSON checked against the readiness-log schema with the compiled validator
(the same one ``toyfoundry validate`` uses), so recording a run costs no pydantic import.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.lock import SHORT_WAIT, repository_lock
from toyfoundry_ci.base.records import fold, log_documents, record_files, write_record
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
    """The recorded runs of the frozen file and the record files, oldest first, bounded;
    none when the log does not exist yet."""
    runs: list[dict[str, Any]] = []
    for path, value in log_documents(layout.readiness_log):
        result = check_value(layout.rel(path), value, KIND)
        if not result.ok or not isinstance(value, dict):
            first = result.problems[0] if result.problems else None
            where, what = (first.where, first.message) if first else ("$", "not an object")
            raise RefusedError(
                f"{layout.rel(path)}::{where}: {what}",
                hint=f"restore the log from git (`git checkout -- {layout.rel(path)}`);"
                " the halt rule is derived from it",
            )
        runs += value["runs"]
    # Stable: runs of the same second keep the order they were recorded in.
    return sorted(runs, key=lambda run: str(run["at"]))[-history_limit() :]


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
    """Record ``run`` as a new record file; return the runs of the log (bounded)."""
    doc = _document([run])
    result = check_value(layout.rel(layout.readiness_log), doc, KIND)
    if not result.ok:
        first = result.problems[0]
        raise RefusedError(f"refusing to write an invalid readiness log: {first.message}")
    # The lock keeps two writers of the same second from choosing the same sequence number.
    with repository_lock(layout.root, purpose="readiness --record", wait=SHORT_WAIT):
        write_record(layout.readiness_log, doc)
        return read_runs(layout)


def fold_runs(layout: Layout) -> bool:
    """Fold the record files into the frozen file (the intake run's, a serialized writer)."""
    folded = record_files(layout.readiness_log)
    if not folded:
        return False
    return fold(layout.readiness_log, _document(read_runs(layout)), folded)


def _document(runs: list[dict[str, Any]]) -> dict[str, Any]:
    return {"kind": KIND, "pivot": registry().current, "runs": runs}
