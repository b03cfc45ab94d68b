"""`toyfoundry pair`: orders with their acks and reports, by the digests they cite."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import committed, run_cli
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.pairing import pair
from toyfoundry_ci.ledger.render import pairing_json


def test_sample_batch_is_paired(factory: Path) -> None:
    proc = run_cli("pair", cwd=factory)
    assert proc.returncode == 0, proc.stderr
    assert "ALFA-2026-0001: paired" in proc.stdout
    assert proc.stdout.strip().endswith("ok: 3 orders: 3 paired")


def test_markdown_is_a_table_for_pr_comments(factory: Path) -> None:
    proc = run_cli("pair", "--format", "markdown", cwd=factory)
    lines = proc.stdout.splitlines()
    assert lines[0] == "| order | order file | ack | report | status |"
    assert "| `ALFA-2026-0002` | ✅ | ✅ | ✅ | paired |" in lines


def test_an_altered_order_breaks_pairing_and_names_the_citing_file(factory: Path) -> None:
    order = factory / "exchange/orders/ALFA-2026-0001.json"
    order.write_text(order.read_text().replace('"qty": 120', '"qty": 121'))
    proc = run_cli("pair", "--format", "json", cwd=factory)
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    broken = next(o for o in doc["orders"] if o["order_id"] == "ALFA-2026-0001")
    assert broken["status"] == "broken"
    assert any(
        p.startswith("exchange/acknowledgements/ACK-ALFA-2026-0001.json::$.order.digest.sha256")
        for p in broken["problems"]
    )


def test_orphans_and_overdue_orders(factory: Path) -> None:
    (factory / "exchange/orders/ALFA-2026-0002.json").unlink()
    order = json.loads((factory / "exchange/orders/ALFA-2026-0003.json").read_text())
    order["order_id"] = "ALFA-2026-0004"
    (factory / "exchange/orders/ALFA-2026-0004.json").write_text(json.dumps(order))
    proc = run_cli(
        "pair", "--format", "github", cwd=factory, env={"SOURCE_DATE_EPOCH": "1893456000"}
    )
    assert proc.returncode == 1
    assert "::error file=exchange/acknowledgements/ACK-ALFA-2026-0002.json" in proc.stdout
    assert "::warning title=pairing::ALFA-2026-0004 is overdue" in proc.stdout
    text = run_cli("pair", cwd=factory, env={"SOURCE_DATE_EPOCH": "1893456000"}).stdout
    assert "ALFA-2026-0004: overdue" in text
    assert "exchange/reports/RPT-ALFA-2026-0002.json: orphan" in text


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.permutations(["ALFA-2026-0001", "ALFA-2026-0002", "ALFA-2026-0003"]))
def test_pairing_does_not_depend_on_the_order_files_appear_in(
    tmp_path_factory: object, order: list[str]
) -> None:
    root = Path(tmp_path_factory.mktemp("perm"))  # type: ignore[attr-defined]
    sample = committed() / "exchange"
    for folder, prefix in (("orders", ""), ("acknowledgements", "ACK-"), ("reports", "RPT-")):
        (root / "exchange" / folder).mkdir(parents=True)
        for order_id in order:  # creation order changes inode and directory order
            name = f"{prefix}{order_id}.json"
            shutil.copy2(sample / folder / name, root / "exchange" / folder / name)
    report = pair(Layout(root))
    assert report.ok
    baseline = pair(Layout(committed()))
    assert pairing_json(report) == pairing_json(baseline)
