"""The benchmarks run at a tiny size, so a change that breaks one is seen before it is timed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO_ROOT, git, run_cli


def test_bench_scale_prints_every_row_with_its_ratio_to_git_status(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_scale", "--orders", "60", "--repeat", "1",
         "--dir", str(tmp_path)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    wall, cpu = proc.stdout.split("CPU time")
    assert "Wall-clock time" in wall
    rows = [line for line in wall.splitlines() if line.startswith("| ")]
    assert rows[0] == "| command | 60 orders |"
    assert len([line for line in cpu.splitlines() if line.startswith("| ")]) == len(rows)
    labels = [row.split(" | ")[0].removeprefix("| ") for row in rows[1:]]
    assert labels == [
        "git status", "readiness", "status", "pair", "push --dry-run", "readiness --full",
        "ledger verify --full", "shift, nothing new", "git diff --cached",
        "git diff-index --cached HEAD",
        "readiness --staged --no-log", "files readiness --staged opens (count)",
        "pre-commit run, the factory's hook", "pre-commit run, the three hooks apart",
        "pre-commit run, no-op hook", "ci base-store, default branch",
        "ci pr, one-order PR, fresh checkout", "ci pr, one-order PR, base's store",
        "ci gate, one-order PR, fresh checkout", "ci gate, one-order PR, base's store",
        "ci pr-publish",
    ]  # fmt: skip
    assert "| git status | " in rows[1] and "(1.0x)" in rows[1]
    (opens,) = [row for row in rows if row.startswith("| files readiness --staged opens")]
    count = opens.split(" | ")[1].removesuffix(" |")
    assert count.isdigit() or count == "n/a (no strace)", opens  # a count, no ratio


def test_the_generated_factory_is_green_clean_and_as_large_as_asked(tmp_path: Path) -> None:
    from benchmarks.factory import LOT_SIZE, build

    built = build(tmp_path / "factory", LOT_SIZE + 7)
    root = built.root
    assert git(root, "status", "--porcelain") == ""
    entries = git(root, "ls-files", "exchange/ledger/entries").split()
    assert len(entries) == LOT_SIZE + 7 + 6  # and the seed shift's six
    for folder in ("logs/ops_readiness.d", "logs/exchange_all.d"):  # the log writer's records
        assert git(root, "ls-files", folder).split(), folder
    for command in (["readiness", "--no-log"], ["ledger", "verify"], ["pair"]):
        proc = run_cli(*command, cwd=root)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    pushed = run_cli("push", "--dry-run", cwd=root)
    assert f"{LOT_SIZE + 3} orders already on the hub" in pushed.stdout, pushed.stdout
    assert "waiting ALFA-2026-100056: sign-off pending" in pushed.stdout


def test_bench_index_times_the_index_after_one_entry_and_puts_the_factory_back(
    tmp_path: Path,
) -> None:
    from benchmarks.factory import LOT_SIZE, build

    built = build(tmp_path / "factory", LOT_SIZE + 7)
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_index", "--dir", str(built.root),
         "--orders", str(LOT_SIZE + 7), "--repeat", "1"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    labels = [line.split(" | ")[0].removeprefix("| ") for line in proc.stdout.splitlines()]
    assert labels[2:] == [
        "git status", "readiness, one-entry commit on a branch",
        "readiness, one-entry commit on main",
        "ledger index --default-branch-only, one entry staged", "ledger verify",
    ]  # fmt: skip
    assert git(built.root, "rev-parse", "HEAD").strip() == built.head
    assert git(built.root, "status", "--porcelain") == ""
    assert git(built.root, "branch", "--format=%(refname:short)").split() == ["main"]
