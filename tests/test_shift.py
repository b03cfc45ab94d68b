"""`toyfoundry shift --demo` end to end on the embedded hub, twice."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli


@pytest.mark.slow
def test_demo_shift_graduates_a_lot_then_finds_nothing_new(factory: Path) -> None:
    first = run_cli("shift", "--demo", cwd=factory)

    assert first.returncode == 0, first.stdout + first.stderr
    assert "demo batch       done         3" in first.stdout
    assert "promote (push)   done         3" in first.stdout
    hub = factory / ".toyfoundry" / "hub"
    (receipt,) = (hub / "receipts").glob("*.json")
    assert len(json.loads(receipt.read_text())["items"]) == 9
    assert len(list((hub / "notifications").glob("*.json"))) == 1
    entries = [json.loads(p.read_text()) for p in (factory / "exchange/ledger/entries").glob("*")]
    demo = [e for e in entries if e["signoff"].get("method") == "demo"]
    assert len(demo) == 3
    assert all(e["signoff"]["reviewer"].startswith("Demo Reviewer") for e in demo)
    assert run_cli("validate", cwd=factory).returncode == 0

    second = run_cli("shift", "--demo", cwd=factory)

    assert second.returncode == 0, second.stdout + second.stderr
    assert "nothing new this shift" in second.stdout
    assert len(list((hub / "receipts").glob("*.json"))) == 1
    runs = json.loads((factory / "logs/exchange_all.json").read_text())["runs"]
    assert [(r["direction"], r["result"]) for r in runs][-2:] == [
        ("pull", "nothing-new"),
        ("push", "nothing-new"),
    ]
