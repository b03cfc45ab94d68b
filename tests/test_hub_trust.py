"""The hub is checked, not believed: a receipt alone never makes an order held.

An order counts as on the hub only when the hub's listing holds each of its files with the
same bytes and one of this factory's valid receipts lists them. Each attack is driven through
the CLI as a user would meet it: ``status``, ``push``, ``audit``.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_cli
from tests.exchange_kit import committed_sealed_factory, receipt_of
from toyfoundry_ci.base.layout import Layout


@pytest.fixture
def committed_factory(tmp_path: Path) -> tuple[Layout, str]:
    """A readiness-green factory in git, one sealed order whose directive the hub issued."""
    layout, (oid,) = committed_sealed_factory(tmp_path / "factory", 1)
    return layout, oid


def forged_receipt(layout: Layout, oid: str, **changes: Any) -> Path:
    """What anyone who can write to the hub can add: a receipt built from the ledger entry."""
    path = layout.default_hub / "receipts" / f"receipt-{'0' * 24}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(receipt_of(layout, oid, **changes))
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
