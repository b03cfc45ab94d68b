"""High Command changes its mind, factories switch hubs, and status and audit read the hub.

Only the hub writes its ``orders/``: a push sends answers to directives the hub holds, byte
for byte, and holds back the rest by name. Promotion is what this factory's receipts on the
hub say, read at once (receipts reach the repository only with a later intake).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from tests.conftest import git, init_repo, logged_runs, run_cli
from tests.exchange_kit import answer, directive, enter, factory_docs, put_directives
from toyfoundry_ci.base.canonical import sha256_bytes
from toyfoundry_ci.base.layout import Layout

KEPT, GONE = "ALFA-2027-0001", "ALFA-2027-0002"


def answered_factory(tmp_path: Path, hub: Path, ids: list[str]) -> Layout:
    """A factory that pulled ``ids`` from the folder ``hub`` and answered and sealed them."""
    layout = Layout(tmp_path / "factory")
    factory_docs(layout.root)
    put_directives(hub, ids)
    pulled = run_cli("pull", "--hub", str(hub), cwd=layout.root)
    assert pulled.returncode == 0, pulled.stderr
    for oid in ids:
        answer(layout, oid)
        enter(layout, oid)
    return layout


def runs(layout: Layout) -> list[dict[str, object]]:
    return logged_runs(layout.root, "exchange_all")


def test_a_hub_never_receives_evidence_for_orders_it_did_not_issue(tmp_path: Path) -> None:
    issuer, other = tmp_path / "hub-a", tmp_path / "hub-b"
    layout = answered_factory(tmp_path, issuer, [KEPT])
    put_directives(other, ["ALFA-2027-0900"])
    before = sorted(p.name for p in (other / "orders").iterdir())

    wrong = run_cli("push", "--hub", str(other), cwd=layout.root)
    right = run_cli("push", "--hub", str(issuer), cwd=layout.root)

    assert wrong.returncode == 0, wrong.stderr  # not this hub's order: not a failure
    assert f"not sent {KEPT}: {other} never issued {KEPT} (it has no orders/{KEPT}.json)" in (
        wrong.stdout
    )
    assert f"nothing new to push to {other}" in wrong.stdout
    assert sorted(p.name for p in (other / "orders").iterdir()) == before
    assert not (other / "acknowledgements").exists() and not (other / "receipts").exists()
    assert right.returncode == 0, right.stderr
    (receipt,) = (issuer / "receipts").glob("*.json")
    cited = {i["path"] for i in json.loads(receipt.read_text())["items"]}
    assert f"orders/{KEPT}.json" in cited  # the receipt cites the directive it answers


def test_a_directive_amended_after_its_answer_is_quarantined_and_held(tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    layout = answered_factory(tmp_path, hub, [KEPT])
    answered = layout.order_file(KEPT).read_bytes()
    (hub / "orders" / f"{KEPT}.json").write_bytes(directive(KEPT, notes="Amended."))

    pulled = run_cli("pull", "--hub", str(hub), cwd=layout.root)
    pushed = run_cli("push", "--hub", str(hub), cwd=layout.root)

    assert pulled.returncode == 1
    assert "High Command must issue a new order ID" in pulled.stdout
    assert layout.order_file(KEPT).read_bytes() == answered
    assert pushed.returncode == 1
    assert f"held {KEPT}: High Command amended orders/{KEPT}.json after it was answered" in (
        pushed.stdout
    )
    assert not (hub / "receipts").exists()


def test_a_withdrawn_directive_is_reported_kept_marked_and_never_pushed(tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    layout = answered_factory(tmp_path, hub, [KEPT, GONE])
    (hub / "orders" / f"{GONE}.json").unlink()

    first = run_cli("pull", "--hub", str(hub), cwd=layout.root)
    again = run_cli("pull", "--hub", str(hub), cwd=layout.root)
    pushed = run_cli("push", "--hub", str(hub), cwd=layout.root)
    status = run_cli("status", "--hub", str(hub), "--format", "json", cwd=layout.root)

    assert first.returncode == 0, first.stderr
    assert f"withdrawn: {GONE} (kept in exchange/orders/, never pushed)" in first.stdout
    assert f"still withdrawn: {GONE}" in again.stdout
    assert layout.order_file(GONE).is_file()
    pull_run = runs(layout)[1]
    assert pull_run["withdrawn"] == [
        {"order_id": GONE, "digest": {"sha256": pull_run["withdrawn"][0]["digest"]["sha256"]}}
    ]
    assert pushed.returncode == 0, pushed.stderr
    assert f"not sent {GONE}: withdrawn by High Command" in pushed.stdout
    assert f"sent {KEPT}" in pushed.stdout
    assert not (hub / "acknowledgements" / f"ACK-{GONE}.json").exists()
    rows = {r["order_id"]: r for r in json.loads(status.stdout)}
    assert rows[GONE]["withdrawn"] is True and rows[GONE]["stage"] == "signed-off"
    assert rows[KEPT]["stage"] == "promoted"


def test_a_log_that_says_withdrawn_is_not_believed_while_the_hub_holds_the_order(
    tmp_path: Path,
) -> None:
    """The exchange log is committed, so a pull request can write 'withdrawn' into it."""
    hub = tmp_path / "hub"
    layout = answered_factory(tmp_path, hub, [KEPT])
    pull_run = next(r for r in runs(layout) if r["direction"] == "pull")
    digest = {"sha256": sha256_bytes(layout.order_file(KEPT).read_bytes())}
    forged = {**pull_run, "withdrawn": [{"order_id": KEPT, "digest": digest}]}
    log = {"kind": "exchange-log", "pivot": "v1", "runs": [forged]}
    # A record file that sorts last: the latest pull, as far as the log says.
    (layout.root / "logs/exchange_all.d/29991231T235959Z-9999-000000000000.json").write_text(
        json.dumps(log)
    )

    status = run_cli("status", "--hub", str(hub), "--format", "json", cwd=layout.root)

    assert status.returncode == 0, status.stderr
    rows = {r["order_id"]: r for r in json.loads(status.stdout)}
    assert rows[KEPT]["withdrawn"] is False


def test_status_and_audit_read_promotion_from_the_hub_at_once(tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    layout = answered_factory(tmp_path, hub, [KEPT])
    init_repo(layout.root)
    (layout.root / "pyproject.toml").write_text(f'[tool.toyfoundry]\nhub = "{hub}"\n')
    git(layout.root, "add", "-A")
    git(layout.root, "commit", "-qm", "Answer and seal")

    assert f"{KEPT}  signed-off  toyfoundry push" in run_cli("status", cwd=layout.root).stdout
    dry = run_cli("push", "--dry-run", cwd=layout.root)
    assert dry.returncode == 0 and f"would send {KEPT}" in dry.stdout
    assert "pushed: never" in run_cli("audit", KEPT, cwd=layout.root).stdout
    pushed = run_cli("push", cwd=layout.root)
    assert pushed.returncode == 0, pushed.stderr
    receipt = json.loads(next((hub / "receipts").glob("*.json")).read_text())

    status = run_cli("status", cwd=layout.root)
    audit = run_cli("audit", KEPT, cwd=layout.root)

    assert f"{KEPT}  promoted    - (receipt {receipt['receipt_id']}," in status.stdout
    assert audit.returncode == 0, audit.stderr
    assert f"to {hub}: receipt {receipt['receipt_id']} (on the hub)" in audit.stdout
    assert "pushed: never" not in audit.stdout
    assert [r["result"] for r in runs(layout)] == ["ok", "ok"]  # the pull and the push
    assert "None" not in status.stdout + audit.stdout


def test_only_this_factorys_valid_receipts_promote(tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    layout = answered_factory(tmp_path, hub, [KEPT])
    assert run_cli("push", "--hub", str(hub), cwd=layout.root).returncode == 0
    (receipt,) = (hub / "receipts").glob("*.json")
    value = json.loads(receipt.read_text())
    (hub / "receipts" / "broken.json").write_text('{"kind": "receipt"}')
    receipt.write_text(json.dumps({**value, "factory": "another-factory"}))

    status = run_cli("status", "--hub", str(hub), cwd=layout.root)

    assert f"{KEPT}  signed-off" in status.stdout
    assert "receipts/broken.json refused (not a valid receipt" in status.stderr


def test_audit_counts_no_dry_run_or_failed_run_as_a_push(tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    layout = answered_factory(tmp_path, hub, [KEPT])
    init_repo(layout.root)
    digest = {"sha256": "1" * 64}
    old = [
        {"at": "2026-11-25T09:00:00Z", "direction": "push", "hub": str(hub), "result": result,
         "orders": [{"order_id": KEPT, "digest": digest}]}
        for result in ("dry-run", "failed")
    ]  # fmt: skip
    log = {"kind": "exchange-log", "pivot": "v1", "runs": old}
    layout.exchange_log.write_text(json.dumps(log))
    git(layout.root, "add", "-A")
    git(layout.root, "commit", "-qm", "Exchange records from an older release")
    shutil.rmtree(hub / "receipts", ignore_errors=True)

    audit = run_cli("audit", KEPT, "--hub", str(hub), cwd=layout.root)

    assert audit.returncode == 0, audit.stderr
    assert "pushed: never" in audit.stdout
    assert "None" not in audit.stdout
