"""Latency of one readiness run on this repository (target: <= 0.5 s).

Usage, from the repository root:  python benchmarks/bench_readiness.py [RUNS]

Side by side: `toyfoundry validate` (the artifact check alone, what a user would otherwise
run) and `toyfoundry readiness` (every check, recording nothing), each a fresh process as an
operator or a hook runs it; the median of RUNS is printed with the ratio. The recorded form
(`--record`) is timed on a copy, so this repository's log is not touched.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 0.5


def median_seconds(args: list[str], cwd: Path, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.run(args, cwd=cwd, capture_output=True, check=False)
        times.append(time.perf_counter() - start)
        if proc.returncode not in (0, 1):
            raise SystemExit(proc.stderr.decode())
    return statistics.median(times)


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 15
    cli = [sys.executable, "-P", "-m", "toyfoundry_ci"]  # the installed package, as a script
    validate = median_seconds([*cli, "validate"], ROOT, runs)
    gate = median_seconds([*cli, "readiness"], ROOT, runs)
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "factory"
        shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns(".venv", "*cache*", "logs"))
        recorded = median_seconds([*cli, "readiness", "--record"], copy, runs)
    print(f"toyfoundry validate            median {validate:.3f} s over {runs} runs")
    print(f"toyfoundry readiness           median {gate:.3f} s")
    print(f"toyfoundry readiness --record  median {recorded:.3f} s   target <= {TARGET} s")
    print(f"ratio readiness / validate     {gate / validate:.2f}")
    print("OK" if max(gate, recorded) <= TARGET else "SLOWER THAN TARGET")


if __name__ == "__main__":
    main()
