"""Shared benchmark helpers: generated artifacts, timed subprocesses, side-by-side tables."""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
SAMPLE_ORDER = REPO_ROOT / "exchange" / "orders" / "ALFA-2026-0001.json"


def tool(name: str) -> str:
    """A console script of the running interpreter's environment."""
    found = Path(sys.executable).parent / name
    if found.exists():
        return str(found)
    which = shutil.which(name)
    if which is None:
        raise SystemExit(f"{name} is not installed; pip install -e '.[bench]'")
    return which


def make_orders(folder: Path, count: int) -> list[str]:
    """``count`` distinct valid order files under ``folder/exchange/orders``; relative names."""
    base = json.loads(SAMPLE_ORDER.read_text(encoding="utf-8"))
    target = folder / "exchange" / "orders"
    target.mkdir(parents=True, exist_ok=True)
    names = []
    for i in range(count):
        doc = dict(base, order_id=f"ALFA-2026-{i:06d}")
        doc["lines"] = [dict(base["lines"][0], qty=1 + i % 500)]
        name = f"exchange/orders/ALFA-2026-{i:06d}.json"
        (folder / name).write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        names.append(name)
    return names


# A user's installation keeps its bytecode; a shell that turned that off must not slow the tool.
_DROPPED_ENV = ("PYTHONWARNINGS", "PYTHONDONTWRITEBYTECODE")


def timed(
    cmd: list[str], cwd: Path, *, expect: int = 0, env: dict[str, str] | None = None
) -> float:
    """Seconds ``cmd`` took in ``cwd`` (``env`` added to this process's); another exit fails."""
    return timed_both(cmd, cwd, expect=expect, env=env)[0]


def timed_both(
    cmd: list[str], cwd: Path, *, expect: int = 0, env: dict[str, str] | None = None
) -> tuple[float, float]:
    """(wall seconds, CPU seconds) of ``cmd``: the CPU time (user + system, of it and every
    process it waited for) is what a machine shared with others leaves comparable."""
    env = {k: v for k, v in os.environ.items() if k not in _DROPPED_ENV} | (env or {})
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, env=env, check=False)
    elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != expect:
        raise SystemExit(f"{cmd[0]} exited {proc.returncode}:\n{proc.stdout!r}\n{proc.stderr!r}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return elapsed, cpu


def median_time(cmd: list[str], cwd: Path, runs: int) -> float:
    timed(cmd, cwd)  # warm the page cache and bytecode
    return statistics.median(timed(cmd, cwd) for _ in range(runs))
