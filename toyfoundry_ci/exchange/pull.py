"""Pull: mirror High Command's directives from the hub into ``exchange/orders/``.

Hub input is untrusted. Each new or changed directive is checked before it is written: its
name must be a safe order ID, its bytes must load strictly and validate as an order naming
that same ID, and it must not silently replace a directive the factory already worked on.
Whatever fails goes to ``.toyfoundry/quarantine/`` with a report, never into the mirror.

High Command may change its mind. An amended directive (new bytes under the same order ID)
that the factory has not answered yet replaces the mirror and is reported as changed; once
answered (acknowledged or paraded) it is quarantined instead: High Command supersedes an
answered order by issuing a new order ID. Only ``orders/<ID>.json`` names a directive; any
other name in ``orders/`` (a README, a file without ``.json``, a subfolder) is reported, not
taken, so ``orders/X`` and ``orders/X.json`` can never both claim one order. A directive that
is no file (a symbolic link, a submodule, a FIFO) is quarantined; anywhere else on the hub
such an entry is reported. A directive this hub issued and no longer holds is withdrawn: the
mirror keeps it, the pull reports it and records it in the exchange log, and push never sends
its evidence.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toyfoundry_ci.base.atomic import write_bytes_atomic, write_json_atomic
from toyfoundry_ci.base.canonical import sha256_bytes
from toyfoundry_ci.base.clock import stamp
from toyfoundry_ci.base.errors import printable
from toyfoundry_ci.base.git import blob_id
from toyfoundry_ci.base.ids import is_order_id
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import ParseError, parse_artifact, read_artifact
from toyfoundry_ci.base.lock import holds_lock
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.base.reader import UnreadableError, read_file
from toyfoundry_ci.base.tracked import clean_blobs
from toyfoundry_ci.exchange.log import (
    append_run,
    failures_logged,
    pulled_from,
    pushed_receipts,
    read_log,
    require_history,
    withdrawn_on,
)
from toyfoundry_ci.hub.protocol import (
    MAX_HUB_FILE,
    Hub,
    Refused,
    Withheld,
    directive_id,
    head_of,
    lost_receipts,
    oversized,
)
from toyfoundry_ci.validation.checker import check_value


@dataclass(frozen=True, slots=True)
class Quarantined:
    hub_path: str
    digest: str
    reason: str
    stored: str
    again: bool = False  # quarantined by an earlier pull already


@dataclass(slots=True)
class PullResult:
    hub: str
    new: list[tuple[str, str]] = field(default_factory=list)
    changed: list[tuple[str, str]] = field(default_factory=list)
    unchanged: int = 0
    quarantined: list[Quarantined] = field(default_factory=list)
    withdrawn: list[tuple[str, str]] = field(default_factory=list)  # (order ID, local digest)
    newly_withdrawn: list[str] = field(default_factory=list)  # not withdrawn at the last pull
    not_directives: list[str] = field(default_factory=list)  # hub paths in orders/ not <ID>.json
    notes: list[str] = field(default_factory=list)  # receipts the log records, lost by the hub
    refused: list[tuple[str, str]] = field(default_factory=list)  # (hub path, why) outside orders/
    # The hub's listing this pull read (hub path -> blob ID), for a push moments later.
    listing: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def result(self) -> str:
        if self.quarantined:
            return "partial"
        return "ok" if self.new or self.changed or self.newly_withdrawn else "nothing-new"


def quarantine_dir(layout: Layout) -> Path:
    return layout.quarantine


@holds_lock("pull")
def pull(layout: Layout, hub: Hub) -> PullResult:
    """Mirror new and changed directives; quarantine the rest; log the run."""
    out = PullResult(hub=hub.display)
    with failures_logged(layout, "pull", hub.display):
        _pull(layout, hub, out)
    append_run(
        layout,
        direction="pull",
        hub=out.hub,
        orders=[*out.new, *out.changed],
        result=out.result,
        detail=_detail(out),
        withdrawn=out.withdrawn,
        head=head_of(hub),
    )
    return out


def _pull(layout: Layout, hub: Hub, out: PullResult) -> None:
    listing = out.listing = hub.listing()
    out.hub = hub.display  # a hub read on its default branch now names the branch
    require_history(layout, hub)
    _withdrawn(layout, listing, out)
    receipts = (p for p in listing if p.startswith("receipts/"))
    present = (p.removeprefix("receipts/").removesuffix(".json") for p in receipts)
    out.notes = lost_receipts(out.hub, present, pushed_receipts(read_log(layout), out.hub))
    # Refused directives are quarantined below; what else the hub holds that is no file (a
    # link among the reports, a submodule in place of a folder) is reported, never read.
    out.refused = sorted((p, w) for p, w in hub.refusals().items() if not p.startswith("orders/"))
    wanted: list[str] = []
    # A mirrored directive git holds unchanged is compared by its blob ID, never read.
    folder = layout.rel(layout.orders)
    clean = clean_blobs(layout.root, [folder])
    for path in sorted(p for p in listing if p.startswith("orders/")):
        stem = directive_id(path)
        if stem is None:  # orders/README, orders/X (without .json), orders/sub/...
            out.not_directives.append(path)
            continue
        if clean.get(f"{folder}/{stem}.json") == listing[path] and is_order_id(stem):
            out.unchanged += 1
            continue
        local = layout.order_file(stem) if is_order_id(stem) else None
        held = _mirrored(local) if local is not None else None
        if held is not None and blob_id(held) == listing[path]:
            out.unchanged += 1
        else:
            wanted.append(path)
    for path, data in sorted(hub.read(wanted).items()):
        _take(layout, out, path, data)


def _take(layout: Layout, out: PullResult, path: str, data: bytes) -> None:
    stem = directive_id(path) or ""
    digest = sha256_bytes(data)
    reason = _refusal(layout, stem, data)
    if reason is not None:
        out.quarantined.append(_quarantine(layout, path, data, digest, reason))
        return
    target = layout.order_file(stem)
    existed = target.is_file()
    write_bytes_atomic(target, data)
    (out.changed if existed else out.new).append((stem, digest))


def _withdrawn(layout: Layout, listing: Mapping[str, str], out: PullResult) -> None:
    """Mirrored directives this hub issued (a recorded pull says so) and no longer holds."""
    log = read_log(layout)
    issued = pulled_from(log, out.hub)
    before = withdrawn_on(log, out.hub)
    for oid in layout.order_ids():
        if oid not in issued or f"orders/{oid}.json" in listing:
            continue
        if (held := _mirrored(layout.order_file(oid))) is not None:
            out.withdrawn.append((oid, sha256_bytes(held)))
            if oid not in before:
                out.newly_withdrawn.append(oid)


def _refusal(layout: Layout, stem: str, data: bytes) -> str | None:
    """Why this directive may not enter the mirror, or None when it may."""
    if isinstance(data, Refused):
        return f"the hub's file {data.reason}"
    if oversized(data):
        kept = (
            "its size was stated, it was never downloaded"
            if isinstance(data, Withheld)
            else f"only the first {MAX_HUB_FILE + 1} bytes are kept here"
        )
        return (
            f"above the {MAX_HUB_FILE}-byte bound for hub files ({kept});"
            " High Command must send a smaller one"
        )
    if not is_order_id(stem):
        return f"{stem!r} is not an order ID safe to use as a file name"
    value = parse_artifact(data)
    result = check_value(f"exchange/orders/{stem}.json", value, "order")
    if not result.ok:
        return "; ".join(f"{p.where}: {p.message}" for p in result.problems[:5])
    said = value.get("order_id") if isinstance(value, dict) else None
    if said != stem:
        return f"the file is named {stem} but the directive says {said!r}"
    target = layout.order_file(stem)
    held = _mirrored(target)
    if held is not None:
        worked_on = [
            layout.rel(p)
            for p in (
                layout.ack_file(stem),
                layout.ledger_entry_file(stem),
                layout.report_file(stem),
            )
            if p.exists()
        ]
        if worked_on:
            return (
                f"would replace directive {stem} (sha256 {sha256_bytes(held)[:12]})"
                f" that {worked_on[0]} already answers; High Command must issue a new order ID"
            )
    return None


def _quarantine(layout: Layout, path: str, data: bytes, digest: str, reason: str) -> Quarantined:
    folder = quarantine_dir(layout)
    stored = folder / "orders" / f"{digest[:16]}.json"
    write_bytes_atomic(stored, data)
    report_path = folder / "report.json"
    report = _read_report(report_path)
    again = digest in report
    report[digest] = {"hub_path": path, "reason": reason, "at": report.get(digest, {}).get("at")}
    report[digest]["at"] = report[digest]["at"] or stamp()
    write_json_atomic(report_path, {"quarantined": report})
    return Quarantined(path, digest, reason, layout.rel(stored), again)


def _read_report(path: Path) -> dict[str, Any]:
    value = read_artifact(path) if path.exists() else {}
    if isinstance(value, ParseError) or not isinstance(value, dict):
        return {}
    items = value.get("quarantined")
    return dict(items) if isinstance(items, dict) else {}


def _mirrored(path: Path) -> bytes | None:
    """A directive's bytes in the mirror, or None when no regular file within the bound is there."""
    try:
        return read_file(path, MAX_HUB_FILE)
    except UnreadableError:
        return None


def _detail(out: PullResult) -> str | None:
    parts = []
    if out.quarantined:
        names = ", ".join(printable(q.hub_path) for q in out.quarantined[:10])
        parts.append(f"{plural(len(out.quarantined), 'directive')} quarantined: {names}")
    if out.not_directives:
        names = ", ".join(printable(p) for p in out.not_directives[:10])
        parts.append(f"{plural(len(out.not_directives), 'hub file')} not taken: {names}")
    if out.refused:
        names = ", ".join(printable(p) for p, _ in out.refused[:10])
        parts.append(f"{plural(len(out.refused), 'hub entry')} refused: {names}")
    if out.withdrawn:
        names = ", ".join(o for o, _ in out.withdrawn[:10])
        parts.append(f"{len(out.withdrawn)} withdrawn by High Command: {names}")
    return "; ".join(parts) or None
