"""Test helpers: ledger entries for evidence on disk, as the parade writes them."""

from __future__ import annotations

from pathlib import Path

from toyfoundry_ci.base.canonical import dumps, sha256_file
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.store import write_entry
from toyfoundry_ci.models.ledger import LedgerEntry, SignOff, StageRecord, Subject


def subject(layout: Layout, path: Path, role: str) -> Subject:
    return Subject.model_validate(
        {"name": layout.rel(path), "role": role, "digest": {"sha256": sha256_file(path)}}
    )


def parade_entry(layout: Layout, order_id: str) -> LedgerEntry:
    """Write a pending entry citing the order's order, ack and report files."""
    order = subject(layout, layout.order_file(order_id), "order")
    ack = subject(layout, layout.ack_file(order_id), "acknowledgement")
    report = subject(layout, layout.report_file(order_id), "report")
    entry = LedgerEntry.model_validate(
        {
            "order_id": order_id,
            "subjects": [s.to_json() for s in (order, ack, report)],
            "stages": [StageRecord(stage="parade", deps=[order, ack], outs=[report]).to_json()],
            "signoff": SignOff(state="pending").to_json(),
            "created_at": "2026-11-24T09:00:00Z",
        }
    )
    write_entry(layout, entry)
    return entry


def copy_order(layout: Layout, source: str, target: str) -> None:
    """A new, fully paired order ``target`` cloned from ``source`` with its citations rewritten."""
    import orjson

    order = orjson.loads(layout.order_file(source).read_bytes())
    order["order_id"] = target
    layout.order_file(target).write_bytes(dumps(order))
    ack = orjson.loads(layout.ack_file(source).read_bytes())
    ack["ack_id"] = f"ACK-{target}"
    ack["order"] = {
        "order_id": target,
        "digest": {"sha256": sha256_file(layout.order_file(target))},
    }
    layout.ack_file(target).write_bytes(dumps(ack))
    report = orjson.loads(layout.report_file(source).read_bytes())
    report["report_id"] = f"RPT-{target}"
    report["order"] = ack["order"]
    report["ack"] = {"ack_id": f"ACK-{target}",
                     "digest": {"sha256": sha256_file(layout.ack_file(target))}}  # fmt: skip
    layout.report_file(target).write_bytes(dumps(report))


__all__ = ["copy_order", "parade_entry", "sign_off_locally", "subject"]


def sign_off_locally(repo: Path, *, extra: str = "") -> None:
    """Commit ``signoff.method = "local"`` (and ``extra`` settings): a factory without GitHub."""
    import subprocess

    (repo / "pyproject.toml").write_text(
        f'[tool.toyfoundry]\nsignoff.method = "local"\n{extra}', encoding="utf-8"
    )
    for args in (["add", "pyproject.toml"], ["commit", "-qm", "Sign off locally"]):
        subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)
