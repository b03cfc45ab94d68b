"""Pull mirrors directives and quarantines whatever is unsafe, invalid or a silent replacement."""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import logged_runs, run_cli
from tests.exchange_kit import answer, directive, empty_factory, put_directives


def test_pull_mirrors_new_then_says_nothing_new(tmp_path: Path) -> None:
    layout = empty_factory(tmp_path / "factory")
    put_directives(layout.default_hub, ["ALFA-2027-0001", "ALFA-2027-0002"])

    first = run_cli("pull", cwd=layout.root)
    again = run_cli("pull", cwd=layout.root)

    assert first.returncode == 0, first.stderr
    assert "new      ALFA-2027-0001" in first.stdout
    hub_bytes = (layout.default_hub / "orders/ALFA-2027-0001.json").read_bytes()
    assert layout.order_file("ALFA-2027-0001").read_bytes() == hub_bytes
    assert again.returncode == 0
    assert "nothing new on .toyfoundry/hub: 2 directives already mirrored" in again.stdout


def test_changed_directive_not_yet_answered_is_mirrored(tmp_path: Path) -> None:
    layout = empty_factory(tmp_path / "factory")
    put_directives(layout.default_hub, ["ALFA-2027-0001"])
    assert run_cli("pull", cwd=layout.root).returncode == 0
    revised = directive("ALFA-2027-0001", priority="urgent")
    (layout.default_hub / "orders/ALFA-2027-0001.json").write_bytes(revised)

    result = run_cli("pull", cwd=layout.root)

    assert result.returncode == 0, result.stderr
    assert "changed  ALFA-2027-0001" in result.stdout
    assert layout.order_file("ALFA-2027-0001").read_bytes() == revised


def test_bad_directives_are_quarantined_never_mirrored(tmp_path: Path) -> None:
    layout = empty_factory(tmp_path / "factory")
    orders = layout.default_hub / "orders"
    put_directives(layout.default_hub, ["ALFA-2027-0001", "ALFA-2027-0002"])
    assert run_cli("pull", cwd=layout.root).returncode == 0
    answer(layout, "ALFA-2027-0001")  # the factory already answered this directive
    (orders / "ALFA-2027-0001.json").write_bytes(directive("ALFA-2027-0001", notes="Replaced."))
    (orders / "..evil.json").write_bytes(directive("ALFA-2027-0003"))
    bad = json.loads(directive("ALFA-2027-0004"))
    bad["lines"][0]["qty"] = 0
    (orders / "ALFA-2027-0004.json").write_text(json.dumps(bad))
    (orders / "ALFA-2027-0005.json").write_bytes(directive("ALFA-2027-0006"))
    (orders / "ALFA-2027-0007.json").write_text('{"kind": "order", "kind": "order"}')
    (orders / "ALFA-2027-0008.json").symlink_to(orders / "ALFA-2027-0002.json")
    original = layout.order_file("ALFA-2027-0001").read_bytes()

    result = run_cli("pull", cwd=layout.root)

    assert result.returncode == 1
    out = result.stdout
    assert "quarantined: orders/..evil.json: '..evil' is not an order ID" in out
    assert "quarantined: orders/ALFA-2027-0004.json: $.lines[0].qty:" in out
    assert "the file is named ALFA-2027-0005 but the directive says 'ALFA-2027-0006'" in out
    assert "quarantined: orders/ALFA-2027-0007.json: $: duplicate key" in out
    assert "quarantined: orders/ALFA-2027-0008.json: the hub's file is a symbolic link" in out
    assert "would replace directive ALFA-2027-0001" in out
    assert "High Command must issue a new order ID" in out
    assert layout.order_file("ALFA-2027-0001").read_bytes() == original
    mirrored = sorted(p.name for p in layout.orders.iterdir())
    assert mirrored == ["ALFA-2027-0001.json", "ALFA-2027-0002.json"]
    report = json.loads((layout.root / ".toyfoundry/quarantine/report.json").read_text())
    assert len(report["quarantined"]) == 6
    assert len(list((layout.root / ".toyfoundry/quarantine/orders").iterdir())) == 6
    assert logged_runs(layout.root, "exchange_all")[-1]["result"] == "partial"

    again = run_cli("pull", cwd=layout.root)
    assert again.returncode == 0
    assert out.count("quarantined:") == again.stdout.count("still quarantined:") == 6
