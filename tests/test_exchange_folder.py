"""Pull and push against the embedded folder hub, as an operator runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import log_files, logged_runs, run_cli
from tests.exchange_kit import (
    answer,
    committed_sealed_factory,
    directive,
    enter,
    factory_docs,
    put_directives,
    sealed_factory,
)
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.exchange.push import push
from toyfoundry_ci.hub import folder as folder_module
from toyfoundry_ci.hub.folder import FolderHub


def hub_files(hub: Path, folder: str) -> list[str]:
    return sorted(p.name for p in (hub / folder).glob("*.json"))


def log_runs(root: Path) -> list[dict[str, Any]]:
    return logged_runs(root, "exchange_all")


def test_push_sends_sealed_orders_once_with_receipt_and_notification(tmp_path: Path) -> None:
    layout, ids = sealed_factory(tmp_path / "factory", 3)
    hub = layout.default_hub

    first = run_cli("push", cwd=layout.root)
    assert first.returncode == 0, first.stderr
    assert "pushed 3 orders to .toyfoundry/hub in one publication" in first.stdout
    assert hub_files(hub, "acknowledgements") == [f"ACK-{i}.json" for i in ids]
    assert hub_files(hub, "reports") == [f"RPT-{i}.json" for i in ids]
    assert hub_files(hub, "orders") == [f"{i}.json" for i in ids]
    (receipt_name,) = hub_files(hub, "receipts")
    receipt = json.loads((hub / "receipts" / receipt_name).read_text())
    assert len(receipt["items"]) == 9
    (notice_name,) = hub_files(hub, "notifications")
    notice = json.loads((hub / "notifications" / notice_name).read_text())
    assert notice["receipt_id"] == receipt["receipt_id"]
    assert [o["order_id"] for o in notice["orders"]] == ids
    assert run_cli("validate", str(hub / "receipts"), str(hub / "notifications")).returncode == 0

    again = run_cli("push", cwd=layout.root)
    assert again.returncode == 0, again.stderr
    assert "nothing new to push to .toyfoundry/hub: 3 orders already on the hub" in again.stdout
    assert hub_files(hub, "receipts") == [receipt_name]
    runs = log_runs(layout.root)
    assert [(r["direction"], r["result"]) for r in runs] == [
        ("push", "ok"),
        ("push", "nothing-new"),
    ]
    assert runs[0]["receipt_id"] == receipt["receipt_id"]


def test_only_sealed_orders_leave_and_pending_ones_wait(tmp_path: Path) -> None:
    layout, ids = sealed_factory(tmp_path / "factory", 1)
    pending = "ALFA-2027-0100"
    answer(layout, pending, directive(pending))
    enter(layout, pending, sealed=False)
    unanswered = "ALFA-2027-0101"
    (layout.orders / f"{unanswered}.json").write_bytes(directive(unanswered))
    put_directives(layout.default_hub, [pending, unanswered])

    result = run_cli("push", cwd=layout.root)

    assert result.returncode == 0, result.stderr
    assert f"waiting {pending}: sign-off pending" in result.stdout
    assert hub_files(layout.default_hub, "acknowledgements") == [f"ACK-{ids[0]}.json"]


def test_evidence_changed_after_sign_off_is_held_back(tmp_path: Path) -> None:
    layout, ids = sealed_factory(tmp_path / "factory", 2)
    report = layout.report_file(ids[1])
    value = json.loads(report.read_text())
    value["yield_pct"] = 42.0
    report.write_text(json.dumps(value, indent=2, sort_keys=True) + "\n")

    refused = run_cli("push", cwd=layout.root)
    assert refused.returncode == 1
    assert "readiness is red (ledger-evidence); refusing to push" in refused.stderr
    assert hub_files(layout.default_hub, "acknowledgements") == []

    # Behind the gate, push itself still holds back evidence that is not what was sealed.
    result = push(layout, FolderHub(layout.default_hub), "factory", gate=False)
    assert [oid for oid, _ in result.held] == [ids[1]]
    assert result.held[0][1].startswith(f"exchange/reports/RPT-{ids[1]}.json is not the file")
    assert hub_files(layout.default_hub, "reports") == [f"RPT-{ids[0]}.json"]


def test_dry_run_lists_and_sends_nothing(tmp_path: Path) -> None:
    layout, ids = sealed_factory(tmp_path / "factory", 2)

    result = run_cli("push", "--dry-run", cwd=layout.root)

    assert result.returncode == 0, result.stderr
    assert f"would send {ids[0]}" in result.stdout
    assert "dry run: 2 orders would go to .toyfoundry/hub" in result.stdout
    assert hub_files(layout.default_hub, "acknowledgements") == []
    assert not log_files(layout.root, "exchange_all")  # a dry run is no exchange: not recorded
    audit = run_cli("status", cwd=layout.root)
    assert f"{ids[0]}  signed-off" in audit.stdout


def test_push_killed_before_the_receipt_completes_on_rerun(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout, ids = sealed_factory(tmp_path / "factory", 3)
    hub = FolderHub(layout.default_hub)
    real_write = folder_module.write_bytes_atomic

    def dies_at_receipt(path: Path, data: bytes) -> bool:
        if path.parent.name == "receipts":
            raise KeyboardInterrupt
        return real_write(path, data)

    monkeypatch.setattr(folder_module, "write_bytes_atomic", dies_at_receipt)
    with pytest.raises(KeyboardInterrupt):
        push(layout, hub, "factory")
    assert hub_files(layout.default_hub, "reports") and not hub_files(
        layout.default_hub, "receipts"
    )
    monkeypatch.setattr(folder_module, "write_bytes_atomic", real_write)

    result = push(layout, FolderHub(layout.default_hub), "factory")

    assert [e.order_id for e in result.sent] == ids
    assert len(hub_files(layout.default_hub, "receipts")) == 1
    assert len(hub_files(layout.default_hub, "notifications")) == 1
    assert len(hub_files(layout.default_hub, "acknowledgements")) == 3
    assert push(layout, FolderHub(layout.default_hub), "factory").result == "nothing-new"


def test_hub_holding_a_different_version_is_a_conflict(tmp_path: Path) -> None:
    layout, ids = sealed_factory(tmp_path / "factory", 1)
    assert push(layout, FolderHub(layout.default_hub), "factory").result == "ok"
    other = Layout(tmp_path / "other")
    factory_docs(other.root)
    answer(other, ids[0], directive(ids[0], notes="Another factory's copy."))
    enter(other, ids[0])
    other_hub = FolderHub(layout.default_hub)

    result = push(other, other_hub, "factory")

    assert result.sent == []
    assert result.held[0][1].startswith("the hub already holds a different")


def test_pull_then_push_round_trip_via_runbook_entry_point(tmp_path: Path) -> None:
    layout = Layout(tmp_path / "factory")
    factory_docs(layout.root)
    put_directives(layout.default_hub, ["ALFA-2027-0001", "ALFA-2027-0002"])
    runbook = Path(__file__).resolve().parent.parent / "tools" / "exchange_all.py"

    pulled = run_cli_script(runbook, "pull", cwd=layout.root)
    assert pulled.returncode == 0, pulled.stderr
    assert "pulled from .toyfoundry/hub: 2 new, 0 changed, 0 unchanged" in pulled.stdout
    for oid in ("ALFA-2027-0001", "ALFA-2027-0002"):
        answer(layout, oid)
        enter(layout, oid)

    pushed = run_cli_script(runbook, "push", cwd=layout.root)
    assert pushed.returncode == 0, pushed.stderr
    assert "pushed 2 orders" in pushed.stdout
    assert [r["direction"] for r in log_runs(layout.root)] == ["pull", "push"]


def run_cli_script(script: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(script), *args], cwd=cwd, capture_output=True, text=True, check=False
    )


def test_halt_refuses_every_push_and_the_gate_guards_what_leaves(tmp_path: Path) -> None:
    layout, _ = sealed_factory(tmp_path / "factory", 1)
    assert run_cli("push", cwd=layout.root).returncode == 0
    (layout.root / "RUNBOOK.md").unlink()

    # Red, but nothing would leave: the gate guards publishing, so this says nothing new.
    idle = run_cli("push", cwd=layout.root)
    assert idle.returncode == 0, idle.stderr
    assert "nothing new to push" in idle.stdout

    # Something to send while red: refused, naming the failing checks; the hub is unchanged.
    answer(layout, "ALFA-2027-0200", directive("ALFA-2027-0200"))
    enter(layout, "ALFA-2027-0200")
    put_directives(layout.default_hub, ["ALFA-2027-0200"])
    red = run_cli("push", cwd=layout.root)
    assert red.returncode == 1
    assert "readiness is red (docs-present, docs-aligned); refusing to push" in red.stderr
    assert "ACK-ALFA-2027-0200.json" not in hub_files(layout.default_hub, "acknowledgements")

    # Two red runs halt production: then even an idle push is refused.
    for _ in range(2):
        assert run_cli("readiness", "--record", cwd=layout.root).returncode == 1
    halted = run_cli("push", cwd=layout.root)
    assert halted.returncode == 1
    assert "push refused: production is halted" in halted.stderr


def test_committed_evidence_already_sent_is_told_by_blob_ids_and_left_out_of_the_log(
    tmp_path: Path,
) -> None:
    layout, ids = committed_sealed_factory(tmp_path / "factory", 3)
    first = run_cli("push", cwd=layout.root)
    assert first.returncode == 0, first.stderr
    # Without a terminal each order something happened to is a plain line on stderr.
    lines = first.stderr.splitlines()
    assert lines[:3] == [f"push: {n}/3 {oid} ready" for n, oid in enumerate(ids, 1)]
    assert lines[3:] == ["push: sending 3 orders to .toyfoundry/hub"]

    again = run_cli("push", cwd=layout.root)
    assert again.returncode == 0, again.stderr
    assert "3 orders already on the hub" in again.stdout
    assert "already on the hub" not in again.stderr  # nothing happened to them: no line each

    # The one whose committed acknowledgement was edited afterwards is read, not trusted by
    # its blob ID: the hub holds other bytes, so it is not "already there".
    ack = layout.ack_file(ids[1])
    doc = json.loads(ack.read_text(encoding="utf-8"))
    ack.write_text(json.dumps(doc, indent=4) + "\n", encoding="utf-8")
    edited = run_cli("push", "--dry-run", cwd=layout.root)
    assert "2 orders already on the hub" in edited.stdout, edited.stdout
    assert ids[1] in edited.stdout + edited.stderr
