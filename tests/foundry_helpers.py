"""Helpers for the Foundry Cycle tests: orders written as a user would, via `toyfoundry emit`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from conftest import run_cli

ISSUED = "2026-11-20T08:00:00Z"


def add_order(repo: Path, order_id: str, *lines: str, due: str = "2026-12-20") -> Path:
    """Write exchange/orders/<order_id>.json with ``toyfoundry emit order``."""
    out = repo / "exchange" / "orders" / f"{order_id}.json"
    args = ["emit", "order", "--order-id", order_id, "--due-date", due, "--out", str(out)]
    for line in lines:
        args += ["--line", line]
    proc = run_cli(*args, "--set", f"issued_at={ISSUED}", cwd=repo)
    assert proc.returncode == 0, proc.stderr
    return out


def load(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


def cli_ok(repo: Path, *args: str) -> str:
    proc = run_cli(*args, cwd=repo)
    assert proc.returncode == 0, f"{args}: {proc.stdout}\n{proc.stderr}"
    return proc.stdout


def snapshot(root: Path, *folders: str) -> dict[str, bytes]:
    """Every file under ``folders`` with its bytes, by relative path."""
    files: dict[str, bytes] = {}
    for folder in folders:
        base = root / folder
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file():
                    files[path.relative_to(root).as_posix()] = path.read_bytes()
    return files
