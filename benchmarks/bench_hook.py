"""Commit-hook latency on 20 staged orders: toyfoundry-validate vs a check-jsonschema hook.

Usage, from the repository root:  python benchmarks/bench_hook.py [RUNS]

Both hooks run through `pre-commit run <id>` in one tmp git repository on the same staged
commit of 20 order files, against the same schema (schemas/v1/order.schema.json). Both are
local `language: system` hooks started with this interpreter, so neither pays for building
an environment; pre-commit's own start-up is part of both figures. Target ratio: <= 0.6.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = ROOT / "schemas" / "v1" / "order.schema.json"
FILES = 20
TARGET = 0.6


def config() -> str:
    py = sys.executable
    files = r"^exchange/orders/.*\.json$"
    return (
        "repos:\n  - repo: local\n    hooks:\n"
        f"      - id: toyfoundry-validate\n        name: toyfoundry validate\n"
        f"        entry: {py} -m toyfoundry_ci validate\n        language: system\n"
        f"        files: '{files}'\n        types: [json]\n"
        f"      - id: check-jsonschema\n        name: check-jsonschema\n"
        f"        entry: {py} -m check_jsonschema --schemafile {SCHEMA}\n"
        f"        language: system\n        files: '{files}'\n        types: [json]\n"
        "      - id: baseline\n        name: pre-commit alone\n        entry: 'true'\n"
        f"        language: system\n        files: '{files}'\n        types: [json]\n"
    )


def make_repo(repo: Path) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b.test"}
    env |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@b.test"}
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    (repo / ".pre-commit-config.yaml").write_text(config())
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    subprocess.run(["git", "commit", "-qm", "config"], cwd=repo, check=True, env=env)
    order = json.loads((ROOT / "exchange/orders/ALFA-2026-0001.json").read_text())
    orders = repo / "exchange" / "orders"
    orders.mkdir(parents=True)
    for n in range(FILES):
        order_id = f"ALFA-2026-{1000 + n:04d}"
        doc = {**order, "order_id": order_id}
        (orders / f"{order_id}.json").write_text(json.dumps(doc, indent=2) + "\n")
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)


def seconds(repo: Path, hook: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pre_commit", "run", hook],
        cwd=repo,
        capture_output=True,
        text=True,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{hook} failed:\n{proc.stdout}{proc.stderr}")
    return elapsed


HOOKS = ("toyfoundry-validate", "check-jsonschema", "baseline")


def medians(repo: Path, runs: int) -> list[float]:
    """Rounds interleave the hooks, so a load change on the machine hits all of them."""
    seconds(repo, HOOKS[0])  # warm pre-commit's store
    rounds = [[seconds(repo, hook) for hook in HOOKS] for _ in range(runs)]
    return [statistics.median(column) for column in zip(*rounds, strict=True)]


def main() -> None:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 10
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp) / "factory"
        os.environ["PRE_COMMIT_HOME"] = str(Path(tmp) / "pre-commit-home")
        make_repo(repo)
        ours, theirs, alone = medians(repo, runs)
    print(f"pre-commit run toyfoundry-validate  median {ours:.3f} s over {runs} runs")
    print(f"pre-commit run check-jsonschema     median {theirs:.3f} s")
    print(f"pre-commit run with `true` as hook  median {alone:.3f} s (pre-commit's own cost)")
    print(f"ratio {ours / theirs:.2f}   target <= {TARGET}")
    print(f"ratio without pre-commit's own cost {(ours - alone) / (theirs - alone):.2f}")


if __name__ == "__main__":
    main()
