"""The cadence: each order's stage, derived from the files and the ledger, never stored.

Forge -> Drill -> Parade -> Purge, then sign-off and Promote. What is on disk decides the
stage: drafts in ``outbox/``, the ledger entry and its sign-off state. A stage function asks
``order_stages`` where each order is and refuses illegal moves with the reason. Promote is the
one stage the repository cannot tell alone: ``status`` reads it from the hub, where this
factory's receipt must list the evidence and the hub's listing must hold its very bytes.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, cast

from toyfoundry_ci.base import progress
from toyfoundry_ci.base.errors import HubError, ToyfoundryError
from toyfoundry_ci.base.gcpause import gc_paused
from toyfoundry_ci.base.git import redact
from toyfoundry_ci.base.ids import check_order_id, is_order_id
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.tracked import TrackedBlobs
from toyfoundry_ci.exchange.log import (
    pulled_from,
    pushed_receipts,
    read_log,
    require_history,
    withdrawn_on,
)
from toyfoundry_ci.exchange.push import evidence_paths, held_unread, tracked_evidence
from toyfoundry_ci.hub.config import HubSettings, open_hub, settings
from toyfoundry_ci.hub.protocol import (
    Hub,
    Inventory,
    ReceiptFacts,
    evidence_hub_paths,
    gap_notes,
    inventory,
)
from toyfoundry_ci.ledger.digest_cache import DigestCache
from toyfoundry_ci.ledger.policy import signoff_policy
from toyfoundry_ci.ledger.store import (
    SIGNOFF_FACTS,
    read_entry,
    signoff_error,
    signoff_facts,
)


class Stage(StrEnum):
    """Where an order is in the Foundry Cycle, in cadence order."""

    NEW = "new"  # the directive is mirrored in exchange/orders/, nothing drafted yet
    FORGED = "forged"  # factory order and acknowledgement drafted in outbox/
    DRILLED = "drilled"  # simulated: parade report draft and quilt exports written
    PARADED = "paraded"  # evidence in exchange/, ledger entry pending, drafts not yet purged
    PURGED = "purged"  # drafts and stale telemetry cleared; waiting for sign-off
    SIGNED_OFF = "signed-off"  # the ledger entry is sealed
    PROMOTED = "promoted"  # this factory's receipt on the hub holds the evidence

    @property
    def rank(self) -> int:
        return list(Stage).index(self)


NEXT_STEP: dict[Stage, str] = {
    Stage.NEW: "toyfoundry forge",
    Stage.FORGED: "toyfoundry drill",
    Stage.DRILLED: "toyfoundry parade",
    Stage.PARADED: "toyfoundry purge",
    Stage.PURGED: "toyfoundry signoff {order} --reviewer NAME",
    Stage.SIGNED_OFF: "toyfoundry push",
    Stage.PROMOTED: "-",
}

# With sign-off on GitHub the approving review of the pull request seals the entry.
GITHUB_SIGNOFF_STEP = "approve its pull request (the review is the sign-off)"

Status = Literal["done", "unchanged", "refused"]


@dataclass(frozen=True)
class Outcome:
    """What one stage did for one order."""

    order_id: str
    status: Status
    message: str
    paths: tuple[str, ...] = ()


@dataclass
class StageResult:
    """What one stage did for a set of orders; ``ok`` is False when any order was refused."""

    stage: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.refused

    @property
    def done(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "done"]

    @property
    def refused(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "refused"]

    @property
    def nothing_to_do(self) -> bool:
        return not self.done and not self.refused

    def add(self, order_id: str, status: Status, message: str, paths: Iterable[str] = ()) -> None:
        self.outcomes.append(Outcome(order_id, status, message, tuple(paths)))
        if status != "unchanged" and (kept := _kept.get()):
            kept.clear()  # files changed: the next stage reads the ledger again
        progress.advance(self.stage, order_id, status)

    def to_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "ok": self.ok,
            "nothing_to_do": self.nothing_to_do,
            "orders": [
                {
                    "order_id": o.order_id,
                    "status": o.status,
                    "message": o.message,
                    "paths": list(o.paths),
                }
                for o in self.outcomes
            ],
        }


def _names(folder: Path) -> list[str]:
    """The names in ``folder`` (anything there: a link, a FIFO), none when it is no folder."""
    try:
        with os.scandir(folder) as it:
            return [e.name for e in it]
    except OSError:
        return []


def has_drafts(layout: Layout, order_id: str) -> bool:
    """Whether anything purge clears is still there for this order."""
    return any(p.exists() for p in draft_files(layout, order_id))


def draft_files(layout: Layout, order_id: str) -> list[Path]:
    return [
        layout.outbox_order_file(order_id),
        layout.outbox_ack_file(order_id),
        layout.outbox_report_file(order_id),
        layout.quilt_raw_file(order_id),
    ]


def stage_of(layout: Layout, order_id: str, *, promoted: Collection[str] = ()) -> Stage:
    """The stage of one order, from the files and the ledger.

    ``promoted`` names the orders the hub has confirmed (its receipts); the hub workflow
    passes them in, since nothing in the foundry knows the hub.
    """
    order_id = check_order_id(order_id)
    entry = read_entry(layout, order_id)
    if entry is not None:
        if order_id in promoted:
            return Stage.PROMOTED
        if entry.signoff.state == "sealed":
            return Stage.SIGNED_OFF
        return Stage.PARADED if has_drafts(layout, order_id) else Stage.PURGED
    if layout.outbox_report_file(order_id).exists():
        return Stage.DRILLED
    if layout.outbox_ack_file(order_id).exists():
        return Stage.FORGED
    return Stage.NEW


def order_stages(
    layout: Layout, *, promoted: Collection[str] = (), orders: Iterable[str] | None = None
) -> dict[str, Stage]:
    """Every known order's stage, by order ID (sorted): ``stage_of`` for each, in one pass.

    The entries' sign-off states come from the digest cache (read only where a file's stat
    changed) and the drafts from one listing of each draft folder, not a look per order.
    ``orders`` is ``Layout.order_ids``, when the caller has it already.
    """
    states = signoff_states(layout)
    drafts = _drafted(layout)
    stages = {}
    for oid in layout.order_ids() if orders is None else orders:
        state = states.get(oid)
        if isinstance(state, ToyfoundryError):
            raise state
        if state is not None:
            if oid in promoted:
                stages[oid] = Stage.PROMOTED
            elif state == "sealed":
                stages[oid] = Stage.SIGNED_OFF
            else:
                stages[oid] = Stage.PARADED if oid in drafts["any"] else Stage.PURGED
        elif oid in drafts["report"]:
            stages[oid] = Stage.DRILLED
        else:
            stages[oid] = Stage.FORGED if oid in drafts["ack"] else Stage.NEW
    return stages


# Inside ``stages_kept``: the sign-off states and the stages read once, by (root, what).
_kept: ContextVar[dict[tuple[Path, str], Any] | None] = ContextVar("kept_stages", default=None)


@contextmanager
def stages_kept() -> Iterator[None]:
    """Within the block, the orders' stages and the entries' sign-off states are read once
    and kept while no stage changes anything (an outcome other than ``unchanged`` drops
    them): a shift that finds nothing to do reads the ledger once, not once per stage."""
    token = _kept.set({})
    try:
        yield
    finally:
        _kept.reset(token)


def _kept_or(layout: Layout, what: str, compute: Callable[[Layout], Any]) -> Any:
    """``compute(layout)``, read once inside ``stages_kept`` while no stage changes anything."""
    kept = _kept.get()
    if kept is None:
        return compute(layout)
    key = (layout.root, what)
    if key not in kept:
        kept[key] = compute(layout)
    return kept[key]


def signoff_states(layout: Layout) -> dict[str, str | ToyfoundryError]:
    """Order ID -> sign-off state of each entry, or the error ``read_entry`` raises."""
    return cast(dict[str, str | ToyfoundryError], _kept_or(layout, "signoff", _signoff_states))


def _signoff_states(layout: Layout) -> dict[str, str | ToyfoundryError]:
    folder = layout.rel(layout.ledger_entries)
    with DigestCache(layout) as cache:
        names = [n for n in cache.json_names(folder) if is_order_id(n[:-5])]
        found = cache.files(folder, names, ((SIGNOFF_FACTS, signoff_facts),))
        cache.save()
    states: dict[str, str | ToyfoundryError] = {}
    for name, _sha, facts in found:
        fact = facts[SIGNOFF_FACTS]
        states[name[:-5]] = signoff_error(f"{folder}/{name}", fact) or fact["state"]
    return states


def _drafted(layout: Layout) -> dict[str, set[str]]:
    """The orders with a draft ``purge`` clears, by kind: what ``has_drafts`` and the
    outbox checks of ``stage_of`` find, for every order at once."""
    kinds = {"order": layout.outbox_orders, "ack": layout.outbox_acks,
             "report": layout.outbox_reports, "trace": layout.quilt_raw}  # fmt: skip
    found: dict[str, set[str]] = {"any": set()}
    for kind, folder in kinds.items():
        found[kind] = set()
        for name in _names(folder):
            oid = _draft_order(kind, name)
            if oid is not None and _draft_path(layout, kind, oid).exists():
                found[kind].add(oid)
                found["any"].add(oid)
    return found


def _draft_order(kind: str, name: str) -> str | None:
    prefix = {"ack": "ACK-", "report": "RPT-"}.get(kind, "")
    suffix = ".trace.json" if kind == "trace" else ".json"
    if not (name.startswith(prefix) and name.endswith(suffix)):
        return None
    oid = name[len(prefix) : -len(suffix)]
    return oid if is_order_id(oid) else None


def _draft_path(layout: Layout, kind: str, oid: str) -> Path:
    if kind == "order":
        return layout.outbox_order_file(oid)
    if kind == "ack":
        return layout.outbox_ack_file(oid)
    return layout.outbox_report_file(oid) if kind == "report" else layout.quilt_raw_file(oid)


def select(
    layout: Layout, order_ids: Sequence[str] | None, eligible: Collection[Stage]
) -> list[str]:
    """The orders a stage works on: those named (checked), or every order ready for it."""
    if order_ids is not None:
        return list(dict.fromkeys(check_order_id(oid) for oid in order_ids))
    stages = cast(dict[str, Stage], _kept_or(layout, "stages", order_stages))
    return [oid for oid, stage in stages.items() if stage in eligible]


def promote_refusal(stage: Stage) -> str | None:
    """Why an order in ``stage`` may not be promoted, or None when it may."""
    if stage.rank < Stage.PARADED.rank:
        return f"is {stage.value}: no promote before parade"
    if stage.rank < Stage.SIGNED_OFF.rank:
        return f"is {stage.value}: no promote before sign-off (the ledger entry is pending)"
    return None


@dataclass(frozen=True, slots=True)
class OrderStatus:
    """One row of ``toyfoundry status``."""

    order_id: str
    stage: Stage
    next_step: str
    receipt: ReceiptFacts | None = None  # this factory's receipt on the hub for this evidence
    withdrawn: bool = False


@dataclass(slots=True)
class StatusReport:
    """Every order's stage, promotion read from the hub's receipts; notes on what was not read."""

    hub: str
    orders: list[OrderStatus] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    hub_read: bool = False  # whether "promoted" comes from the hub's receipts this time

    def to_json(self) -> list[dict[str, Any]]:
        return [
            {
                "order_id": o.order_id,
                "stage": o.stage.value,
                "next": o.next_step,
                "withdrawn": o.withdrawn,
                "receipt": o.receipt.receipt_id if o.receipt else None,
                "pushed_at": o.receipt.pushed_at if o.receipt else None,
                "hub": self.hub,
            }
            for o in self.orders
        ]


def status(layout: Layout, hub: str | None = None) -> StatusReport:
    """Each order's stage; promoted when this factory's receipt on the hub holds its evidence.

    Receipts reach the repository only with a later intake, so the hub is asked. A hub that
    cannot be read leaves the stages as the files say, with a note naming the hub and why.
    """
    with gc_paused():  # rows for every order and hub file, none of them in a cycle
        return _status(layout, hub)


def _status(layout: Layout, hub: str | None) -> StatusReport:
    config = settings(layout, hub)
    # git looks at the evidence while the hub is read: on two cores the listing overlaps it.
    # The thread is gone before anything forks worker processes (the digest cache may).
    pool = ThreadPoolExecutor(max_workers=1)
    try:
        job = pool.submit(tracked_evidence, layout)
        out, held, listing, backend = _read_hub(layout, config)
        tracked = job.result()
    finally:
        pool.shutdown()
    for path, why in held.refused:
        out.notes.append(f"{out.hub}: {path} refused ({why})")
    log = read_log(layout)
    if listing is None:  # the log's word stands only when the hub itself cannot be asked
        withdrawn = set(withdrawn_on(log, out.hub))
    else:
        issued = pulled_from(log, out.hub)
        withdrawn = {o for o in issued if f"orders/{o}.json" not in listing}
    orders = layout.order_ids()
    receipts = _receipts(layout, held, orders, tracked)
    tracked.save()
    promoted = {oid for oid, receipt in receipts.items() if receipt is not None}
    if backend is not None and out.hub_read:
        unpromoted = (oid for oid in receipts if oid not in promoted)
        out.notes += gap_notes(backend, held, unpromoted, pushed_receipts(log, out.hub))
    on_github = signoff_policy(layout, "HEAD").method == "github"
    for oid, stage in order_stages(layout, promoted=promoted, orders=orders).items():
        gone = oid in withdrawn and stage is not Stage.PROMOTED
        step = (
            "- (withdrawn by High Command: kept, never pushed)"
            if gone
            else GITHUB_SIGNOFF_STEP
            if on_github and stage is Stage.PURGED
            else NEXT_STEP[stage].format(order=oid)
        )
        out.orders.append(OrderStatus(oid, stage, step, receipts[oid], gone))
    return out


def _read_hub(
    layout: Layout, config: HubSettings
) -> tuple[StatusReport, Inventory, Mapping[str, str] | None, Hub | None]:
    """The report begun, and what the hub holds: its listing and this factory's receipts.

    A hub that cannot be read leaves an empty inventory, no listing and a note saying why.
    """
    out = StatusReport(hub=redact(config.spec))
    held, listing, backend = Inventory(), None, None
    try:
        backend = open_hub(layout, config.spec)
        found = backend.listing()
        require_history(layout, backend)
        out.hub, out.hub_read, listing = backend.display, True, found
        held = inventory(backend, listing, factory=config.factory)
    except HubError as exc:
        out.notes.append(f"{out.hub} not read ({exc.message}): promoted orders show as signed-off")
    return out, held, listing, backend


def _receipts(
    layout: Layout, held: Inventory, order_ids: Iterable[str], tracked: TrackedBlobs
) -> dict[str, ReceiptFacts | None]:
    """The receipt holding each order's evidence (``evidence_paths``) as it is, or None.

    One listing of the answer folders says which orders are answered, and git's blob IDs
    what the files hold: a file is read only when git cannot vouch for it. When git holds
    every file unchanged and the hub lacks one of them, reading them would say no more.
    """
    folders = {"orders": layout.orders, "acknowledgements": layout.acknowledgements,
               "reports": layout.reports}  # fmt: skip
    rels = {hub: layout.rel(folder) + "/" for hub, folder in folders.items()}
    present = {hub: set(_names(folder)) for hub, folder in folders.items()}
    out: dict[str, ReceiptFacts | None] = {}
    for oid in order_ids:
        files = [hub.partition("/") for hub in evidence_hub_paths(oid)]
        if files[1][2] not in present["acknowledgements"]:
            out[oid] = None  # not answered yet
            continue
        if files[2][2] not in present["reports"] and evidence_paths(layout, oid) is None:
            out[oid] = None  # answered, not reported, not rejected
            continue
        n = 3 if files[2][2] in present["reports"] else 2
        paths = [rels[folder] + name for folder, _, name in files[:n]]
        receipts = held_unread(layout, oid, paths, held, tracked)  # git's blob IDs say
        if receipts is not None:
            out[oid] = held.receipts.get(receipts.pop()) if len(receipts) == 1 else None
        elif all(tracked.sha256(rel) is not None for rel in paths):
            out[oid] = None
        else:
            out[oid] = held.receipt_for(oid, evidence_paths(layout, oid) or [])
    return out
