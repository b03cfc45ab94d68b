"""``toyfoundry audit ORDER``: the history of one order, from git alone.

Which commit added or changed each of the order's files (order, ack, report, ledger entry and
the entry's other evidence), with the file's sha256 at that point; the pull request when a
merge commit names one ("Merge pull request #N" or a squash subject ending "(#N)"); each
sign-off as the entry recorded it; each push the exchange log recorded.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from toyfoundry_ci.base.canonical import sha256_bytes
from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.ids import check_order_id
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import ParseError, parse_artifact
from toyfoundry_ci.ledger._git import git, show

_PR = re.compile(r"(?:^Merge pull request #(\d+)\b|\(#(\d+)\)\s*$)")


@dataclass(frozen=True, slots=True)
class FileEvent:
    commit: str
    at: str
    author: str
    pull_request: int | None
    path: str
    change: str  # added | modified | deleted
    sha256: str | None


@dataclass(slots=True)
class AuditTrail:
    order_id: str
    events: list[FileEvent] = field(default_factory=list)
    signoffs: list[dict[str, Any]] = field(default_factory=list)
    pushes: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_CHANGES = {"A": "added", "M": "modified", "D": "deleted", "T": "modified"}


def audit(layout: Layout, order_id: str) -> AuditTrail:
    """Reconstruct the order's history from the repository's commits, oldest first."""
    order_id = check_order_id(order_id)
    entry_rel = layout.rel(layout.ledger_entry_file(order_id))
    own = [
        layout.rel(layout.order_file(order_id)),
        layout.rel(layout.ack_file(order_id)),
        layout.rel(layout.report_file(order_id)),
        entry_rel,
    ]
    paths = own + _subjects_ever(layout, entry_rel)
    trail = AuditTrail(order_id)
    log = git(
        layout.root, "log", "--reverse", "--no-renames", "--name-status",
        "--format=%x1e%H%x00%aI%x00%an <%ae>%x00%s", "--", *paths,
    )  # fmt: skip
    for block in log.split("\x1e")[1:]:
        header, _, body = block.partition("\n")
        commit, at, author, subject = header.split("\x00", 3)
        pr = _pull_request(layout, commit, subject)
        for line in body.strip().splitlines():
            status, _, path = line.partition("\t")
            if path not in paths:
                continue
            blob = None if status == "D" else show(layout.root, commit, path)
            event = FileEvent(
                commit, at, author, pr, path, _CHANGES.get(status[:1], status),
                None if blob is None else sha256_bytes(blob),
            )  # fmt: skip
            trail.events.append(event)
            if path == entry_rel and blob is not None:
                _note_signoff(trail, event, blob)
    trail.pushes = _pushes(layout, order_id)
    if not trail.events:
        raise RefusedError(f"{order_id}: no commit in this repository touches its files")
    return trail


def _subjects_ever(layout: Layout, entry_rel: str) -> list[str]:
    try:
        value = parse_artifact((layout.root / entry_rel).read_bytes())
    except FileNotFoundError:
        return []
    if isinstance(value, ParseError) or not isinstance(value, dict):
        return []
    names = [s.get("name") for s in value.get("subjects", []) if isinstance(s, dict)]
    return sorted({n for n in names if isinstance(n, str)})


def _note_signoff(trail: AuditTrail, event: FileEvent, blob: bytes) -> None:
    value = parse_artifact(blob)
    if isinstance(value, ParseError) or not isinstance(value, dict):
        return
    signoff = value.get("signoff")
    if isinstance(signoff, dict) and signoff.get("state") == "sealed":
        trail.signoffs.append({**signoff, "recorded_in": event.commit})


def _pushes(layout: Layout, order_id: str) -> list[dict[str, Any]]:
    rel = layout.rel(layout.exchange_log)
    seen: dict[tuple[str, str], dict[str, Any]] = {}
    log = git(layout.root, "log", "--reverse", "--format=%H", "--", rel)
    for commit in log.split():
        blob = show(layout.root, commit, rel)
        value = parse_artifact(blob) if blob is not None else None
        runs = value.get("runs", []) if isinstance(value, dict) else []
        for run in runs if isinstance(runs, list) else []:
            if not isinstance(run, dict) or run.get("direction") != "push":
                continue
            for item in run.get("orders", []):
                if isinstance(item, dict) and item.get("order_id") == order_id:
                    key = (str(run.get("at")), str(run.get("receipt_id")))
                    seen.setdefault(
                        key,
                        {
                            "at": run.get("at"),
                            "hub": run.get("hub"),
                            "result": run.get("result"),
                            "receipt_id": run.get("receipt_id"),
                            "sha256": item.get("digest", {}).get("sha256"),
                            "recorded_in": commit,
                        },
                    )
    return list(seen.values())


def _pull_request(layout: Layout, commit: str, subject: str) -> int | None:
    """The PR named by the commit, or by the first merge that brought it into HEAD."""
    if m := _PR.search(subject):
        return int(m.group(1) or m.group(2))
    merges = git(
        layout.root,
        "log",
        "--merges",
        "--ancestry-path",
        "--reverse",
        "--format=%s",
        f"{commit}..HEAD",
    )
    for line in merges.splitlines():
        if m := _PR.search(line):
            return int(m.group(1) or m.group(2))
    return None


def render_text(trail: AuditTrail) -> str:
    lines = [f"audit of {trail.order_id}"]
    for e in trail.events:
        pr = f" (PR #{e.pull_request})" if e.pull_request else ""
        digest = f" sha256 {e.sha256}" if e.sha256 else ""
        lines.append(f"{e.at} {e.commit[:12]}{pr} {e.change} {e.path}{digest} by {e.author}")
    for s in trail.signoffs:
        pr = (
            f" PR #{s['pull_request']} review {s.get('review_id')}" if s.get("pull_request") else ""
        )
        lines.append(
            f"signed off by {s.get('reviewer')} at {s.get('at')} ({s.get('method')}{pr})"
            f" for commit {str(s.get('commit'))[:12]}"
        )
    if not trail.signoffs:
        lines.append("sign-off: pending (no sealed entry in history)")
    for p in trail.pushes:
        lines.append(f"pushed {p['at']} to {p['hub']}: {p['result']} receipt {p['receipt_id']}")
    if not trail.pushes:
        lines.append("pushed: never")
    return "\n".join(lines)
