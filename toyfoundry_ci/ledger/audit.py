"""``toyfoundry audit ORDER``: the history of one order, from git alone.

Which commit added or changed each of the order's files (order, ack, report, ledger entry and
the entry's other evidence), with the file's sha256 at that point; the pull request when a
merge commit names one ("Merge pull request #N" or a squash subject ending "(#N)"); each
sign-off as the entry recorded it; each push: this factory's receipts on the hub that list the
order and whose files the hub holds as listed (validated; receipts reach the repository only
with a later intake), then any other push the exchange log records, committed or not, with a
note when the hub no longer holds what a receipt or the log says it does. A dry run or a
failed push is not a push.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from toyfoundry_ci.base.canonical import sha256_bytes
from toyfoundry_ci.base.errors import HubError, RefusedError
from toyfoundry_ci.base.git import Git, redact
from toyfoundry_ci.base.ids import check_order_id
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import MAX_BYTES, ParseError, parse_artifact
from toyfoundry_ci.base.reader import read_present
from toyfoundry_ci.base.records import log_documents, record_folder
from toyfoundry_ci.hub.config import open_hub, settings
from toyfoundry_ci.hub.protocol import gap_notes, inventory, unheld

Pushed = dict[str, Any]
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
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_CHANGES = {"A": "added", "M": "modified", "D": "deleted", "T": "modified"}


def audit(layout: Layout, order_id: str, hub: str | None = None) -> AuditTrail:
    """Reconstruct the order's history from the repository's commits and the hub, oldest first."""
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
    log = Git(layout.root).text(
        "log", "--reverse", "--no-renames", "--name-status",
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
            blob = None if status == "D" else _show(layout, commit, path)
            event = FileEvent(
                commit, at, author, pr, path, _CHANGES.get(status[:1], status),
                None if blob is None else sha256_bytes(blob),
            )  # fmt: skip
            trail.events.append(event)
            if path == entry_rel and blob is not None:
                _note_signoff(trail, event, blob)
    trail.pushes = _hub_pushes(layout, order_id, hub, trail.notes)
    known = {p["receipt_id"] for p in trail.pushes}
    trail.pushes += [p for p in _logged_pushes(layout, order_id) if p["receipt_id"] not in known]
    if not trail.events:
        raise RefusedError(f"{order_id}: no commit in this repository touches its files")
    return trail


def _subjects_ever(layout: Layout, entry_rel: str) -> list[str]:
    data = read_present(layout.root / entry_rel, MAX_BYTES)
    if data is None:
        return []
    value = parse_artifact(data)
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


def _hub_pushes(layout: Layout, order_id: str, hub: str | None, notes: list[str]) -> list[Pushed]:
    """This factory's receipts that list the order and whose files the hub holds as listed.

    A note for each receipt that lists the order without the hub holding its files, for each
    push the exchange log records whose receipt the hub no longer has, and when the hub
    cannot be read.
    """
    config = settings(layout, hub)
    try:
        backend = open_hub(layout, config.spec)
        held = inventory(backend, factory=config.factory)
        logged = [
            str(p["receipt_id"])
            for p in _logged_pushes(layout, order_id)
            if p["hub"] == backend.display[:200]
        ]
        gaps = gap_notes(backend, held, [order_id], logged)
    except HubError as exc:
        notes.append(
            f"{redact(config.spec)} not read ({exc.message}): pushes below are the log's only"
        )
        return []
    notes += [f"{backend.display}: {path} refused ({why})" for path, why in held.refused]
    notes += gaps
    return [
        {
            "at": r.pushed_at,
            "hub": r.hub,
            "receipt_id": r.receipt_id,
            "publication": r.publication,
            "source": "hub",
            "recorded_in": None,
        }
        for r in held.of_order(order_id)
        if not unheld(backend, held, r, order_id)
    ]


def _logged_pushes(layout: Layout, order_id: str) -> list[Pushed]:
    """Pushes of the order in the exchange log: the committed versions of its frozen file,
    then the frozen file and the record files in the working tree.

    A record file is never edited: the commit that added it is where it was recorded.
    """
    rel = layout.rel(layout.exchange_log)
    git = Git(layout.root)
    versions: list[tuple[str | None, Any]] = [
        (commit, _parsed(_show(layout, commit, rel)))
        for commit in git.text("log", "--reverse", "--format=%H", "--", rel).split()
    ]
    added = _added_in(git, layout.rel(record_folder(layout.exchange_log)))
    for path, value in log_documents(layout.exchange_log):
        versions.append((added.get(layout.rel(path)), value))
    seen: dict[str, Pushed] = {}
    for commit, value in versions:
        runs = value.get("runs", []) if isinstance(value, dict) else []
        for run in runs if isinstance(runs, list) else []:
            if not _is_push_of(run, order_id):
                continue
            seen.setdefault(
                str(run["receipt_id"]),
                {
                    "at": run.get("at") or "?",
                    "hub": run.get("hub") or "?",
                    "receipt_id": run["receipt_id"],
                    "publication": None,
                    "source": "log",
                    "recorded_in": commit,
                },
            )
    return list(seen.values())


def _is_push_of(run: Any, order_id: str) -> bool:
    """A run that landed evidence of the order: a push with a receipt, not a dry or failed one."""
    if not isinstance(run, dict) or run.get("direction") != "push":
        return False
    if run.get("result") not in ("ok", "partial") or not run.get("receipt_id"):
        return False
    orders = run.get("orders", [])
    return any(isinstance(i, dict) and i.get("order_id") == order_id for i in orders)


def _parsed(blob: bytes | None) -> Any:
    return parse_artifact(blob) if blob is not None else None


def _added_in(git: Git, folder: str) -> dict[str, str]:
    """The commit that added each file under ``folder`` (one ``git log`` for all)."""
    found: dict[str, str] = {}
    out = git.text("log", "--diff-filter=A", "--format=@%H", "--name-only", "--", folder)
    commit = ""
    for line in out.splitlines():
        if line.startswith("@"):
            commit = line[1:]
        elif line:
            found.setdefault(line, commit)
    return found


def _show(layout: Layout, commit: str, path: str) -> bytes | None:
    """The bytes of ``path`` at ``commit``, or None when it does not exist there."""
    return Git(layout.root).blob(f"{commit}:{path}", MAX_BYTES)


def _pull_request(layout: Layout, commit: str, subject: str) -> int | None:
    """The PR named by the commit, or by the first merge that brought it into HEAD."""
    if m := _PR.search(subject):
        return int(m.group(1) or m.group(2))
    merges = Git(layout.root).text(
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
        pr = f" PR #{s['pull_request']}" if s.get("pull_request") else ""
        pr += f" review {s['review_id']}" if pr and s.get("review_id") else ""
        of = f" for commit {str(s['commit'])[:12]}" if s.get("commit") else ""
        lines.append(
            f"signed off by {s.get('reviewer', '?')} at {s.get('at', '?')}"
            f" ({s.get('method', '?')}{pr}){of}"
        )
    if not trail.signoffs:
        lines.append("sign-off: pending (no sealed entry in history)")
    for p in trail.pushes:
        where = "on the hub" if p["source"] == "hub" else "in the exchange log"
        via = f", publication {p['publication']}" if p.get("publication") else ""
        lines.append(f"pushed {p['at']} to {p['hub']}: receipt {p['receipt_id']}{via} ({where})")
    if not trail.pushes:
        lines.append("pushed: never")
    lines += [f"note: {n}" for n in trail.notes]
    return "\n".join(lines)
