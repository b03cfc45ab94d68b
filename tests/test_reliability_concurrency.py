"""Concurrent runs: two writers on one checkout meet the lock; many clones share one git hub."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import git, log_files, logged_runs, run_cli
from tests.exchange_kit import sealed_factory
from tests.reliability_kit import snapshot, temp_files, torn_json
from tests.test_exchange_git import bare_hub
from tests.test_lock import _hold


def _start(*args: str, cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "toyfoundry_ci", *args],
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )


@pytest.mark.slow  # two demo shifts at once
def test_two_shifts_on_one_checkout_one_refuses_nothing_corrupted(factory: Path) -> None:
    outer, factory = factory, factory / ".toyfoundry" / "demo" / "factory"
    first = _start("shift", "--demo", cwd=outer)
    lock = factory / ".toyfoundry" / "lock"
    deadline = time.monotonic() + 60
    while f"pid {first.pid}: shift" not in (lock.read_text() if lock.exists() else ""):
        assert time.monotonic() < deadline and first.poll() is None, first.communicate()
        time.sleep(0.01)
    first.send_signal(signal.SIGSTOP)  # paused mid-shift, holding the lock: a sure overlap
    try:
        second = _start("shift", "--demo", cwd=outer)
        second.wait(timeout=120)
    finally:
        first.send_signal(signal.SIGCONT)
    done = [(p.wait(timeout=300), *p.communicate()) for p in (first, second)]

    codes = sorted(code for code, _, _ in done)
    assert codes == [0, 1], done
    refused = next(err for code, _, err in done if code == 1)
    assert "another toyfoundry run holds .toyfoundry/lock" in refused
    assert ": shift); not starting shift" in refused
    assert torn_json(factory) == [] and temp_files(factory) == []
    assert run_cli("validate", cwd=factory).returncode == 0
    verify = run_cli("ledger", "verify", cwd=factory)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    hub = factory / ".toyfoundry" / "hub"
    assert len(list((hub / "receipts").glob("*.json"))) == 1

    again = run_cli("shift", "--demo", cwd=outer)
    assert again.returncode == 0 and "nothing new this shift" in again.stdout


WRITERS = [
    ("forge",),
    ("drill",),
    ("parade",),
    ("purge",),
    ("pull",),
    ("push",),
    ("shift",),
    ("signoff", "ALFA-2026-0001", "--reviewer", "Quality Lead"),
]


@pytest.mark.parametrize("args", WRITERS, ids=[w[0] for w in WRITERS])
def test_every_writer_refuses_while_another_run_holds_the_checkout(
    factory: Path, args: tuple[str, ...]
) -> None:
    holder = _hold(factory, 60)
    try:
        before = snapshot(factory)
        result = run_cli(*args, cwd=factory)
    finally:
        holder.kill()
        holder.wait()

    assert result.returncode == 1, result.stdout + result.stderr
    assert f"another toyfoundry run holds .toyfoundry/lock (pid {holder.pid}: shift)" in (
        result.stderr
    )
    after = snapshot(factory)
    after.pop(".toyfoundry/lock", None), before.pop(".toyfoundry/lock", None)
    assert after == before


def _slow_receive(bare: Path) -> None:
    """Hold every push in pre-receive a moment, so concurrent pushes really overlap."""
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\ncat >/dev/null\nsleep 0.3\n")
    hook.chmod(0o755)


@pytest.mark.slow  # four factories push at once, each retrying on the moved branch
def test_clones_pushing_to_one_git_hub_at_once_all_land(tmp_path: Path) -> None:
    bare = bare_hub(tmp_path, [f"ALFA-2027-{10 * n + i:04d}" for n in range(4) for i in (1, 2)])
    _slow_receive(bare)
    factories = []
    for n in range(4):
        layout, ids = sealed_factory(tmp_path / f"factory-{n}", 2, start=10 * n + 1)
        (layout.root / ".toyfoundry").mkdir(exist_ok=True)
        (layout.root / ".toyfoundry" / "config.toml").write_text(f'factory = "factory-{n}"\n')
        factories.append((layout.root, ids))

    pushes = [_start("push", "--hub", str(bare), cwd=root) for root, _ in factories]
    done = [(p.wait(timeout=120), *p.communicate()) for p in pushes]

    assert all(code == 0 for code, _, _ in done), done
    tree = git(bare, "ls-tree", "-r", "--name-only", "main").split()
    for _root, ids in factories:
        assert {f"reports/RPT-{i}.json" for i in ids} <= set(tree)
    receipts = [p for p in tree if p.startswith("receipts/")]
    assert len(receipts) == 4
    factories_in_receipts = {
        json.loads(git(bare, "show", f"main:{p}"))["factory"] for p in receipts
    }
    assert factories_in_receipts == {f"factory-{n}" for n in range(4)}
    assert int(git(bare, "rev-list", "--count", "main").strip()) == 5  # initial + one each


APPEND = """
import sys
from pathlib import Path
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.exchange.log import append_run
from toyfoundry_ci.readiness.log import append_run as append_readiness
layout, kind, n = Layout(Path(sys.argv[1])), sys.argv[2], int(sys.argv[3])
print("ready", flush=True)
sys.stdin.readline()
for i in range(n):
    if kind == "exchange":
        append_run(layout, direction="pull", hub=sys.argv[4], orders=[], result="ok")
    else:
        run = {"at": f"2026-01-01T00:00:{i % 60:02d}Z", "head": sys.argv[4], "verdict": "green",
               "checks": [{"id": "schemas", "status": "pass", "message": "ok"}]}
        append_readiness(layout, run)
"""
APPENDS = 60
NAMES = ("a" * 40, "b" * 40)  # a readiness run's head is a commit ID


@pytest.mark.parametrize("kind", ["exchange", "readiness"])
def test_two_processes_appending_to_a_log_at_once_lose_no_run(factory: Path, kind: str) -> None:
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", APPEND, str(factory), kind, str(APPENDS), name],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in NAMES
    ]
    for w in writers:
        assert w.stdout is not None and w.stdout.readline().strip() == "ready"
    for w in writers:  # released together: the appends interleave
        assert w.stdin is not None
        w.stdin.write("go\n")
        w.stdin.flush()
    done = [(w.wait(timeout=120), *w.communicate()) for w in writers]

    assert all(code == 0 for code, _, _ in done), done
    runs = logged_runs(factory, "exchange_all" if kind == "exchange" else "ops_readiness")
    key = "hub" if kind == "exchange" else "head"
    mine = [r[key] for r in runs if r[key] in NAMES]
    assert len(mine) == 2 * APPENDS


def test_a_recorded_readiness_run_waits_for_a_pull_and_lands(factory: Path) -> None:
    before = log_files(factory, "ops_readiness")
    holder = _hold(factory, 4.0)  # another run (a pull, say) holds the checkout
    readiness = _start("readiness", "--record", cwd=factory)
    # Watched for 3 s of the 4 s hold: the holder's exit after it lets go may lag on a busy
    # machine, and the run may land in that moment.
    deadline = time.monotonic() + 3.0
    while time.monotonic() < deadline:
        assert log_files(factory, "ops_readiness") == before  # not while it holds
        time.sleep(0.02)
    assert holder.wait(timeout=60) == 0
    _out, err = readiness.communicate(timeout=60)

    assert "not starting" not in err, err
    assert len(log_files(factory, "ops_readiness")) == len(before) + 1
