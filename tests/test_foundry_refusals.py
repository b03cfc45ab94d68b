"""Each stage refuses what is not ready, with the reason; forge answers bad orders, no crash."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import run_cli
from foundry_helpers import add_order, cli_ok, load

OID = "ALFA-2026-0301"


def test_stages_out_of_order_are_refused(factory: Path) -> None:
    add_order(factory, OID, "TOY-KITE-03:10")
    proc = run_cli("drill", OID, cwd=factory)
    assert proc.returncode == 1
    assert f"not forged yet; run `toyfoundry forge {OID}`" in proc.stdout
    cli_ok(factory, "forge", OID)
    proc = run_cli("parade", OID, cwd=factory)
    assert proc.returncode == 1
    assert f"not drilled yet; run `toyfoundry drill {OID}`" in proc.stdout
    proc = run_cli("purge", OID, cwd=factory)
    assert proc.returncode == 1
    assert "not paraded yet, purging would lose its drafts" in proc.stdout
    assert (factory / f"outbox/acks/ACK-{OID}.json").exists()


def test_changed_order_after_forge_is_refused_by_drill(factory: Path) -> None:
    path = add_order(factory, OID, "TOY-KITE-03:10")
    cli_ok(factory, "forge", OID)
    order = load(path)
    order["lines"][0]["qty"] = 11
    path.write_text(json.dumps(order), encoding="utf-8")
    proc = run_cli("drill", OID, cwd=factory)
    assert proc.returncode == 1
    assert "cites another version of the order" in proc.stdout


def test_tampered_quilt_export_is_refused_by_parade(factory: Path) -> None:
    add_order(factory, OID, "TOY-KITE-03:10")
    cli_ok(factory, "forge", OID)
    cli_ok(factory, "drill", OID)
    csv = factory / f".toyfoundry/telemetry/quilt/exports/{OID}.quilt.csv"
    csv.write_text(csv.read_text() + "tampered\n")
    proc = run_cli("parade", OID, cwd=factory)
    assert proc.returncode == 1
    assert "not paired" in proc.stdout and "does not match the export manifest" in proc.stdout
    assert not (factory / f"exchange/ledger/entries/{OID}.json").exists()
    assert not (factory / f"exchange/reports/RPT-{OID}.json").exists()


def test_invalid_draft_is_refused_naming_file_and_place(factory: Path) -> None:
    add_order(factory, OID, "TOY-KITE-03:10")
    cli_ok(factory, "forge", OID)
    cli_ok(factory, "drill", OID)
    report_path = factory / f"outbox/reports/RPT-{OID}.json"
    report = load(report_path)
    report["yield_pct"] = 140
    report_path.write_text(json.dumps(report), encoding="utf-8")
    proc = run_cli("parade", OID, cwd=factory)
    assert proc.returncode == 1
    assert f"outbox/reports/RPT-{OID}.json::$.yield_pct:" in proc.stdout


def test_unknown_sku_and_impossible_due_date_shape_the_ack(factory: Path) -> None:
    add_order(factory, OID, "TOY-KITE-03:10", "TOY-YOYO-99:5", "TOY-ROBOT-01:5000")
    cli_ok(factory, "forge", OID)
    ack = load(factory / f"outbox/acks/ACK-{OID}.json")
    assert ack["disposition"] == "accept-with-changes"
    statuses = [line["status"] for line in ack["lines"]]
    assert statuses == ["accepted", "rejected", "changed"]
    assert "unknown SKU TOY-YOYO-99: not in the catalogue" in ack["lines"][1]["reason"]
    assert ack["lines"][2]["promised_date"] > "2026-12-20"
    assert len(ack["reasons"]) == 2


def test_rejected_order_parades_with_its_ack_alone(factory: Path) -> None:
    add_order(factory, OID, "TOY-YOYO-99:5")
    cli_ok(factory, "forge", OID)
    assert load(factory / f"outbox/acks/ACK-{OID}.json")["disposition"] == "reject"
    assert "nothing to drill" in cli_ok(factory, "drill", OID)
    cli_ok(factory, "parade", OID)
    entry = load(factory / f"exchange/ledger/entries/{OID}.json")
    assert [s["role"] for s in entry["subjects"]] == ["order", "acknowledgement"]
    assert "Nothing was built" in (factory / f"planning/storyboard/{OID}.md").read_text()


def test_unsafe_order_id_is_refused(factory: Path) -> None:
    proc = run_cli("forge", "../../etc/passwd", cwd=factory)
    assert proc.returncode == 1
    assert "is not an order ID" in proc.stderr


def test_missing_directive_is_refused(factory: Path) -> None:
    proc = run_cli("forge", "ALFA-2026-0999", cwd=factory)
    assert proc.returncode == 1
    assert "no directive exchange/orders/ALFA-2026-0999.json" in proc.stdout


def test_storyboard_note_edits_are_kept(factory: Path) -> None:
    add_order(factory, OID, "TOY-KITE-03:10")
    note = factory / f"planning/storyboard/{OID}.md"
    note.parent.mkdir(parents=True, exist_ok=True)
    note.write_text("# my own words\n")
    for stage in ("forge", "drill", "parade"):
        cli_ok(factory, stage, OID)
    assert note.read_text() == "# my own words\n"
