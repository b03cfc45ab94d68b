"""`toyfoundry audit ORDER`: the order's history from git alone."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import git, run_cli
from tests.ledger_helpers import parade_entry, sign_off_locally
from toyfoundry_ci.base.canonical import dumps, sha256_file
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import rebuild_index
from toyfoundry_ci.ledger.signoff import seal_local


@pytest.fixture
def factory(unentered_factory: Path) -> Path:
    """These tests enter the sample orders themselves, so they start before any entry."""
    return unentered_factory


def test_audit_traces_evidence_pr_signoff_and_push(factory: Path) -> None:
    layout = Layout(factory)
    sign_off_locally(factory)
    git(factory, "checkout", "-q", "-b", "parade")
    parade_entry(layout, "ALFA-2026-0001")
    rebuild_index(layout)
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Parade ALFA-2026-0001")
    git(factory, "checkout", "-q", "main")
    git(factory, "merge", "-q", "--no-ff", "-m", "Merge pull request #12 from hq/parade", "parade")
    subprocess.run(["git", "config", "user.name", "Quality Lead"], cwd=factory, check=True)
    seal_local(layout, ["ALFA-2026-0001"], "Quality Lead")
    log = {"kind": "exchange-log", "pivot": "v1", "runs": [
        {"at": "2026-11-25T09:00:00Z", "direction": "push", "hub": "folder", "result": "ok",
         "receipt_id": "R-1", "orders": [{"order_id": "ALFA-2026-0001",
                                          "digest": {"sha256": "1" * 64}}]}]}  # fmt: skip
    layout.exchange_log.parent.mkdir(parents=True, exist_ok=True)
    layout.exchange_log.write_bytes(dumps(log))
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Seal ALFA-2026-0001 (#13)")

    proc = run_cli("audit", "ALFA-2026-0001", "--format", "json", cwd=factory)
    assert proc.returncode == 0, proc.stderr
    trail = json.loads(proc.stdout)
    entry_events = [e for e in trail["events"] if e["path"].startswith("exchange/ledger/entries/")]
    assert [e["change"] for e in entry_events] == ["added", "modified"]
    assert [e["pull_request"] for e in entry_events] == [12, 13]
    assert entry_events[-1]["sha256"] == sha256_file(layout.ledger_entry_file("ALFA-2026-0001"))
    order_event = next(
        e for e in trail["events"] if e["path"] == "exchange/orders/ALFA-2026-0001.json"
    )
    assert order_event["sha256"] == sha256_file(layout.order_file("ALFA-2026-0001"))
    assert [s["reviewer"] for s in trail["signoffs"]] == ["Quality Lead"]
    assert trail["pushes"][0]["receipt_id"] == "R-1"
    text = run_cli("audit", "ALFA-2026-0001", cwd=factory).stdout
    assert "signed off by Quality Lead" in text
    assert "(PR #12) added exchange/ledger/entries/ALFA-2026-0001.json" in text


def test_audit_of_an_unknown_order_says_so(factory: Path) -> None:
    proc = run_cli("audit", "ALFA-2026-0999", cwd=factory)
    assert proc.returncode == 1
    assert "no commit in this repository touches its files" in proc.stderr
    bad = run_cli("audit", "../etc", cwd=factory)
    assert bad.returncode == 1
    assert "is not an order ID" in bad.stderr
