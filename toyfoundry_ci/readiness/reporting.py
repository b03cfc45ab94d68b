"""Renderings of a readiness run: text for people, json for programs, github for Actions."""

from __future__ import annotations

from collections.abc import Callable

import orjson

from toyfoundry_ci.base.workflow_commands import workflow_command
from toyfoundry_ci.readiness.gate import ReadinessResult
from toyfoundry_ci.readiness.halt import RECORD_COMMAND, RED_RUNS_TO_HALT, resume_hint

Reporter = Callable[[ReadinessResult], str]

_MARK = {"pass": "pass", "fail": "FAIL", "not-applicable": "n/a "}


def _headline(result: ReadinessResult) -> str:
    if result.green:
        return f"readiness: GREEN ({len(result.checks)} checks, none failed)"
    return f"readiness: RED ({len(result.failed)} of {len(result.checks)} checks failed)"


def _halt_lines(result: ReadinessResult) -> list[str]:
    halt = result.halt
    if not halt.halted:
        return []
    lines = [
        f"production HALTED since {halt.since} ({RED_RUNS_TO_HALT} red recorded runs in a row);"
        f" failing checks: {', '.join(halt.failing)}",
        f"to resume: {resume_hint(halt)}",
    ]
    if result.would_resume:
        lines.append(f"this run would lift the halt: record it with `{RECORD_COMMAND}`")
    return lines


def report_text(result: ReadinessResult) -> str:
    width = max(len(c.id) for c in result.checks)
    lines = [_headline(result)]
    for check in result.checks:
        lines.append(f"  {_MARK[check.status]}  {check.id:<{width}}  {check.message}")
        lines += [f"        {d}" for d in check.details]
        if check.fix:
            lines.append(f"        fix: {check.fix}")
    lines += _halt_lines(result)
    if result.recorded:
        lines.append("(recorded in logs/ops_readiness.d/)")
    else:
        lines.append(f"(not recorded; `{RECORD_COMMAND}` records a run for the halt rule)")
    return "\n".join(lines)


def report_json(result: ReadinessResult) -> str:
    doc = {
        "verdict": result.verdict,
        "at": result.at,
        "head": result.head,
        "recorded": result.recorded,
        "would_resume": result.would_resume,
        "checks": [
            {
                "id": c.id,
                "status": c.status,
                "message": c.message,
                "fix": c.fix,
                "details": list(c.details),
            }
            for c in result.checks
        ],
        "halt": {
            "halted": result.halt.halted,
            "since": result.halt.since,
            "failing": list(result.halt.failing),
        },
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode()


def report_github(result: ReadinessResult) -> str:
    """One ``::error`` annotation per failed check, then the text report for the log."""
    lines = []
    for check in result.failed:
        body = "\n".join((check.message, *check.details, f"fix: {check.fix}"))
        lines.append(workflow_command("error", body, title=f"readiness {check.id}"))
    if result.halt.halted:
        lines.append(workflow_command("error", _halt_lines(result)[0], title="production halted"))
    lines.append(report_text(result))
    return "\n".join(lines)


REPORTERS: dict[str, Reporter] = {
    "text": report_text,
    "json": report_json,
    "github": report_github,
}
