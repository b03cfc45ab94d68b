"""The hub is checked, not believed: a receipt alone never makes an order held.

An order counts as on the hub only when the hub's listing holds each of its files with the
same bytes and one of this factory's valid receipts lists them. Each attack is driven through
the CLI as a user would meet it: ``status``, ``push``, ``audit``.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import git, run_cli
from tests.exchange_kit import sealed_factory
from toyfoundry_ci.base.canonical import dumps
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.hub.config import settings
from toyfoundry_ci.hub.protocol import evidence_hub_paths
from toyfoundry_ci.ledger.store import read_entry

GITIGNORE = Path(__file__).parents[1] / "toyfoundry_ci/templates/init/_gitignore"


@pytest.fixture
def committed_factory(tmp_path: Path) -> tuple[Layout, str]:
    """A readiness-green factory in git, one sealed order whose directive the hub issued."""
    layout, (oid,) = sealed_factory(tmp_path / "factory", 1)
    shutil.copy(GITIGNORE, layout.root / ".gitignore")
    git(layout.root, "init", "-q", "-b", "main")
    git(layout.root, "add", "-A")
    git(layout.root, "commit", "-q", "-m", "factory: one sealed order")
    return layout, oid


def forged_receipt(layout: Layout, oid: str, **changes: Any) -> Path:
    """What anyone who can write to the hub can add: a receipt built from the ledger entry."""
    entry = read_entry(layout, oid)
    assert entry is not None
    hub_path = dict(
        zip(("order", "acknowledgement", "report"), evidence_hub_paths(oid), strict=True)
    )
    items = [
        {"order_id": oid, "path": hub_path[s.role], "digest": {"sha256": s.digest.sha256}}
        for s in entry.subjects
        if s.role in hub_path
    ]
    receipt = {
        "kind": "receipt",
        "pivot": "v1",
        "receipt_id": "receipt-" + "0" * 24,
        "factory": settings(layout).factory,
        "hub": ".toyfoundry/hub",
        "pushed_at": "2026-11-30T12:00:00Z",
        "items": items,
        **changes,
    }
    path = layout.default_hub / "receipts" / f"receipt-{'0' * 24}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(dumps(receipt))
    return path


def stage(layout: Layout, oid: str) -> dict[str, Any]:
    proc = run_cli("status", "--format", "json", cwd=layout.root)
    assert "Traceback" not in proc.stderr
    (row,) = [r for r in json.loads(proc.stdout) if r["order_id"] == oid]
    return dict(row, notes=proc.stderr)


def pushed_to_hub(layout: Layout, oid: str) -> None:
    proc = run_cli("push", cwd=layout.root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"sent {oid}" in proc.stdout
    hub = layout.default_hub
    assert (hub / f"acknowledgements/ACK-{oid}.json").is_file()
    assert (hub / f"reports/RPT-{oid}.json").is_file()


def test_a_receipt_without_files_is_not_believed(committed_factory: tuple[Layout, str]) -> None:
    layout, oid = committed_factory
    forged = forged_receipt(layout, oid)
    row = stage(layout, oid)
    assert row["stage"] == "signed-off"
    assert row["receipt"] is None
    assert f"{forged.name} lists {oid} but the hub does not hold" in row["notes"]
    audit = run_cli("audit", oid, cwd=layout.root)
    assert audit.returncode == 0, audit.stderr
    assert "pushed: never" in audit.stdout
    assert f"{forged.name} lists {oid} but the hub does not hold" in audit.stdout
    pushed_to_hub(layout, oid)
    assert stage(layout, oid)["stage"] == "promoted"


def test_another_factorys_receipt_is_not_this_factorys_push(
    committed_factory: tuple[Layout, str],
) -> None:
    layout, oid = committed_factory
    forged_receipt(layout, oid, factory="another-factory")
    assert stage(layout, oid)["stage"] == "signed-off"
    assert "pushed: never" in run_cli("audit", oid, cwd=layout.root).stdout
    pushed_to_hub(layout, oid)


@pytest.mark.parametrize("receipt_id", ["../../etc/passwd", "receipt id", "", 7])
def test_a_receipt_with_a_malformed_id_is_a_hub_error_naming_the_file(
    committed_factory: tuple[Layout, str], receipt_id: Any
) -> None:
    layout, oid = committed_factory
    forged = forged_receipt(layout, oid, receipt_id=receipt_id)
    row = stage(layout, oid)
    assert row["stage"] == "signed-off"
    assert f"receipts/{forged.name} refused (not a valid receipt: $.receipt_id" in row["notes"]
    proc = run_cli("push", cwd=layout.root)
    assert "Traceback" not in proc.stderr
    assert f"refused hub receipt receipts/{forged.name}" in proc.stdout
    assert f"sent {oid}" in proc.stdout
    audit = run_cli("audit", oid, cwd=layout.root)
    assert "Traceback" not in audit.stderr
    assert f"receipts/{forged.name} refused" in audit.stdout


def test_a_receipt_the_log_records_but_the_hub_lost_is_reported(
    committed_factory: tuple[Layout, str],
) -> None:
    layout, oid = committed_factory
    pushed_to_hub(layout, oid)
    (receipt,) = (layout.default_hub / "receipts").iterdir()
    receipt.unlink()
    row = stage(layout, oid)
    assert row["stage"] == "signed-off"
    assert f"{receipt.stem}, which the exchange log records, is not on the hub" in row["notes"]
    audit = run_cli("audit", oid, cwd=layout.root).stdout
    assert f"{receipt.stem}, which the exchange log records, is not on the hub" in audit
