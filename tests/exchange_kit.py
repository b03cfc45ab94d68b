"""Helpers for exchange tests and benchmarks: directives on a hub, answered and sealed orders.

The evidence is derived from the sample batch under ``exchange/``, with the IDs and the
digests that pair the files rewritten, so every file validates and pairs like real output.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

from tests.conftest import git, init_repo
from tests.sample import committed
from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.canonical import dumps, sha256_bytes
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import rebuild_index
from toyfoundry_ci.ledger.store import write_entry
from toyfoundry_ci.models.ledger import LedgerEntry

SAMPLE = Layout(committed())
_TEMPLATES: dict[str, Any] = {}


def _template(kind: str) -> Any:
    if not _TEMPLATES:
        _TEMPLATES["order"] = json.loads(SAMPLE.order_file("ALFA-2026-0001").read_text())
        _TEMPLATES["ack"] = json.loads(SAMPLE.ack_file("ALFA-2026-0001").read_text())
        _TEMPLATES["report"] = json.loads(SAMPLE.report_file("ALFA-2026-0001").read_text())
    return copy.deepcopy(_TEMPLATES[kind])


def order_id(n: int) -> str:
    return f"ALFA-2027-{n:04d}"


def directive(oid: str, **changes: Any) -> bytes:
    value = _template("order")
    value.update(order_id=oid, **changes)
    return dumps(value)


def issued(first: int, last: int) -> dict[str, bytes]:
    """High Command's side on a git or GitHub hub: directives ``first``..``last`` by hub path."""
    return {f"orders/{order_id(n)}.json": directive(order_id(n)) for n in range(first, last + 1)}


def put_directives(hub_root: Path, ids: list[str]) -> None:
    """High Command's side: directives in a folder hub's orders/."""
    for oid in ids:
        write_bytes_atomic(hub_root / "orders" / f"{oid}.json", directive(oid))


def answer(layout: Layout, oid: str, data: bytes | None = None) -> None:
    """Mirror the directive (if given) and write a paired acknowledgement and report."""
    if data is not None:
        write_bytes_atomic(layout.order_file(oid), data)
    order_digest = sha256_bytes(layout.order_file(oid).read_bytes())
    ack = _template("ack")
    ack.update(ack_id=f"ACK-{oid}", order={"order_id": oid, "digest": {"sha256": order_digest}})
    ack_bytes = dumps(ack)
    write_bytes_atomic(layout.ack_file(oid), ack_bytes)
    report = _template("report")
    report.update(
        report_id=f"RPT-{oid}",
        order={"order_id": oid, "digest": {"sha256": order_digest}},
        ack={"ack_id": f"ACK-{oid}", "digest": {"sha256": sha256_bytes(ack_bytes)}},
    )
    write_bytes_atomic(layout.report_file(oid), dumps(report))


def export_quilt(layout: Layout, oid: str) -> Path:
    """A telemetry export for ``oid``: the sample's quilt CSV under a manifest of its own."""
    sample = json.loads(
        SAMPLE.quilt_export_file("ALFA-2026-0001", ".manifest.json").read_text(encoding="utf-8")
    )
    csv = layout.quilt_export_file(oid, ".quilt.csv")
    data = SAMPLE.quilt_export_file("ALFA-2026-0001", ".quilt.csv").read_bytes()
    write_bytes_atomic(csv, data)
    files = [
        {
            "path": layout.rel(csv),
            "format": "csv",
            "digest": {"sha256": sha256_bytes(data)},
            "bytes": len(data),
        }
    ]
    manifest = layout.quilt_export_file(oid, ".manifest.json")
    write_bytes_atomic(manifest, dumps({**sample, "order_id": oid, "files": files}))
    return manifest


def enter(layout: Layout, oid: str, *, sealed: bool = True, lot: str | None = None) -> None:
    """A ledger entry over the order's files and quilt, sealed by a named reviewer or pending."""
    manifest = export_quilt(layout, oid)
    subjects = [
        {
            "name": layout.rel(path),
            "role": role,
            "digest": {"sha256": sha256_bytes(path.read_bytes())},
        }
        for path, role in (
            (layout.order_file(oid), "order"),
            (layout.ack_file(oid), "acknowledgement"),
            (layout.report_file(oid), "report"),
            (manifest, "quilt-export"),
        )
    ]
    signoff: dict[str, Any] = {"state": "pending"}
    if sealed:
        signoff = {
            "state": "sealed",
            "method": "local",
            "reviewer": "Quality Lead",
            "at": "2026-11-24T09:00:00Z",
        }
    entry = {
        "order_id": oid,
        "lot": lot,
        "subjects": subjects,
        "stages": [],
        "signoff": signoff,
        "created_at": "2026-11-23T18:00:00Z",
    }
    write_entry(
        layout, LedgerEntry.model_validate({k: v for k, v in entry.items() if v is not None})
    )
    rebuild_index(layout)
    note = layout.storyboard_file(oid)
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text(f"# {oid}\n\nAnswered and entered in the ledger.\n", encoding="utf-8")


# What a factory repository carries besides its evidence, so readiness can be green.
_FACTORY_DOCS = ("README.md", "RUNBOOK.md", ".pre-commit-config.yaml")
_FACTORY_FOLDERS = ("planning/toyfoundry", "new_major_pivots", "tools", "hooks")


def empty_factory(root: Path) -> Layout:
    """A factory at ``root`` with nothing in it yet: the folders that make it one."""
    layout = Layout(root)
    layout.orders.mkdir(parents=True, exist_ok=True)
    return layout


def factory_docs(root: Path) -> None:
    """Copy this repository's docs, catalogue and tools into a new factory at ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    for name in _FACTORY_DOCS:
        shutil.copy2(SAMPLE.root / name, root / name)
    for folder in _FACTORY_FOLDERS:
        shutil.copytree(SAMPLE.root / folder, root / folder, dirs_exist_ok=True)
    shutil.copy2(SAMPLE.change_log, Layout(root).change_log)
    empty_factory(root)
    local_signoff(root)


def local_signoff(root: Path) -> None:
    """Commit ``signoff.method = "local"``: the kit's factories seal by a named reviewer, and
    the policy counts only as committed."""
    config = root / ".toyfoundry" / "config.toml"
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('signoff.method = "local"\n', encoding="utf-8")
    if not (root / ".git").exists():
        init_repo(root)
    git(root, "add", "--", ".toyfoundry/config.toml")
    git(root, "commit", "-qm", "Sign off locally")


def sealed_factory(root: Path, count: int, *, start: int = 1) -> tuple[Layout, list[str]]:
    """A readiness-green factory holding ``count`` answered orders with sealed entries.

    The directives were issued by its embedded hub, which holds them (a hub takes evidence
    only for orders it issued); tests on other hubs issue them there with ``directive``.
    """
    factory_docs(root)
    layout = Layout(root)
    ids = [order_id(n) for n in range(start, start + count)]
    put_directives(layout.default_hub, ids)
    for oid in ids:
        answer(layout, oid, directive(oid))
        enter(layout, oid)
    return layout, ids
