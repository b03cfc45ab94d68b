"""Push (promote): send sealed, paired evidence to the hub exactly once.

An order goes only when its acknowledgement and report are valid and paired with it and its
ledger entry is sealed over exactly these files; a rejected order (its ack's disposition is
``reject``) goes with its acknowledgement alone, since nothing was produced. What the hub
already holds under this factory's receipts, each file at its path with the same bytes
(checked against the hub's listing: a receipt alone is never enough), is not sent again,
so a re-run after a crash completes the push and a push with nothing new says so. One push
is one publication: the evidence, a notification and the receipt, landed together.

Only the hub writes its ``orders/``. A push sends acknowledgements and reports; the directive
they answer is never sent: it must be on the hub already, byte for byte, and the receipt cites
it by digest. Evidence for an order the hub does not hold (another hub's, or one High Command
withdrew) is never sent: it is listed by name with the reason, and does not fail the push.
Receipts count only when they validate and are this factory's. A dry run sends nothing and
records nothing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from toyfoundry_ci.base import progress
from toyfoundry_ci.base.canonical import dumps, sha256_bytes, sha256_json
from toyfoundry_ci.base.clock import now
from toyfoundry_ci.base.errors import HubError, ToyfoundryError
from toyfoundry_ci.base.git import Git
from toyfoundry_ci.base.ids import GENERIC_ID
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import parse_artifact
from toyfoundry_ci.base.lock import holds_lock
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.base.reader import read_file
from toyfoundry_ci.base.tracked import TrackedBlobs
from toyfoundry_ci.exchange.gate import require_ready
from toyfoundry_ci.exchange.log import (
    append_run,
    failures_logged,
    pushed_receipts,
    read_log,
    require_history,
    withdrawn_on,
)
from toyfoundry_ci.exchange.notify import notification_for
from toyfoundry_ci.hub.protocol import (
    MAX_HUB_FILE,
    Hub,
    HubFile,
    Inventory,
    Publication,
    evidence_hub_paths,
    gap_notes,
    head_of,
    inventory,
    publication_message,
)
from toyfoundry_ci.ledger.seals import SealCheck, seal_check
from toyfoundry_ci.ledger.store import read_entry
from toyfoundry_ci.models.common import Digest
from toyfoundry_ci.models.hub import Receipt, ReceiptItem
from toyfoundry_ci.models.ledger import Subject
from toyfoundry_ci.models.logs import ExchangeRun
from toyfoundry_ci.readiness import require_not_halted
from toyfoundry_ci.validation.checker import check_value


@dataclass(frozen=True, slots=True)
class Evidence:
    """The files of one order as they go to the hub."""

    order_id: str
    files: tuple[HubFile, ...]  # order, acknowledgement, then the report unless rejected
    lot: str | None = None

    @property
    def order_digest(self) -> str:
        return sha256_bytes(self.files[0].data)


@dataclass(frozen=True, slots=True)
class Waiting:
    """Not a problem: the order is simply not signed off yet."""

    reason: str


@dataclass(slots=True)
class PushResult:
    hub: str
    sent: list[Evidence] = field(default_factory=list)
    already: list[str] = field(default_factory=list)
    waiting: list[tuple[str, str]] = field(default_factory=list)  # not signed off yet
    held: list[tuple[str, str]] = field(default_factory=list)  # (order ID, what is wrong)
    # Not this hub's to take (another hub issued it, or this one withdrew it): not a failure.
    elsewhere: list[tuple[str, str]] = field(default_factory=list)  # (order ID, why)
    receipt_id: str | None = None
    publication: str | None = None
    dry_run: bool = False
    refused_receipts: list[tuple[str, str]] = field(default_factory=list)  # (hub path, why)
    notes: list[str] = field(default_factory=list)  # receipts the log records, lost by the hub

    @property
    def result(self) -> str:
        if self.dry_run:
            return "dry-run"
        if not self.sent:
            return "nothing-new"
        return "partial" if self.held else "ok"


@holds_lock("push")
def push(
    layout: Layout,
    hub: Hub,
    factory: str,
    *,
    dry_run: bool = False,
    gate: bool = True,
    order_ids: Iterable[str] | None = None,
    seals: SealCheck | None = None,
    listing: Mapping[str, str] | None = None,
) -> PushResult:
    """Push every sealed, paired order the hub does not hold yet; log the run.

    Each seal passes ``seals`` (default: ``seal_check`` on the policy committed at HEAD,
    re-deriving github seals with ``GITHUB_TOKEN``); one that does not is held back, named.
    ``listing``: the listing ``hub`` read last (a shift's pull, moments before, when nothing
    was written since), taken as the hub's state instead of listing it again; the hub may
    change after any listing, and what is published is checked by the hub as always.
    """
    if re.fullmatch(GENERIC_ID, factory) is None:
        raise HubError(
            f"factory name {factory!r} is not a usable identifier",
            hint='set `factory = "my-factory"` under [tool.toyfoundry]',
        )
    if gate:
        require_not_halted(layout, "push")
    with failures_logged(layout, "push", hub.display):
        out = _push(
            layout, hub, factory, dry_run=dry_run, order_ids=order_ids, gate=gate, seals=seals,
            listing=listing,
        )  # fmt: skip
    if dry_run:
        return out  # a look at what would go is not an exchange: nothing is recorded
    append_run(
        layout,
        direction="push",
        hub=out.hub,
        orders=[(e.order_id, e.order_digest) for e in out.sent],
        result=out.result,
        receipt_id=out.receipt_id,
        detail=_detail(out),
        head=head_of(hub),
    )
    return out


def _push(
    layout: Layout,
    hub: Hub,
    factory: str,
    *,
    dry_run: bool,
    order_ids: Iterable[str] | None,
    gate: bool,
    seals: SealCheck | None,
    listing: Mapping[str, str] | None,
) -> PushResult:
    out = PushResult(hub=hub.display, dry_run=dry_run)
    listing = hub.listing() if listing is None else listing
    out.hub = hub.display  # a hub read on its default branch now names the branch
    require_history(layout, hub)
    held = inventory(hub, listing, factory=factory)
    out.refused_receipts = held.refused
    out.notes = gap_notes(hub, held, (), pushed_receipts(read_log(layout), out.hub))
    withdrawn = withdrawn_on(read_log(layout), out.hub)
    wanted = set(order_ids) if order_ids is not None else None
    chosen = [oid for oid in layout.order_ids() if wanted is None or oid in wanted]
    progress.begin("push", chosen)
    seals = seals or seal_check(layout, "HEAD")  # the committed policy, never the work tree's
    tracked = tracked_evidence(layout)
    for order_id in chosen:
        found = _check(
            layout, order_id, held, listing, withdrawn=withdrawn, out=out, seals=seals,
            tracked=tracked,
        )  # fmt: skip
        progress.advance("push", order_id, found)
    tracked.save()
    if out.sent and not dry_run:
        # The full gate guards what leaves; a push with nothing to send only checks the halt.
        if gate:
            require_ready(layout, "push", green=True)
        progress.notice(f"push: sending {plural(len(out.sent), 'order')} to {hub.display}")
        source = _source_commit(layout)
        publication, out.receipt_id = _publication(out.sent, factory, hub.display, source)
        out.publication = hub.publish(publication).publication
    return out


KINDS = ("order", "acknowledgement", "report")


def evidence_paths(layout: Layout, order_id: str) -> list[Path] | None:
    """The files that go to the hub for an order, or None while it is not answered yet.

    The order and its ack, then the report; a rejected order has none (nothing was produced).
    """
    paths = [layout.order_file(order_id), layout.ack_file(order_id)]
    # Anything there counts (a link, a FIFO): reading it says why it cannot be sent.
    if not os.path.lexists(paths[1]):
        return None
    report = layout.report_file(order_id)
    if os.path.lexists(report):
        return [*paths, report]
    ack = parse_artifact(_read(paths[1]))
    return paths if isinstance(ack, dict) and ack.get("disposition") == "reject" else None


def _check(
    layout: Layout,
    order_id: str,
    held: Inventory,
    listing: Mapping[str, str],
    *,
    withdrawn: Mapping[str, ExchangeRun],
    out: PushResult,
    seals: SealCheck,
    tracked: TrackedBlobs,
) -> str:
    """Sort one order into ``out``: already on the hub, waiting, held or to be sent."""
    # The usual case first: every evidence file tracked, unchanged and on the hub, told by
    # git's blob IDs without a look at the work tree.
    if held_unread(layout, order_id, layout.evidence_rels(order_id), held, tracked):
        out.already.append(order_id)
        return "already on the hub"
    paths = evidence_paths(layout, order_id)
    if paths is None:
        return "unanswered"  # not answered yet: nothing to push, nothing to say
    if held_unread(layout, order_id, paths, held, tracked) is not None:
        out.already.append(order_id)
        return "already on the hub"
    hub_paths = evidence_hub_paths(order_id)
    files = tuple(HubFile(h, _read(p)) for h, p in zip(hub_paths, paths, strict=False))
    evidence = Evidence(order_id, files)
    if all(held.holds(order_id, f) for f in evidence.files):  # the hub's listing, not a receipt
        out.already.append(order_id)
        return "already on the hub"
    foreign = _not_issued(evidence, listing, out.hub, withdrawn)
    if foreign is not None:
        out.elsewhere.append((order_id, foreign))
        return "not sent"
    why = _why_not(layout, evidence, held, listing, seals)
    if isinstance(why, Waiting):
        out.waiting.append((order_id, why.reason))
        return "waiting"
    if isinstance(why, Evidence):
        out.sent.append(why)
        return "ready"
    out.held.append((order_id, why))
    return "held"


def tracked_evidence(layout: Layout) -> TrackedBlobs:
    """The blobs git holds of the evidence that goes to a hub: directives and answers."""
    folders = (layout.orders, layout.acknowledgements, layout.reports)
    return TrackedBlobs(layout.root, [layout.rel(f) for f in folders])


def held_unread(
    layout: Layout,
    order_id: str,
    paths: Sequence[Path | str],
    held: Inventory,
    tracked: TrackedBlobs,
) -> set[str] | None:
    """The receipts holding the order's evidence files, told by git's blob IDs alone.

    What ``Inventory.holds`` says of each file's bytes, for files git holds unchanged; None
    when the hub does not hold one of them, or when a file must be read to tell. ``paths``
    are ``evidence_paths``, or the same files relative to the root.
    """
    found = set()
    for hub_path, path in zip(evidence_hub_paths(order_id), paths, strict=False):
        known = tracked.sha256(path if isinstance(path, str) else layout.rel(path))
        receipt = None if known is None else held.holds_blob(order_id, hub_path, *known)
        if receipt is None:
            return None
        found.add(receipt)
    return found


def _read(path: Path) -> bytes:
    return read_file(path, MAX_HUB_FILE)  # the hub takes nothing larger


def _why_not(
    layout: Layout,
    evidence: Evidence,
    held: Inventory,
    listing: Mapping[str, str],
    seals: SealCheck,
) -> Waiting | str | Evidence:
    """The evidence, with the ledger's lot, when it may go; else why it is held back."""
    order_id = evidence.order_id
    try:
        entry = read_entry(layout, order_id)
    except (ToyfoundryError, ValidationError) as exc:
        return f"ledger entry unreadable: {getattr(exc, 'message', str(exc).splitlines()[0])}"
    if entry is None:
        return Waiting("no ledger entry yet (run `toyfoundry parade`)")
    if entry.signoff.state != "sealed":
        return Waiting("sign-off pending")
    refused = seals(entry)
    if refused is not None:
        return refused
    values: list[dict[str, Any]] = []
    for item, kind in zip(evidence.files, KINDS, strict=False):
        value = parse_artifact(item.data)
        result = check_value(item.path, value, kind)
        if not result.ok or not isinstance(value, dict):
            first = result.problems[0]
            return f"{item.path}::{first.where}: {first.message}"
        values.append(value)
    problem = _pairing(order_id, evidence, values)
    if problem is None:
        problem = _sealed_over(layout, entry.subjects, evidence)
    if problem is None:
        problem = _conflict(evidence, held, listing)
    if problem is not None:
        return problem
    return Evidence(order_id, evidence.files, entry.lot)


def _pairing(order_id: str, evidence: Evidence, values: list[dict[str, Any]]) -> str | None:
    order, *answers = values
    order_digest = sha256_bytes(evidence.files[0].data)
    ack_digest = sha256_bytes(evidence.files[1].data)
    if order.get("order_id") != order_id:
        return f"the directive in orders/{order_id}.json names {order.get('order_id')!r}"
    for name, value in zip(KINDS[1:], answers, strict=False):
        ref = value.get("order")
        if not isinstance(ref, dict) or ref.get("order_id") != order_id:
            return f"the {name} does not cite order {order_id}"
        if ref.get("digest", {}).get("sha256") != order_digest:
            return f"the {name} cites another version of {order_id} (digest mismatch)"
    if len(answers) < len(KINDS) - 1:
        return None  # a rejected order: its ack is the whole answer
    ack_ref = answers[1].get("ack")
    if not isinstance(ack_ref, dict) or ack_ref.get("digest", {}).get("sha256") != ack_digest:
        return "the report does not cite this acknowledgement's digest"
    return None


def _sealed_over(layout: Layout, subjects: list[Subject], evidence: Evidence) -> str | None:
    sealed = {s.name: s.digest.sha256 for s in subjects}
    paths = evidence_paths(layout, evidence.order_id) or []
    for item, path in zip(evidence.files, paths, strict=True):
        rel = layout.rel(path)
        if sealed.get(rel) != sha256_bytes(item.data):
            return f"{rel} is not the file the sealed ledger entry cites"
    return None


def _not_issued(
    evidence: Evidence, listing: Mapping[str, str], hub: str, withdrawn: Mapping[str, ExchangeRun]
) -> str | None:
    """Why the hub cannot take this evidence because it does not hold the directive."""
    path = evidence.files[0].path
    if path in listing:
        return None
    run = withdrawn.get(evidence.order_id)
    if run is not None:
        return (
            f"withdrawn by High Command (the pull of {run.at:%Y-%m-%d %H:%M} UTC found no {path}"
            " on the hub); it stays in exchange/orders/ and is never pushed"
        )
    return (
        f"{hub} never issued {evidence.order_id} (it has no {path});"
        " push it to the hub it was pulled from (--hub)"
    )


def _conflict(evidence: Evidence, held: Inventory, listing: Mapping[str, str]) -> str | None:
    for item in evidence.files:
        digest = sha256_bytes(item.data)
        there = held.paths.get(item.path)
        if there is not None and there[0] != digest:
            return f"the hub already holds a different {item.path} (receipt {there[1]})"
    order = evidence.files[0]
    if listing.get(order.path) != order.blob:
        return (
            f"High Command amended {order.path} after it was answered; the answer cites the"
            " version pulled (a new order ID supersedes an answered directive)"
        )
    return None


def _source_commit(layout: Layout) -> str | None:
    """The factory's commit the push is made from (None outside a git work tree)."""
    ran = Git(layout.root).run("rev-parse", "--verify", "--quiet", "HEAD^{commit}")
    head = ran.out.decode().strip() if ran.ok else ""
    return head if re.fullmatch(r"[0-9a-f]{40}([0-9a-f]{24})?", head) else None


def _publication(
    sent: list[Evidence], factory: str, hub: str, source: str | None
) -> tuple[Publication, str]:
    items = [
        ReceiptItem(order_id=e.order_id, path=f.path, digest=Digest(sha256=sha256_bytes(f.data)))
        for e in sent
        for f in e.files
    ]
    key = sha256_json([i.to_json() for i in items])
    receipt = Receipt(
        receipt_id=f"receipt-{key[:24]}",
        factory=factory,
        hub=hub[:200],
        pushed_at=now(),
        source=source,
        items=items,
    )
    lots = {e.lot for e in sent}
    lot = lots.pop() if len(lots) == 1 and None not in lots else f"lot-{key[:12]}"
    notice, title, body = notification_for(
        receipt, str(lot), [(e.order_id, e.order_digest) for e in sent]
    )
    files = tuple(f for e in sent for f in e.files[1:])  # the directive is the hub's already
    receipt_file = HubFile(f"receipts/{receipt.receipt_id}.json", dumps(receipt.to_json()))
    subject = f"toyfoundry: {factory} pushes {plural(len(sent), 'order')} ({receipt.receipt_id})"
    publication = Publication(
        files=files,
        receipt=receipt_file,
        notification=notice,
        message=publication_message(subject, factory, receipt_file),
        notice_title=title,
        notice_body=body,
    )
    return publication, receipt.receipt_id


def _detail(out: PushResult) -> str | None:
    parts = []
    if out.publication:
        parts.append(f"publication {out.publication}")
    if out.already:
        parts.append(f"{len(out.already)} already on the hub")
    if out.held:
        reasons = "; ".join(f"{o}: {w}" for o, w in out.held[:5])
        parts.append(f"{len(out.held)} held back: {reasons}")
    if out.elsewhere:
        names = ", ".join(o for o, _ in out.elsewhere[:10])
        parts.append(f"{len(out.elsewhere)} not this hub's (not issued or withdrawn): {names}")
    if out.refused_receipts:
        names = ", ".join(p for p, _ in out.refused_receipts[:5])
        parts.append(f"{plural(len(out.refused_receipts), 'hub receipt')} refused: {names}")
    return ", ".join(parts) or None
