"""A lot split over shards gives the same bytes as one unsharded run (validate and drill)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from foundry_helpers import add_order, cli_ok, snapshot

from tests.conftest import run_cli
from toyfoundry_ci.validation.shard import parse_shard, select, shard_of

SHARDS = 3


def test_every_key_lands_in_exactly_one_shard_and_the_split_is_stable() -> None:
    keys = [f"exchange/orders/ALFA-2026-{n:04d}.json" for n in range(200)]
    parts = [list(select(keys, parse_shard(f"{k}/{SHARDS}"))) for k in range(1, SHARDS + 1)]
    assert sorted(k for part in parts for k in part) == sorted(keys)
    assert all(part for part in parts), "a 200-file lot leaves no shard empty"
    assert [shard_of(k, SHARDS) for k in keys] == [shard_of(k, SHARDS) for k in keys]


@pytest.mark.parametrize("spec", ["0/2", "3/2", "1/0", "a/b", "1", "-1/2"])
def test_a_bad_shard_is_a_usage_error(factory: Path, spec: str) -> None:
    proc = run_cli("validate", "--shard", spec, cwd=factory)
    assert proc.returncode == 2
    assert "is not a shard: use K/N" in proc.stderr


def test_sharded_validate_covers_every_file_once_with_the_same_findings(factory: Path) -> None:
    bad = factory / "exchange" / "orders" / "ALFA-2026-0999.json"
    bad.write_text('{"kind": "order", "pivot": "v1"}\n')
    whole = json.loads(run_cli("validate", "--format", "json", cwd=factory).stdout)
    errors: list[dict[str, object]] = []
    files = 0
    for k in range(1, SHARDS + 1):
        proc = run_cli("validate", "--format", "json", "--shard", f"{k}/{SHARDS}", cwd=factory)
        doc = json.loads(proc.stdout)
        files += doc["files"]
        errors += doc["errors"]
    assert files == whole["files"] > SHARDS
    key = json.dumps
    assert sorted(map(key, errors)) == sorted(map(key, whole["errors"]))
    assert whole["errors"], "the broken order is reported"


def test_drill_over_a_matrix_joined_gives_the_bytes_of_one_run(
    factory: Path, tmp_path: Path
) -> None:
    for n in range(11, 17):
        add_order(factory, f"ALFA-2026-{n:04d}", "TOY-ROBOT-01:3", "TOY-KITE-03:2")
    cli_ok(factory, "forge")
    drilled = ("outbox", ".toyfoundry/telemetry")
    runners = []
    for k in range(1, SHARDS + 1):  # each matrix job starts from the forged lot
        runner = tmp_path / f"runner-{k}"
        shutil.copytree(factory, runner)
        cli_ok(runner, "drill", "--shard", f"{k}/{SHARDS}")
        runners.append(runner)
    cli_ok(factory, "drill")
    joined = tmp_path / "joined"  # what download-artifact with merge-multiple does
    for runner in runners:
        for folder in drilled:
            if (runner / folder).is_dir():
                shutil.copytree(runner / folder, joined / folder, dirs_exist_ok=True)
    whole = snapshot(factory, *drilled)
    assert len([p for p in whole if p.startswith("outbox/reports/")]) >= 6
    assert snapshot(joined, *drilled) == whole
