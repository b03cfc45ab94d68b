"""Pairing: each order with its acknowledgement and parade report, by the digests they cite.

An ack is paired when it cites the order's ID and the sha256 of the order file's bytes; a
report when it cites the order the same way and the ack by ID and digest. An order whose ack
rejects it is complete with that ack (status ``rejected``): nothing was produced to report.
Anything citing an order that is not there is an orphan. Orders past their ``ack_due_by``
without an ack are overdue (reported, not a failure: nothing is unpaired yet).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from toyfoundry_ci.base.clock import now
from toyfoundry_ci.base.gcpause import gc_paused
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import ParseError
from toyfoundry_ci.ledger.digest_cache import DigestCache

NAMESPACE = "pairing"


@dataclass(slots=True)
class OrderPairing:
    """One order and the evidence citing it; ``status`` is one word from STATUSES."""

    order_id: str
    order: str | None = None
    ack: str | None = None
    report: str | None = None
    rejected: bool = False
    overdue: bool = False
    problems: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.problems:
            return "broken"
        if self.report:
            return "paired"
        if self.ack:
            return "rejected" if self.rejected else "acknowledged"
        return "overdue" if self.overdue else "open"


@dataclass(frozen=True, slots=True)
class Orphan:
    """Evidence that cites an order (or ack) that is not there."""

    path: str
    cites: str
    reason: str


@dataclass(slots=True)
class PairingReport:
    orders: list[OrderPairing] = field(default_factory=list)
    orphans: list[Orphan] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No unpaired evidence: nothing broken, orphaned or unreadable."""
        return not (self.orphans or self.unreadable) and all(not o.problems for o in self.orders)

    @property
    def overdue(self) -> list[OrderPairing]:
        return [o for o in self.orders if o.status == "overdue"]


def facts(_rel: str, value: Any) -> dict[str, Any]:
    """The citations pairing needs from an order, ack or report file."""
    if isinstance(value, ParseError):
        return {"error": f"{value.where}: {value.message}"}
    try:
        kind = value["kind"]
        if kind == "order":
            return {"kind": kind, "order_id": value["order_id"], "due": value.get("ack_due_by")}
        found = {
            "kind": kind,
            "order_id": value["order"]["order_id"],
            "order_sha256": value["order"]["digest"]["sha256"],
        }
        if kind == "acknowledgement":
            rejects = value.get("disposition") == "reject"
            return {**found, "ack_id": value["ack_id"], "rejects": rejects}
        if kind == "report":
            ack = value["ack"]
            return {**found, "ack_id": ack["ack_id"], "ack_sha256": ack["digest"]["sha256"]}
    except (KeyError, TypeError):
        pass
    return {"error": "$: not an order, acknowledgement or report with its citations"}


def pair(
    layout: Layout,
    *,
    cache: DigestCache | None = None,
    at: datetime | None = None,
    names: Mapping[str, list[str]] | None = None,
) -> PairingReport:
    """Pair every order in ``exchange/`` with its ack and report; with ``names`` (folder ->
    file names, repository-relative), only the files named there."""
    with gc_paused():  # rows for every file, none of them in a cycle
        return _pair(layout, cache, at, names)


def _pair(
    layout: Layout,
    cache: DigestCache | None,
    at: datetime | None,
    names: Mapping[str, list[str]] | None,
) -> PairingReport:
    own_cache = cache is None
    cache = cache or DigestCache(layout)
    report = PairingReport()
    orders = _scan(layout, layout.orders, "order", cache, report, names=names)
    acks = _scan(layout, layout.acknowledgements, "acknowledgement", cache, report, names=names)
    reports = _scan(layout, layout.reports, "report", cache, report, names=names)
    moment = at or now()
    by_id: dict[str, OrderPairing] = {}
    digests: dict[str, str] = {}
    for rel, (sha, f) in orders.items():
        entry = by_id.setdefault(f["order_id"], OrderPairing(f["order_id"]))
        if entry.order is not None:
            entry.problems.append(f"{rel}: a second file for the same order ({entry.order})")
            continue
        entry.order, digests[f["order_id"]] = rel, sha
        entry.overdue = bool(f["due"]) and _parse(f["due"]) < moment
    ack_digests: dict[str, tuple[str, str]] = {}
    for rel, (sha, f) in acks.items():
        target = _claim(by_id, digests, report, rel, f, role="ack")
        if target is not None:
            ack_digests[f["order_id"]] = (f["ack_id"], sha)
            target.rejected = bool(f.get("rejects"))
    for rel, (_sha, f) in reports.items():
        target = _claim(by_id, digests, report, rel, f, role="report")
        if target is not None:
            _check_ack_citation(target, rel, f, ack_digests.get(f["order_id"]))
    report.orders = [by_id[k] for k in sorted(by_id)]
    if own_cache:
        cache.save()
        cache.close()
    return report


_SECOND = {"ack": "a second acknowledgement", "report": "a second report"}


def _claim(
    by_id: dict[str, OrderPairing],
    digests: dict[str, str],
    report: PairingReport,
    rel: str,
    f: dict[str, Any],
    *,
    role: str,
) -> OrderPairing | None:
    """Attach the ack or report at ``rel`` to the order it cites, checking the order's digest.

    Returns the order, or None when it cites no order here (an orphan) or the order
    already has one (a problem on the order).
    """
    target = by_id.get(f["order_id"])
    if target is None:
        report.orphans.append(Orphan(rel, f["order_id"], "cites an order that is not here"))
        return None
    _check_order_digest(target, rel, f, digests[f["order_id"]])
    first = getattr(target, role)
    if first is not None:
        target.problems.append(f"{rel}: {_SECOND[role]} (first: {first})")
        return None
    setattr(target, role, rel)
    return target


def _check_order_digest(target: OrderPairing, rel: str, f: dict[str, Any], sha: str) -> None:
    if f["order_sha256"] != sha:
        target.problems.append(
            f"{rel}::$.order.digest.sha256: cites {f['order_sha256'][:12]}…, but"
            f" {target.order} has sha256 {sha[:12]}…"
        )


def _check_ack_citation(
    target: OrderPairing, rel: str, f: dict[str, Any], ack: tuple[str, str] | None
) -> None:
    if ack is None:
        target.problems.append(f"{rel}::$.ack: the report cites {f['ack_id']}, which is not here")
        return
    ack_id, sha = ack
    if f["ack_id"] != ack_id:
        target.problems.append(f"{rel}::$.ack.ack_id: cites {f['ack_id']}, the ack is {ack_id}")
    elif f["ack_sha256"] != sha:
        target.problems.append(
            f"{rel}::$.ack.digest.sha256: cites {f['ack_sha256'][:12]}…, but"
            f" {target.ack} has sha256 {sha[:12]}…"
        )


def _scan(
    layout: Layout,
    folder: Path,
    kind: str,
    cache: DigestCache,
    report: PairingReport,
    *,
    names: Mapping[str, list[str]] | None,
) -> dict[str, tuple[str, dict[str, Any]]]:
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    prefix = layout.rel(folder)
    listed = cache.json_names(prefix) if names is None else names.get(prefix, [])
    for name, sha, all_facts in cache.files(prefix, listed, _WANTS):
        rel, f = f"{prefix}/{name}", all_facts[NAMESPACE]
        if "error" in f:
            report.unreadable.append((rel, f["error"]))
        elif f["kind"] != kind:
            report.unreadable.append((rel, f"$.kind: a {f['kind']} in the {kind} folder"))
        else:
            found[rel] = (sha, f)
    return found


_WANTS = ((NAMESPACE, facts),)


def _parse(stamp: str) -> datetime:
    return datetime.fromisoformat(stamp.replace("Z", "+00:00"))
