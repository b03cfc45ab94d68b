"""Ledger speed: `ledger index` and `ledger verify` side by side with `sha256sum`.

    python -m benchmarks.bench_ledger --orders 100000 [--dir DIR]

Generates a committed factory of N orders (``benchmarks/factory.py``: every file a shift
writes, the quilt exports included), then times,
side by side in one run: sha256sum over the entries vs `ledger index` with no cache, with
--full (every entry re-hashed) and warm; sha256sum over all evidence vs `ledger verify` the
same three ways; adding one order and re-indexing it (`ledger index ENTRY`, as parade does),
then a whole-ledger `ledger index` next to `find` stat-ing every entry. The targets: index
and verify within 2x sha256sum, one added order re-indexed in <= 0.5 s.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import timed
from benchmarks.factory import EXPORTS, Built, build, new_order


def add_order(built: Built, n: int) -> str:
    """One more paraded order's files on disk (the generator's); its entry's path."""
    files = new_order(built, n)
    for path, data in files.items():
        (built.root / path).write_bytes(data)
    return next(p for p in files if p.startswith("exchange/ledger/entries/"))


def sha256sum(root: Path, folders: list[str]) -> float:
    script = "find " + " ".join(folders) + " -name '*.json' -print0 | xargs -0 sha256sum >/dev/null"
    return timed(["sh", "-c", script], root)


def row(label: str, seconds: float, floor: float | None = None, note: str = "") -> None:
    ratio = f"ratio {seconds / floor:.2f}x" if floor else ""
    print(f"{label:34} {seconds:7.2f} s   {ratio:13} {note}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--dir", type=Path, default=None)
    args = parser.parse_args()
    top = args.dir or Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    tf = [sys.executable, "-m", "toyfoundry_ci"]
    start = time.perf_counter()
    built = build(top / "factory", args.orders)
    root = built.root
    print(f"generated {args.orders} orders (9 files each) in {time.perf_counter() - start:.1f} s")
    timed([*tf, "ledger", "index"], root)  # bytecode, page cache, digest cache
    entries = ["exchange/ledger/entries"]
    sha_entries = sha256sum(root, entries)
    row("sha256sum, entries (the floor)", sha_entries)
    row("ledger index --no-cache", timed([*tf, "ledger", "index", "--no-cache"], root), sha_entries)
    row("ledger index --full", timed([*tf, "ledger", "index", "--full"], root), sha_entries)
    row("ledger index (cached)", timed([*tf, "ledger", "index"], root), sha_entries)
    sha_all = sha256sum(root, ["exchange", EXPORTS])
    row("sha256sum, all evidence (the floor)", sha_all)
    row("ledger verify --no-cache", timed([*tf, "ledger", "verify", "--no-cache"], root), sha_all)
    row("ledger verify --full", timed([*tf, "ledger", "verify", "--full"], root), sha_all)
    row("ledger verify (cached)", timed([*tf, "ledger", "verify"], root), sha_all)
    new = add_order(built, args.orders)
    t_add = timed([*tf, "ledger", "index", new], root)
    row("add one order: ledger index ENTRY", t_add, None, "target <= 0.5 s (what parade does)")
    (root / new).unlink()
    timed([*tf, "ledger", "index", new], root)
    add_order(built, args.orders)
    stat_all = timed(
        ["sh", "-c", "find exchange/ledger/entries -printf '%s %T@ %i\\n' >/dev/null"], root
    )
    row("find -printf: stat of every entry", stat_all)
    t_scan = timed([*tf, "ledger", "index"], root)
    row("add one order: ledger index", t_scan, stat_all, "stats every entry (DVC-style)")
    if args.dir is None:
        shutil.rmtree(top)


if __name__ == "__main__":
    main()
