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
import subprocess
import sys
from pathlib import Path

from benchmarks.bench_scale import Figure, _add_order, _median
from benchmarks.common import timed, timed_both
from benchmarks.factory import Built, order_id

TF = [sys.executable, "-m", "toyfoundry_ci"]


def _git(root: Path, *args: str) -> None:
    timed(["git", *args], root)


def _restore(root: Path, head: str) -> None:
    _git(root, "checkout", "-q", "-f", "main")
    _git(root, "reset", "-q", "--hard", head)
    _git(root, "clean", "-qfd", "--", "logs", "exchange", "planning", ".toyfoundry")


def _readiness(root: Path) -> Figure:
    return timed_both([*TF, "readiness", "--no-log"], root)


def _after_commits(built: Built, repeat: int, *, branch: bool, first: int) -> Figure:
    """readiness after each of ``repeat`` one-entry commits (on main the entry is spliced
    into the index, as parade does); the run before each warms the store."""
    root = built.root
    if branch:
        _git(root, "checkout", "-q", "-b", "bench-index")
    n = iter(range(first, first + repeat + 1))

    def one() -> Figure:
        _readiness(root)
        _add_order(built, next(n))
        _git(root, "add", "-A")
        _git(root, "commit", "-qm", "one entry")
        return _readiness(root)

    return _median(one, repeat)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--orders", type=int, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = args.dir.resolve()
    built = Built(root, [order_id(n) for n in range(args.orders)])
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=root, capture_output=True, text=True, check=True
    ).stdout.strip()
    rows: dict[str, Figure] = {}
    rows["git status"] = _median(lambda: timed_both(["git", "status"], root), args.repeat)
    try:
        rows["readiness, one-entry commit on a branch"] = _after_commits(
            built, args.repeat, branch=True, first=args.orders
        )
        _restore(root, head)
        rows["readiness, one-entry commit on main"] = _after_commits(
            built, args.repeat, branch=False, first=args.orders + args.repeat + 1
        )
        _restore(root, head)

        def hook() -> Figure:
            _add_order(built, args.orders + 2 * args.repeat + 2)
            _git(root, "checkout", "-q", "--", "exchange/ledger/index.json")  # not spliced
            _git(root, "add", "-A")
            took = timed_both([*TF, "ledger", "index", "--default-branch-only"], root)
            _restore(root, head)
            return took

        rows["ledger index --default-branch-only, one entry staged"] = _median(hook, args.repeat)
        rows["ledger verify"] = _median(
            lambda: timed_both([*TF, "ledger", "verify"], root), args.repeat
        )
    finally:
        _restore(root, head)
        subprocess.run(
            ["git", "branch", "-q", "-D", "bench-index"], cwd=root, capture_output=True, check=False
        )
    print("| command | wall s | CPU s |\n|---|---:|---:|")
    for label, (wall, cpu) in rows.items():
        print(f"| {label} | {wall:.3f} | {cpu:.3f} |")


if __name__ == "__main__":
    main()
