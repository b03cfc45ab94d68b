"""A rejected order is a normal outcome: it parades, is sealed and pushed with its ack alone."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import git, logged_runs, run_cli
from tests.ledger_helpers import sign_off_locally
from toyfoundry_ci.actions.catchup import on_hub
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.hub.folder import FolderHub
from toyfoundry_ci.hub.protocol import inventory

REJECTED = "ALFA-2026-0009"


def cli(repo: Path, *args: str) -> str:
    proc = run_cli(*args, cwd=repo)
    assert proc.returncode == 0, f"{args}: {proc.stdout}\n{proc.stderr}"
    return proc.stdout


def issue_unknown_sku_order(factory: Path) -> None:
    """High Command puts a directive for a SKU no blueprint makes on the embedded hub."""
    out = factory / ".toyfoundry/hub/orders" / f"{REJECTED}.json"
    out.parent.mkdir(parents=True)
    cli(
        factory,
        "emit", "order", "--order-id", REJECTED, "--due-date", "2026-12-20",
        "--line", "TOY-UNKNOWN-99:5", "--set", "issued_at=2026-11-20T08:00:00Z",
        "--out", str(out),
    )  # fmt: skip


def test_a_rejected_order_is_done_sealed_and_pushed_with_its_ack(factory: Path) -> None:
    sign_off_locally(factory)
    issue_unknown_sku_order(factory)

    first = cli(factory, "shift")
    assert "parade           done         1" in first
    assert "(`toyfoundry signoff`)" in first
    assert "nothing sealed to send" in first  # not "0 already on the hub"
    second = cli(factory, "shift")
    assert "final gate       -            0  readiness green, as at the warm start" in second
    runs = logged_runs(factory, "ops_readiness")
    # The first shift's warm start and final gate; the second, with nothing new, its warm start.
    assert [r["verdict"] for r in runs] == ["green"] * 3

    gate = json.loads(cli(factory, "readiness", "--format", "json"))
    assert gate["verdict"] == "green"
    exports = next(c for c in gate["checks"] if c["id"] == "telemetry-exports")
    assert exports["message"] == "telemetry exports of 3 produced orders match; 1 rejected"
    ack = json.loads((factory / f"exchange/acknowledgements/ACK-{REJECTED}.json").read_text())
    assert ack["disposition"] == "reject"
    assert not (factory / f"exchange/reports/RPT-{REJECTED}.json").exists()
    assert (factory / f"planning/storyboard/{REJECTED}.md").read_text().strip()
    assert f"{REJECTED}: rejected" in cli(factory, "pair")
    assert f"{REJECTED}  purged" in cli(factory, "status")

    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "shift: one order rejected")
    cli(factory, "signoff", REJECTED, "--reviewer", "Quality Lead")
    pushed = cli(factory, "push")

    assert f"sent {REJECTED}  (acknowledgements)" in pushed  # the directive is the hub's
    hub = factory / ".toyfoundry/hub"
    sent = (hub / f"acknowledgements/ACK-{REJECTED}.json").read_bytes()
    assert sent == (factory / f"exchange/acknowledgements/ACK-{REJECTED}.json").read_bytes()
    assert not (hub / f"reports/RPT-{REJECTED}.json").exists()
    (receipt,) = (hub / "receipts").glob("*.json")
    items = json.loads(receipt.read_text())["items"]
    assert sorted(i["path"] for i in items) == [
        f"acknowledgements/ACK-{REJECTED}.json",
        f"orders/{REJECTED}.json",
    ]
    assert cli(factory, "ledger", "verify").startswith("ok: ledger verified")
    # The workflows' catch-up knows the hub holds it, so a merge run does not seal it again.
    held = inventory(FolderHub(hub))
    assert on_hub(Layout(factory), held, REJECTED) == receipt.stem
    assert run_cli("readiness", cwd=factory).returncode == 0
    assert "nothing new to push" in cli(factory, "push")
    assert f"{REJECTED}  promoted" in cli(factory, "status")  # its ack is the whole evidence
