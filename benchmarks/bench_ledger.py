"""Ledger speed: `ledger index` and `ledger verify` side by side with `sha256sum`.

    python benchmarks/bench_ledger.py --orders 100000 [--dir /tmp/ledger-bench]

Generates a factory with N paired orders (order, ack, report, ledger entry each), then times:
sha256sum over the entries vs `ledger index --full`; sha256sum over all evidence vs
`ledger verify --full` (and warm, from the digest cache); adding one order and re-indexing
with a warm cache. The issue's targets: index and verify within 2x sha256sum, one added
order re-indexed in <= 0.5 s.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


def timed(cmd: list[str], cwd: Path, *, shell: bool = False) -> float:
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode not in (0, 1) or (proc.returncode == 1 and "ledger" not in cmd):
        sys.exit(f"{cmd} failed: {proc.stdout[-500:]}{proc.stderr[-500:]}")
    return elapsed


def sha256sum(root: Path, folders: list[str]) -> float:
    script = "find " + " ".join(folders) + " -name '*.json' -print0 | xargs -0 sha256sum >/dev/null"
    return timed(["sh", "-c", script], root)


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
    subprocess.run([*tf, "ledger", "index"], cwd=root, check=True, capture_output=True)
    sha_entries = sha256sum(root, ["exchange/ledger/entries"])
    t_index = timed([*tf, "ledger", "index", "--full"], root)
    print(f"sha256sum entries        {sha_entries:7.2f} s")
    print(f"ledger index --full      {t_index:7.2f} s   ratio {t_index / sha_entries:.2f}x")
    t_index_warm = timed([*tf, "ledger", "index"], root)
    print(
        f"ledger index (cached)    {t_index_warm:7.2f} s   ratio {t_index_warm / sha_entries:.2f}x"
    )
    sha_all = sha256sum(root, ["exchange"])
    t_verify = timed([*tf, "ledger", "verify", "--full"], root)
    t_verify_warm = timed([*tf, "ledger", "verify"], root)
    print(f"sha256sum all evidence   {sha_all:7.2f} s")
    print(f"ledger verify --full     {t_verify:7.2f} s   ratio {t_verify / sha_all:.2f}x")
    print(f"ledger verify (cached)   {t_verify_warm:7.2f} s   ratio {t_verify_warm / sha_all:.2f}x")
    order_t = _load("orders/ALFA-2026-0001.json")
    ack_t = _load("acknowledgements/ACK-ALFA-2026-0001.json")
    rpt_t = _load("reports/RPT-ALFA-2026-0001.json")
    write_order(root, "ALFA-2026-999999", order_t, ack_t, rpt_t)
    t_add = timed([*tf, "ledger", "index"], root)
    print(f"add one order + index    {t_add:7.2f} s   (target <= 0.5 s)")
    if args.dir is None:
        shutil.rmtree(root)


if __name__ == "__main__":
    main()
