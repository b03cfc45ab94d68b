"""Reading and writing ledger entries: write-once, except pending -> sealed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from toyfoundry_ci.base.atomic import write_json_atomic
from toyfoundry_ci.base.errors import ArtifactError, RefusedError, ToyfoundryError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import ParseError, read_artifact
from toyfoundry_ci.models.ledger import LedgerEntry
from toyfoundry_ci.models.parse import build


def read_entry(layout: Layout, order_id: str) -> LedgerEntry | None:
    """The order's ledger entry, or None when it has none yet."""
    path = layout.ledger_entry_file(order_id)
    if not path.exists():
        return None
    value = read_artifact(path)
    rel = layout.rel(path)
    if isinstance(value, ParseError):
        raise RefusedError(f"{rel}::{value.where}: {value.message}", hint=entry_hint(rel))
    return build(LedgerEntry, value, rel, hint=entry_hint(rel))


def entry_hint(rel: str) -> str:
    """What to do about the unreadable or invalid entry file ``rel``."""
    return (
        f"run `toyfoundry validate {rel}` to see every problem; `git checkout -- {rel}` restores it"
    )


def signoff_facts(rel: str, value: Any) -> dict[str, str]:
    """An entry's sign-off state, or what ``read_entry`` raises for it (a cache fact)."""
    if isinstance(value, ParseError):
        return {"refused": f"{rel}::{value.where}: {value.message}"}
    try:
        return {"state": build(LedgerEntry, value, rel, hint="").signoff.state}
    except ArtifactError as exc:
        return {"invalid": exc.message}


def signoff_error(rel: str, facts: dict[str, str]) -> ToyfoundryError | None:
    """The error ``read_entry`` raises for the entry ``signoff_facts`` described, if any."""
    if "refused" in facts:
        return RefusedError(facts["refused"], hint=entry_hint(rel))
    if "invalid" in facts:
        return ArtifactError(facts["invalid"], hint=entry_hint(rel))
    return None


SIGNOFF_FACTS = "signoff"


def write_entry(layout: Layout, entry: LedgerEntry) -> bool:
    """Write ``entry``; return False when the identical entry is already there.

    An existing entry may only change from pending to sealed with the same evidence; any
    other change is refused, because the ledger is the audit trail.
    """
    existing = read_entry(layout, entry.order_id)
    if existing is not None and existing != entry:
        _check_transition(layout.ledger_entry_file(entry.order_id), existing, entry)
    return write_json_atomic(layout.ledger_entry_file(entry.order_id), entry.to_json())


def _check_transition(path: Path, old: LedgerEntry, new: LedgerEntry) -> None:
    same_evidence = old.model_copy(update={"signoff": new.signoff}) == new
    if old.signoff.state == "pending" and new.signoff.state == "sealed" and same_evidence:
        return
    raise RefusedError(
        f"{path}: ledger entries are write-once; only pending -> sealed is allowed",
        hint="a changed order needs a new order ID from High Command",
    )
