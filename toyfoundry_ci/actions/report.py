"""Pieces the entry points share: the readiness section and annotations."""

from __future__ import annotations

from typing import Literal

from toyfoundry_ci.base.markdown import code
from toyfoundry_ci.base.workflow_commands import workflow_command
from toyfoundry_ci.readiness import ReadinessResult

Level = Literal["error", "warning", "notice"]


def annotation(level: Level, message: str) -> str:
    """One workflow command; the message is escaped so it cannot start another command."""
    return workflow_command(level, message, title="toyfoundry")


def readiness_md(result: ReadinessResult) -> str:
    lines = [f"### Readiness: {result.verdict}", ""]
    for check in result.checks:
        mark = {"pass": "pass", "fail": "**FAIL**"}.get(check.status, "n/a")
        fix = f" (fix: {code(check.fix)})" if check.failed and check.fix else ""
        lines.append(f"- {mark} `{check.id}`: {code(check.message)}{fix}")
    return "\n".join(lines)
