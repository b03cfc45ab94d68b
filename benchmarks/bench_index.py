"""What the ledger index costs after a one-entry change, next to `git status`.

    python -m benchmarks.bench_index --dir FACTORY --orders N [--repeat 3]

On a factory built by ``benchmarks/factory.py`` with N orders (``build``), each a fresh
process, medians of ``--repeat`` runs:

- ``readiness --no-log`` after a one-entry commit on a pull-request branch (the index lags by
  one more entry each time) and on the default branch (the entry spliced into the index, as
  parade does), the run before each commit warming the store;
- ``ledger index --default-branch-only`` with one new entry staged (what the commit hook runs);
- ``ledger verify`` with nothing changed.

The factory is put back at its commit afterwards. Prints one Markdown table: wall and CPU
seconds (user + system) per command.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import timed, timed_both
from benchmarks.factory import HUB, Built, new_order, order_id
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import keep_index

TF = [sys.executable, "-m", "toyfoundry_ci"]
Figure = tuple[float, float]


def _median(runs: list[Figure]) -> Figure:
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def _add(built: Built, n: int, *, splice: bool) -> str:
    files = new_order(built, n)
    order = next(p for p in files if p.startswith("exchange/orders/"))
    (built.root / HUB / order.removeprefix("exchange/")).write_bytes(files[order])
    for path, data in files.items():
        (built.root / path).parent.mkdir(parents=True, exist_ok=True)
        (built.root / path).write_bytes(data)
    entry = next(p for p in files if p.startswith("exchange/ledger/entries/"))
    if splice:
        keep_index(Layout(built.root), [entry])
    return entry


def _git(root: Path, *args: str) -> None:
    timed(["git", *args], root)


def _restore(root: Path, head: str) -> None:
    _git(root, "checkout", "-q", "-f", "main")
    _git(root, "reset", "-q", "--hard", head)
    _git(root, "clean", "-qfd", "--", "logs", "exchange", "planning", ".toyfoundry")


def _readiness_after_commits(built: Built, repeat: int, *, branch: bool, next_n: int) -> Figure:
    root = built.root
    if branch:
        _git(root, "checkout", "-q", "-b", "bench-index")
    runs = []
    for i in range(repeat + 1):
        _readiness(root)
        _add(built, next_n + i, splice=not branch)
        _git(root, "add", "-A")
        _git(root, "commit", "-qm", "one entry")
        took = _readiness(root)
        if i:  # the first is the warm-up
            runs.append(took)
    return _median(runs)


def _readiness(root: Path) -> Figure:
    return timed_both([*TF, "readiness", "--no-log"], root)


def _repeated(run: Callable[[], Figure], repeat: int) -> Figure:
    run()
    return _median([run() for _ in range(repeat)])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--orders", type=int, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = args.dir.resolve()
    built = Built(root, [order_id(n) for n in range(args.orders)])
    head = timed_out(root)
    rows: dict[str, Figure] = {}
    rows["git status"] = _repeated(lambda: timed_both(["git", "status"], root), args.repeat)
    try:
        rows["readiness, one-entry commit on a branch"] = _readiness_after_commits(
            built, args.repeat, branch=True, next_n=args.orders
        )
        _restore(root, head)
        rows["readiness, one-entry commit on main"] = _readiness_after_commits(
            built, args.repeat, branch=False, next_n=args.orders + 10
        )
        _restore(root, head)

        def hook() -> Figure:
            _add(built, args.orders + 20, splice=False)
            _git(root, "add", "-A")
            took = timed_both([*TF, "ledger", "index", "--default-branch-only"], root)
            _restore(root, head)
            return took

        rows["ledger index --default-branch-only, one entry staged"] = _repeated(hook, args.repeat)
        rows["ledger verify"] = _repeated(
            lambda: timed_both([*TF, "ledger", "verify"], root), args.repeat
        )
    finally:
        _restore(root, head)
        timed(["git", "branch", "-q", "-D", "bench-index"], root, expect=_branch_gone(root))
    print("| command | wall s | CPU s |\n|---|---:|---:|")
    for label, (wall, cpu) in rows.items():
        print(f"| {label} | {wall:.3f} | {cpu:.3f} |")


def timed_out(root: Path) -> str:
    import subprocess

    return subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()


def _branch_gone(root: Path) -> int:
    import subprocess

    ran = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "refs/heads/bench-index"], cwd=root, check=False
    )
    return 0 if ran.returncode == 0 else 1


if __name__ == "__main__":
    main()
