"""Emitting artifacts by hand: valid payloads, or the schema's errors and exit 1."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT, run_cli
from foundry_helpers import cli_ok


def test_emit_order_from_flags_is_valid(tmp_path: Path) -> None:
    out = cli_ok(
        tmp_path,
        "emit", "order", "--order-id", "ALFA-2026-0401", "--due-date", "2026-12-01",
        "--line", "TOY-ROBOT-01:5", "--set", "issued_at=2026-11-01T08:00:00Z",
    )  # fmt: skip
    doc = json.loads(out)
    assert doc["lines"] == [{"line": 1, "qty": 5, "sku": "TOY-ROBOT-01"}]
    assert doc["kind"] == "order" and doc["pivot"] == "v1"


def test_emit_refuses_invalid_payload_with_schema_errors(tmp_path: Path) -> None:
    proc = run_cli(
        "emit", "order", "--order-id", "ALFA-2026-0401", "--due-date", "2026-12-01",
        "--line", "TOY-ROBOT-01:0", "--out", "o.json", cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "o.json::$.lines[0].qty: 0 is less than the minimum of 1" in proc.stderr
    assert "refused: the order is not valid" in proc.stderr
    assert not (tmp_path / "o.json").exists()


def test_emit_report_from_template_with_edits(factory: Path, tmp_path: Path) -> None:
    template = factory / "exchange/reports/RPT-ALFA-2026-0001.json"
    out = tmp_path / "r.json"
    cli_ok(tmp_path, "emit", "report", "--template", str(template),
           "--set", "verdict=late", "--set", "on_time=false", "--out", str(out))  # fmt: skip
    doc = json.loads(out.read_text())
    assert doc["verdict"] == "late" and doc["on_time"] is False
    assert "already holds" in cli_ok(
        tmp_path, "emit", "report", "--template", str(out), "--out", str(out)
    )


def test_emit_ack_from_order_matches_forge(factory: Path) -> None:
    out = cli_ok(factory, "emit", "ack", "--from-order", "exchange/orders/ALFA-2026-0003.json")
    assert json.loads(out)["order"]["order_id"] == "ALFA-2026-0003"


def test_runbook_v1_emitter(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools/factory_order_emitter.py"), "order",
         "--order-id", "ALFA-2026-0402", "--due-date", "2026-12-01", "--line", "TOY-KITE-03:3"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["order_id"] == "ALFA-2026-0402"
    proc = subprocess.run(
        [sys.executable, str(REPO_ROOT / "tools/factory_order_emitter.py"), "order"],
        cwd=tmp_path, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 1
    assert '-::$: "order_id" is a required property' in proc.stderr
