"""Ledger speed: `ledger index` and `ledger verify` side by side with `sha256sum`.

    python -m benchmarks.bench_ledger --orders 100000 [--dir DIR]

Generates a factory with N paired orders (order, ack, report, ledger entry each), then times,
side by side in one run: sha256sum over the entries vs `ledger index` with no cache, with
--full (every entry re-hashed) and warm; sha256sum over all evidence vs `ledger verify` the
same three ways; adding one order and re-indexing it (`ledger index ENTRY`, as parade does),
then a whole-ledger `ledger index` next to `find` stat-ing every entry. The targets: index
and verify within 2x sha256sum, one added order re-indexed in <= 0.5 s.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import timed
from toyfoundry_ci.base.canonical import dumps

REPO = Path(__file__).resolve().parent.parent
SAMPLE = REPO / "exchange"


def _load(rel: str) -> dict:  # type: ignore[type-arg]
    import orjson

    return orjson.loads((SAMPLE / rel).read_bytes())  # type: ignore[no-any-return]


def generate(root: Path, n: int) -> None:
    order_t = _load("orders/ALFA-2026-0001.json")
    ack_t = _load("acknowledgements/ACK-ALFA-2026-0001.json")
    rpt_t = _load("reports/RPT-ALFA-2026-0001.json")
    folders = {k: root / "exchange" / k for k in ("orders", "acknowledgements", "reports")}
    entries = root / "exchange" / "ledger" / "entries"
    for f in [*folders.values(), entries]:
        f.mkdir(parents=True, exist_ok=True)
    for i in range(1, n + 1):
        write_order(root, f"ALFA-2026-{i:06d}", order_t, ack_t, rpt_t)


def write_order(root: Path, oid: str, order_t: dict, ack_t: dict, rpt_t: dict) -> None:  # type: ignore[type-arg]
    ex = root / "exchange"
    order = dumps({**order_t, "order_id": oid})
    o_sha = hashlib.sha256(order).hexdigest()
    ack = dumps({**ack_t, "ack_id": f"ACK-{oid}",
                 "order": {"order_id": oid, "digest": {"sha256": o_sha}}})  # fmt: skip
    a_sha = hashlib.sha256(ack).hexdigest()
    rpt = dumps({**rpt_t, "report_id": f"RPT-{oid}",
                 "order": {"order_id": oid, "digest": {"sha256": o_sha}},
                 "ack": {"ack_id": f"ACK-{oid}", "digest": {"sha256": a_sha}}})  # fmt: skip
    r_sha = hashlib.sha256(rpt).hexdigest()
    paths = {"order": f"exchange/orders/{oid}.json",
             "acknowledgement": f"exchange/acknowledgements/ACK-{oid}.json",
             "report": f"exchange/reports/RPT-{oid}.json"}  # fmt: skip
    shas = {"order": o_sha, "acknowledgement": a_sha, "report": r_sha}
    subjects = [{"name": paths[r], "role": r, "digest": {"sha256": shas[r]}} for r in paths]
    entry = dumps({"kind": "ledger-entry", "pivot": "v1", "order_id": oid, "subjects": subjects,
                   "stages": [], "signoff": {"state": "pending"},
                   "created_at": "2026-11-24T09:00:00Z"})  # fmt: skip
    (root / paths["order"]).write_bytes(order)
    (root / paths["acknowledgement"]).write_bytes(ack)
    (root / paths["report"]).write_bytes(rpt)
    (ex / "ledger" / "entries" / f"{oid}.json").write_bytes(entry)


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
    root = args.dir or Path(tempfile.mkdtemp(prefix="ledger-bench-"))
    tf = [sys.executable, "-m", "toyfoundry_ci"]
    start = time.perf_counter()
    generate(root, args.orders)
    print(f"generated {args.orders} orders (4 files each) in {time.perf_counter() - start:.1f} s")
    timed([*tf, "ledger", "index"], root)  # bytecode, page cache, digest cache
    entries = ["exchange/ledger/entries"]
    sha_entries = sha256sum(root, entries)
    row("sha256sum, entries (the floor)", sha_entries)
    row("ledger index --no-cache", timed([*tf, "ledger", "index", "--no-cache"], root), sha_entries)
    row("ledger index --full", timed([*tf, "ledger", "index", "--full"], root), sha_entries)
    row("ledger index (cached)", timed([*tf, "ledger", "index"], root), sha_entries)
    sha_all = sha256sum(root, ["exchange"])
    row("sha256sum, all evidence (the floor)", sha_all)
    row("ledger verify --no-cache", timed([*tf, "ledger", "verify", "--no-cache"], root), sha_all)
    row("ledger verify --full", timed([*tf, "ledger", "verify", "--full"], root), sha_all)
    row("ledger verify (cached)", timed([*tf, "ledger", "verify"], root), sha_all)
    order_t = _load("orders/ALFA-2026-0001.json")
    ack_t = _load("acknowledgements/ACK-ALFA-2026-0001.json")
    rpt_t = _load("reports/RPT-ALFA-2026-0001.json")
    new = "exchange/ledger/entries/ALFA-2026-999999.json"
    write_order(root, "ALFA-2026-999999", order_t, ack_t, rpt_t)
    t_add = timed([*tf, "ledger", "index", new], root)
    row("add one order: ledger index ENTRY", t_add, None, "target <= 0.5 s (what parade does)")
    (root / new).unlink()
    timed([*tf, "ledger", "index", new], root)
    write_order(root, "ALFA-2026-999999", order_t, ack_t, rpt_t)
    stat_all = timed(
        ["sh", "-c", "find exchange/ledger/entries -printf '%s %T@ %i\\n' >/dev/null"], root
    )
    row("find -printf: stat of every entry", stat_all)
    t_scan = timed([*tf, "ledger", "index"], root)
    row("add one order: ledger index", t_scan, stat_all, "stats every entry (DVC-style)")
    if args.dir is None:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
