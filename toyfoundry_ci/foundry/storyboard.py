"""The storyboard note: a run's facts told as a short story, meant to be edited afterwards."""

from __future__ import annotations

from toyfoundry_ci.base.clock import stamp
from toyfoundry_ci.models.exchange import Acknowledgement, Order, Report


def render_note(order: Order, ack: Acknowledgement, report: Report | None) -> str:
    """Markdown for ``planning/storyboard/<order>.md``."""
    oid = order.order_id
    units = sum(line.qty for line in order.lines)
    skus = ", ".join(f"{line.qty} x {line.sku}" for line in order.lines)
    parts = [
        f"# {oid}",
        "",
        f"High Command issued {oid} on {stamp(order.issued_at)} ({order.priority}):"
        f" {units} units ({skus}), due {order.due_date}.",
        "",
        f"## Forge\n\nThe factory answered **{ack.disposition}** on {stamp(ack.issued_at)}.",
    ]
    parts += [f"- {reason}" for reason in ack.reasons]
    if report is None:
        parts += ["", "Nothing was built: the order was rejected."]
    else:
        run = report.run
        good = sum(li.units_good for li in report.lines)
        started = sum(li.units_started for li in report.lines)
        defective = sum(li.units_defective for li in report.lines)
        scrapped = sum(li.units_scrapped for li in report.lines)
        timing = "on time" if report.on_time else f"late against the due date {order.due_date}"
        parts += [
            "",
            "## Drill",
            "",
            f"Production started {stamp(run.started_at)} on {run.stations} stations and finished"
            f" {stamp(run.finished_at)} ({run.makespan_minutes:g} working minutes), {timing}."
            f" {started} units were started and {good} came out good; {defective} defects were"
            f" found, of which {scrapped} units were scrapped and replaced"
            f" (yield {report.yield_pct:g}%).",
            "",
            f"Verdict: **{report.verdict}**. Seed {run.seed}.",
        ]
        if report.telemetry is not None:
            parts += ["", f"The quilt export manifest is `{report.telemetry.path}`."]
    parts += ["", "## Notes", "", "_Add what happened and why._", ""]
    return "\n".join(parts)
