"""``toyfoundry validate`` beside check-jsonschema on the same generated orders and schema.

    python benchmarks/bench_validate.py [--small 20] [--large 20000] [--runs 7]

Targets: 20 files in <= 0.33x check-jsonschema's wall time; 20,000 files at >= 10x its
throughput and within 2x of a parse-only orjson baseline (read + parse, validate nothing).
All three run as fresh processes from the shell, as a user or a hook would run them.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from benchmarks.common import REPO_ROOT, make_orders, median_time, timed, tool

PARSE_ONLY = """
import sys, orjson
for name in sys.argv[1:]:
    with open(name, 'rb') as fh:
        orjson.loads(fh.read())
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--small", type=int, default=20)
    parser.add_argument("--large", type=int, default=20_000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    schema = str(REPO_ROOT / "schemas" / "v1" / "order.schema.json")
    toyfoundry = [tool("toyfoundry"), "validate"]
    checker = [tool("check-jsonschema"), "--schemafile", schema]
    baseline = [sys.executable, "-c", PARSE_ONLY]

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        small = make_orders(work / "small", args.small)
        ours = median_time([*toyfoundry, *small], work / "small", args.runs)
        theirs = median_time([*checker, *small], work / "small", args.runs)
        print(f"{args.small} files, median of {args.runs} runs:")
        print(f"  toyfoundry validate   {ours:7.3f} s")
        print(f"  check-jsonschema      {theirs:7.3f} s")
        print(f"  ratio                 {ours / theirs:7.2f}x  (target <= 0.33x)")

        large = make_orders(work / "large", args.large)
        ours = timed([*toyfoundry, *large], work / "large")
        theirs = timed([*checker, *large], work / "large")
        parse = timed([*baseline, *large], work / "large")
        print(f"{args.large} files, one run each:")
        print(f"  toyfoundry validate   {ours:7.2f} s  {args.large / ours:9.0f} files/s")
        print(f"  check-jsonschema      {theirs:7.2f} s  {args.large / theirs:9.0f} files/s")
        print(f"  orjson parse only     {parse:7.2f} s  {args.large / parse:9.0f} files/s")
        print(f"  throughput vs check-jsonschema  {theirs / ours:6.1f}x  (target >= 10x)")
        print(f"  time vs parse-only baseline     {ours / parse:6.2f}x  (target <= 2x)")


if __name__ == "__main__":
    main()
