"""The whole Foundry Cycle on a three-order batch, in a real git repository."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import git, run_cli
from foundry_helpers import add_order, cli_ok, load, snapshot

BATCH = ("ALFA-2026-0201", "ALFA-2026-0202", "ALFA-2026-0203")


def _add_batch(repo: Path) -> None:
    add_order(repo, BATCH[0], "TOY-ROBOT-01:40")
    add_order(repo, BATCH[1], "TOY-TRAIN-02:30", "TOY-KITE-03:50")
    add_order(repo, BATCH[2], "TOY-KITE-03:25")


def _stages(repo: Path) -> dict[str, str]:
    doc = json.loads(cli_ok(repo, "status", "--format", "json"))
    return {row["order_id"]: row["stage"] for row in doc if row["order_id"] in BATCH}


def test_three_order_batch_goes_through_the_cycle(factory: Path) -> None:
    _add_batch(factory)
    git(factory, "add", "-A")
    git(factory, "commit", "-q", "-m", "intake: three directives")
    assert set(_stages(factory).values()) == {"new"}

    out = cli_ok(factory, "forge", *BATCH)
    assert out.count(": done: drafted, ack accept") == 3
    assert set(_stages(factory).values()) == {"forged"}
    ack = load(factory / "outbox/acks/ACK-ALFA-2026-0202.json")
    order_bytes = (factory / "exchange/orders/ALFA-2026-0202.json").read_bytes()
    from hashlib import sha256

    assert ack["order"]["digest"]["sha256"] == sha256(order_bytes).hexdigest()

    cli_ok(factory, "drill")
    assert set(_stages(factory).values()) == {"drilled"}
    report = load(factory / "outbox/reports/RPT-ALFA-2026-0202.json")
    assert [li["units_good"] for li in report["lines"]] == [30, 50]
    assert report["verdict"] == "fulfilled"
    manifest = load(factory / report["telemetry"]["path"])
    assert {f["format"] for f in manifest["files"]} == {"csv", "json", "svg"}
    svg = (factory / ".toyfoundry/telemetry/quilt/exports/ALFA-2026-0202.quilt.svg").read_text()
    assert svg.startswith("<svg") and "train-line-paint" in svg

    out = cli_ok(factory, "parade", "--lot", "shift-1", *BATCH)
    assert out.count("sign-off pending") == 3
    assert not list((factory / "outbox/acks").iterdir())
    entry = load(factory / "exchange/ledger/entries/ALFA-2026-0201.json")
    assert entry["signoff"] == {"state": "pending"} and entry["lot"] == "shift-1"
    roles = sorted({s["role"] for s in entry["subjects"]})
    assert roles == ["acknowledgement", "order", "quilt-export", "report"]
    for subject in entry["subjects"]:
        assert (
            sha256((factory / subject["name"]).read_bytes()).hexdigest()
            == (subject["digest"]["sha256"])
        )
    note = (factory / "planning/storyboard/ALFA-2026-0201.md").read_text()
    assert "40 came out good" in note
    assert set(_stages(factory).values()) == {"paraded"}

    out = cli_ok(factory, "purge")
    assert "cleared" in out
    assert set(_stages(factory).values()) == {"purged"}
    assert not (factory / ".toyfoundry/telemetry/quilt/raw/ALFA-2026-0201.trace.json").exists()
    assert (factory / report["telemetry"]["path"]).exists()  # cited by the ledger: kept

    assert cli_ok(factory, "validate").startswith("ok:")
    git(factory, "add", "-A")
    git(factory, "commit", "-q", "-m", "parade: three orders")
    tracked = git(factory, "ls-files")
    assert ".toyfoundry/telemetry/quilt/exports/ALFA-2026-0203.quilt.csv" in tracked

    # Every stage re-run is a no-op that says so, and changes nothing.
    for stage in ("forge", "drill", "parade", "purge"):
        out = cli_ok(factory, stage, *BATCH)
        assert "nothing to" in out, out
    assert git(factory, "status", "--porcelain") == ""


def test_two_runs_give_identical_bytes(factory: Path, tmp_path: Path) -> None:
    _add_batch(factory)
    twin = tmp_path / "twin"
    shutil.copytree(factory, twin)
    for repo, env in ((factory, {}), (twin, {"SOURCE_DATE_EPOCH": "1900000000"})):
        for stage in ("forge", "drill", "parade"):
            proc = run_cli(stage, *BATCH, cwd=repo, env=env)
            assert proc.returncode == 0, proc.stderr
    # .toyfoundry/cache holds stat data (inodes, mtimes) and is never committed: left out.
    folders = ("outbox", "exchange", "planning", ".toyfoundry/telemetry")
    first, second = snapshot(factory, *folders), snapshot(twin, *folders)
    assert first == second
    assert any(name.endswith(".quilt.svg") for name in first)


def test_status_prints_a_table(factory: Path) -> None:
    _add_batch(factory)
    cli_ok(factory, "forge", BATCH[0])
    out = cli_ok(factory, "status")
    assert out.splitlines()[0].split() == ["ORDER", "STAGE", "NEXT"]
    assert f"{BATCH[0]}  forged" in out
    assert f"{BATCH[1]}  new" in out
