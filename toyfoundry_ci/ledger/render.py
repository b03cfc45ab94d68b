"""Renderings of pairing reports and ledger problems: text, json, github, markdown."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from toyfoundry_ci.base.ids import is_order_id
from toyfoundry_ci.base.markdown import cell, checked_id, table
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.base.workflow_commands import workflow_command
from toyfoundry_ci.ledger.pairing import PairingReport

if TYPE_CHECKING:  # the verifier's imports (seals, models) are not the pairing table's
    from toyfoundry_ci.ledger.verify import Problem


def _pairing_doc(report: PairingReport) -> dict[str, Any]:
    return {
        "status": "ok" if report.ok else "fail",
        "orders": [
            {
                "order_id": o.order_id,
                "status": o.status,
                "order": o.order,
                "ack": o.ack,
                "report": o.report,
                "problems": o.problems,
            }
            for o in report.orders
        ],
        "orphans": [{"path": o.path, "cites": o.cites, "reason": o.reason} for o in report.orphans],
        "unreadable": [{"path": p, "message": m} for p, m in report.unreadable],
    }


def _summary(report: PairingReport) -> str:
    counts: dict[str, int] = {}
    for o in report.orders:
        counts[o.status] = counts.get(o.status, 0) + 1
    parts = [f"{n} {status}" for status, n in sorted(counts.items())]
    if report.orphans:
        parts.append(plural(len(report.orphans), "orphan"))
    if report.unreadable:
        parts.append(f"{len(report.unreadable)} unreadable")
    verdict = "ok" if report.ok else "unpaired evidence"
    return f"{verdict}: {plural(len(report.orders), 'order')}: {', '.join(parts) or 'none'}"


def pairing_text(report: PairingReport) -> str:
    lines = []
    for o in report.orders:
        lines.append(f"{o.order_id}: {o.status}")
        lines.extend(f"  {p}" for p in o.problems)
    lines.extend(f"{o.path}: orphan: {o.reason} ({o.cites})" for o in report.orphans)
    lines.extend(f"{p}::{m}" for p, m in report.unreadable)
    lines.append(_summary(report))
    return "\n".join(lines)


def pairing_json(report: PairingReport) -> str:
    return orjson.dumps(_pairing_doc(report), option=orjson.OPT_INDENT_2).decode()


def _mark(value: str | None) -> str:
    return "✅" if value else "—"


def pairing_markdown(report: PairingReport) -> str:
    """A table for a pull-request comment or a step summary (file names, IDs and messages
    come from untrusted evidence: each is made inert by the one Markdown escaper)."""
    rows = []
    for o in report.orders:
        status = o.status if not o.problems else "broken: " + cell("; ".join(o.problems))
        order = checked_id(o.order_id, is_order_id)
        rows.append([order, _mark(o.order), _mark(o.ack), _mark(o.report), status])
    for orphan in report.orphans:
        cites = checked_id(orphan.cites, is_order_id)
        rows.append([cites, "—", "—", "—", f"orphan: {cell(orphan.path)}"])
    for path, message in report.unreadable:
        rows.append(["—", "—", "—", "—", f"unreadable: {cell(path)}: {cell(message)}"])
    header = ["order", "order file", "ack", "report", "status"]
    return f"{table(header, rows)}\n\n**{_summary(report)}**"


def pairing_github(report: PairingReport) -> str:
    lines = []
    for o in report.orders:
        for p in o.problems:
            file = p.split("::", 1)[0].split(":", 1)[0]
            lines.append(workflow_command("error", p, file=file, title="pairing"))
        if o.status == "overdue":
            message = f"{o.order_id} is overdue: no acknowledgement"
            lines.append(workflow_command("warning", message, title="pairing"))
    for orphan in report.orphans:
        message = f"{orphan.reason}: {orphan.cites}"
        lines.append(workflow_command("error", message, file=orphan.path, title="pairing"))
    for path, message in report.unreadable:
        lines.append(workflow_command("error", message, file=path, title="pairing"))
    lines.append(_summary(report))
    return "\n".join(lines)


PAIRING_RENDERERS: dict[str, Callable[[PairingReport], str]] = {
    "text": pairing_text,
    "json": pairing_json,
    "github": pairing_github,
    "markdown": pairing_markdown,
}


def problems_text(problems: Sequence[Problem], notes: Sequence[str] = ()) -> str:
    lines = [f"{p.file}::{p.where}: {p.message}" for p in problems]
    lines += [f"note: {n}" for n in notes]
    lines.append(
        f"{plural(len(problems), 'problem')} in the ledger" if problems else "ok: ledger verified"
    )
    return "\n".join(lines)


def problems_json(problems: Sequence[Problem], notes: Sequence[str] = ()) -> str:
    doc = {
        "status": "fail" if problems else "ok",
        "problems": [{"file": p.file, "path": p.where, "message": p.message} for p in problems],
        "notes": list(notes),
    }
    return orjson.dumps(doc, option=orjson.OPT_INDENT_2).decode()


def problems_github(problems: Sequence[Problem], notes: Sequence[str] = ()) -> str:
    lines = [
        workflow_command("error", f"{p.where}: {p.message}", file=p.file, title="ledger verify")
        for p in problems
    ]
    lines += [workflow_command("notice", n, title="ledger verify") for n in notes]
    lines.append(
        f"{plural(len(problems), 'problem')} in the ledger" if problems else "ok: ledger verified"
    )
    return "\n".join(lines)


PROBLEM_RENDERERS: dict[str, Callable[[Sequence[Problem], Sequence[str]], str]] = {
    "text": problems_text,
    "json": problems_json,
    "github": problems_github,
}
