"""Cost at scale: everyday commands, the commit hook and the PR check next to `git status`.

    python -m benchmarks.bench_scale --orders 2000,20000,100000 [--repeat 3] [--dir DIR]

For each size, a factory of that many orders is generated and committed (``benchmarks/
factory.py``: every file a shift writes, sealed and pushed lots, one lot pending, built with
``git fast-import``), then timed side by side, medians of ``--repeat`` runs after one warm-up,
each a fresh process as a user or a hook starts it:

- ``git status`` (the floor);
- ``readiness``, ``status``, ``pair``, ``push --dry-run``, ``shift`` with nothing new, and
  ``readiness --full`` next to ``ledger verify --full``;
- with one paraded order staged: ``git diff --cached --stat``, ``git diff-index --cached
  HEAD`` (what the hook asks git: the hook's floor), ``readiness --staged --no-log`` (what
  the commit hook runs)
  and ``pre-commit run`` of the factory's hook (``toyfoundry-commit``, as ``init`` writes
  it) and of the three hooks it stands for, each a hook of its own, next to ``pre-commit
  run`` of a no-op hook (pre-commit's own start-up, and its diff of the work tree after a
  hook); and how many distinct files of the factory the hook's readiness opens
  (``strace``; it must not grow with the factory);
- ``ci pr``, ``ci gate`` and ``ci pr-publish`` for a one-order pull request, against a
  GitHub API on loopback (``tests/github_server.py``), each in a fresh checkout as CI meets
  it (no readiness store, no digest cache: both live under the git directory) and with the
  base's store restored (``ci base-store``, run on the base as the default branch's push
  workflow runs it, which is timed too).

Two Markdown tables follow, wall-clock and CPU time (what a shared machine leaves
comparable): one row per command, per size the median and its ratio to that size's
``git status``. ``--orders 200 --repeat 1`` is a quick run; ``--parts pr`` times the pull
request rows alone (``git status`` is timed with every part).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from benchmarks.common import timed, timed_both
from benchmarks.factory import (
    HUB,
    NOOP_CONFIG,
    Built,
    build,
    hook_config,
    new_order,
    order_id,
    separate_hooks_config,
)
from tests.github_server import GitHubServer
from toyfoundry_ci.base.cachedir import cache_root
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import keep_index

REPO = Path(__file__).resolve().parent.parent
EVENT = REPO / "tests" / "fixtures" / "github-events" / "pull_request.opened.1.json"
TF = [sys.executable, "-m", "toyfoundry_ci"]
FLOOR = "git status"
# What the staged readiness asks git, the same walk of the changed folders ``git commit``
# makes: the hook's floor.
INDEX_QUESTION = "git diff-index --cached HEAD"
# Beside each factory: its size and commit, so a later run with the same ``--dir`` reuses it.
BUILT = "built.json"


# One figure: (wall seconds, CPU seconds).
Figure = tuple[float, float]


def _median(run: Callable[[], Figure], repeat: int) -> Figure:
    run()  # warm: page cache, bytecode, the tool's caches
    runs = [run() for _ in range(repeat)]
    return statistics.median(w for w, _ in runs), statistics.median(c for _, c in runs)


def _cmd(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> Callable[[], Figure]:
    return lambda: timed_both(cmd, cwd, env=env)


def _restore(root: Path) -> None:
    """Back to the commit: what a command wrote (a log record) is not the next one's input."""
    timed(["git", "reset", "-q", "--hard"], root)
    timed(["git", "clean", "-qfd", "--", "logs", "exchange", "planning", ".toyfoundry"], root)


def _add_order(built: Built, n: int) -> list[str]:
    """Write one more paraded order; on the default branch splice it into the index, as
    parade does (a pull request's branch leaves the index behind)."""
    files = new_order(built, n)
    order = next(p for p in files if p.startswith("exchange/orders/"))
    (built.root / HUB / order.removeprefix("exchange/")).write_bytes(files[order])  # issued
    for path, data in files.items():
        (built.root / path).parent.mkdir(parents=True, exist_ok=True)
        (built.root / path).write_bytes(data)
    entry = next(p for p in files if p.startswith("exchange/ledger/entries/"))
    indexed = keep_index(Layout(built.root), [entry])
    return [*files, *(["exchange/ledger/index.json"] if indexed else [])]


def everyday(built: Built, repeat: int) -> dict[str, Figure]:
    root = built.root
    rows: dict[str, Figure] = {}
    for label, args in (
        ("readiness", ["readiness", "--no-log"]),
        ("status", ["status"]),
        ("pair", ["pair"]),
        ("push --dry-run", ["push", "--dry-run"]),
        ("readiness --full", ["readiness", "--full", "--no-log"]),
        ("ledger verify --full", ["ledger", "verify", "--full"]),
    ):
        rows[label] = _median(_cmd([*TF, *args], root), repeat)

    def shift() -> Figure:
        took = timed_both([*TF, "shift"], root)
        _restore(root)
        return took

    rows["shift, nothing new"] = _median(shift, repeat)
    return rows


def staged(built: Built, repeat: int, work: Path) -> dict[str, Figure]:
    root = built.root
    _add_order(built, len(built.orders))
    timed(["git", "add", "-A"], root)
    env = {"PRE_COMMIT_HOME": str(work / "pre-commit-home")}
    configs = {}  # beside the factory: a reused factory is timed with today's hooks
    for name, text in (("noop", NOOP_CONFIG), ("hook", hook_config()),
                       ("separate", separate_hooks_config())):  # fmt: skip
        configs[name] = work / f"{name}-config.yaml"
        configs[name].write_text(text, encoding="utf-8")
    pre_commit = [sys.executable, "-m", "pre_commit", "run", "--config"]
    rows = {
        "git diff --cached": _median(_cmd(["git", "diff", "--cached", "--stat"], root), repeat),
        INDEX_QUESTION: _median(
            _cmd(["git", "diff-index", "--cached", "--raw", "HEAD", "--"], root), repeat
        ),
        "readiness --staged --no-log": _median(
            _cmd([*TF, "readiness", "--staged", "--no-log"], root), repeat
        ),
        "files readiness --staged opens (count)": _opens(
            [*TF, "readiness", "--staged", "--no-log"], root, work
        ),
        "pre-commit run, the factory's hook": _median(
            _cmd([*pre_commit, str(configs["hook"])], root, env), repeat
        ),
        "pre-commit run, the three hooks apart": _median(
            _cmd([*pre_commit, str(configs["separate"])], root, env), repeat
        ),
        "pre-commit run, no-op hook": _median(
            _cmd([*pre_commit, str(configs["noop"])], root, env), repeat
        ),
    }
    _restore(root)
    return rows


def _opens(cmd: list[str], root: Path, work: Path) -> Figure:
    """How many files of the factory (work tree and git directory) ``cmd`` and the git
    processes it starts open, counted by ``strace``: the same figure in both columns."""
    if shutil.which("strace") is None:
        return float("nan"), float("nan")
    trace = work / "opens.strace"
    traced = ["strace", "-f", "-qq", "-e", "trace=open,openat", "-o", str(trace), *cmd]
    timed(traced, root)
    inside = str(root) + "/"
    opened = set()
    for line in trace.read_text(encoding="utf-8", errors="replace").splitlines():
        if "= -1" in line or '"' not in line:
            continue
        path = line.split('"', 2)[1]
        if path.startswith(inside) or not path.startswith("/"):
            opened.add(path.removeprefix(inside))
    trace.unlink()
    return float(len(opened)), float(len(opened))


def _fresh(root: Path) -> None:
    """What a new CI job meets: no readiness store, no digest cache (under the git dir)."""
    shutil.rmtree(cache_root(root), ignore_errors=True)


def _fresh_cmd(
    cmd: list[str], root: Path, env: dict[str, str], store: Path | None = None
) -> Callable[[], Figure]:
    def run() -> Figure:
        _fresh(root)
        return timed_both([*cmd, *(["--base-store", str(store)] if store else [])], root, env=env)

    return run


def pull_request(built: Built, repeat: int, work: Path) -> dict[str, Figure]:
    """``ci base-store`` on the base, then ``ci pr``, ``ci gate`` and ``ci pr-publish`` on a
    one-order PR, the API on loopback."""
    root = built.root
    base = built.head
    saved = work / "base-store"

    def base_store() -> Figure:
        _fresh(root)
        return timed_both([*TF, "ci", "base-store", "--out", str(saved)], root)

    rows = {"ci base-store, default branch": _median(base_store, repeat)}
    store = saved / "readiness.sqlite"
    timed(["git", "checkout", "-q", "-b", "one-order"], root)
    changed = _add_order(built, len(built.orders) + 1)
    timed(["git", "add", "-A"], root)
    timed(["git", "commit", "-qm", "Parade one order"], root)
    head = timed_out(["git", "rev-parse", "HEAD"], root)
    event = json.loads(EVENT.read_text(encoding="utf-8"))
    event["pull_request"]["base"]["sha"] = base  # the checkout's commits
    event["pull_request"]["head"]["sha"] = head
    (work / "event.json").write_text(json.dumps(event), encoding="utf-8")
    handoff, publisher = work / "handoff", work / "publisher"
    publisher.mkdir(exist_ok=True)
    with GitHubServer() as server:
        repo = server.add_repo("Codertocat/Hello-World")
        server.add_pull(repo, event["number"], "Codertocat", head, changed)
        env = {
            "GITHUB_EVENT_NAME": "pull_request",
            "GITHUB_EVENT_PATH": str(work / "event.json"),
            "GITHUB_REPOSITORY": "Codertocat/Hello-World",
            "GITHUB_SHA": head,
            "GITHUB_REF": f"refs/pull/{event['number']}/merge",
            "GITHUB_OUTPUT": str(work / "output"),
            "GITHUB_STEP_SUMMARY": str(work / "summary.md"),
            "GITHUB_API_URL": server.url,
            "GITHUB_TOKEN": server.token,
        }
        pr = [*TF, "ci", "pr", "--handoff", str(handoff)]
        gate = [*TF, "ci", "gate"]
        publish = [*TF, "ci", "pr-publish", "--handoff", str(handoff)]
        for label, cmd in (("ci pr", pr), ("ci gate", gate)):
            fresh, restored = _fresh_cmd(cmd, root, env), _fresh_cmd(cmd, root, env, store)
            rows[f"{label}, one-order PR, fresh checkout"] = _median(fresh, repeat)
            rows[f"{label}, one-order PR, base's store"] = _median(restored, repeat)
        rows["ci pr-publish"] = _median(_cmd(publish, publisher, env), repeat)
    timed(["git", "checkout", "-q", "main"], root)
    timed(["git", "branch", "-qD", "one-order"], root)
    return rows


def timed_out(cmd: list[str], cwd: Path) -> str:
    return subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


PARTS = ("everyday", "staged", "pr")


def measure(
    count: int, repeat: int, work: Path, parts: tuple[str, ...] = PARTS
) -> dict[str, Figure]:
    work.mkdir(parents=True, exist_ok=True)
    built = _reused(work, count)
    if built is None:
        start = time.perf_counter()
        built = build(work / "factory", count)
        took = time.perf_counter() - start
        print(f"{count:,} orders: built in {took:.0f} s", file=sys.stderr, flush=True)
        (work / BUILT).write_text(json.dumps({"orders": count, "head": built.head}), "utf-8")
    rows = {FLOOR: _median(_cmd(["git", "status"], built.root), repeat)}
    if "everyday" in parts:
        rows |= everyday(built, repeat)
    if "staged" in parts:
        rows |= staged(built, repeat, work)
    if "pr" in parts:
        rows |= pull_request(built, repeat, work)
    return rows


def _reused(work: Path, count: int) -> Built | None:
    """The factory an earlier run with ``--dir`` built here, back at its commit, if any."""
    try:
        mark = json.loads((work / BUILT).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    root = work / "factory"
    if mark.get("orders") != count or not (root / ".git").is_dir():
        return None
    timed(["git", "checkout", "-q", "-f", "main"], root)
    timed(["git", "reset", "-q", "--hard", mark["head"]], root)
    _restore(root)
    left = ["git", "branch", "-qD", "one-order"]  # an interrupted run's pull request branch
    subprocess.run(left, cwd=root, capture_output=True, check=False)
    for n in (count, count + 1):  # the directives ``_add_order`` issued: not new work again
        (root / HUB / "orders" / f"{order_id(n)}.json").unlink(missing_ok=True)
    print(f"{count:,} orders: reusing {root}", file=sys.stderr, flush=True)
    return Built(root, [order_id(n) for n in range(count)], mark["head"])


def table(results: dict[int, dict[str, Figure]], which: int) -> str:
    """One row per command, per size its median and the ratio to ``git status``'s;
    ``which`` is 0 for wall-clock time, 1 for CPU time."""
    sizes = list(results)
    head = "| command | " + " | ".join(f"{n:,} orders" for n in sizes) + " |"
    lines = [head, "|---|" + "---|" * len(sizes)]
    for label in results[sizes[0]]:
        cells = []
        if label.endswith("(count)"):
            counts = [results[n][label][which] for n in sizes]
            cells = [f"{c:.0f}" if not math.isnan(c) else "n/a (no strace)" for c in counts]
            lines.append(f"| {label} | " + " | ".join(cells) + " |")
            continue
        for n in sizes:
            seconds, floor = results[n][label][which], results[n][FLOOR][which]
            ratio = seconds / floor
            cells.append(f"{seconds:.2f} s ({ratio:.{1 if ratio < 10 else 0}f}x)")
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", default="2000,20000,100000", help="sizes, comma-separated")
    parser.add_argument("--repeat", type=int, default=3, help="runs per median")
    parser.add_argument(
        "--dir", type=Path, default=None, help="where to build (kept, and reused by the next run)"
    )
    parser.add_argument("--parts", default=",".join(PARTS), help="which rows, comma-separated")
    args = parser.parse_args(argv)
    parts = tuple(args.parts.split(","))
    sizes = [int(n.replace("_", "")) for n in args.orders.split(",")]
    top = args.dir or Path(tempfile.mkdtemp(prefix="scale-bench-"))
    results = {}
    for count in sizes:
        work = top / f"orders-{count}"
        results[count] = measure(count, args.repeat, work, parts)
        if args.dir is None:
            shutil.rmtree(work)
    cores, load = os.cpu_count(), os.getloadavg()[0]
    print(f"medians of {args.repeat} runs, {cores} cores, load {load:.1f};"
          " (Nx) is the ratio to `git status`\n")  # fmt: skip
    print("Wall-clock time:\n")
    print(table(results, 0))
    print("\nCPU time (user + system, of the command and what it waited for):\n")
    print(table(results, 1))
    if args.dir is None:
        shutil.rmtree(top, ignore_errors=True)


if __name__ == "__main__":
    main()
