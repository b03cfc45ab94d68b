"""Long work shows its progress, and Ctrl-C says what finished and what did not (exit 130)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import IO

from tests.conftest import git, run_cli

LOT = [f"ALFA-2026-{n:04d}" for n in range(501, 541)]


def add_lot(factory: Path, ids: list[str]) -> None:
    """Directives written straight into exchange/orders/ (a pull would put them there)."""
    sample = json.loads((factory / "exchange/orders/ALFA-2026-0001.json").read_text())
    for order_id in ids:
        doc = {**sample, "order_id": order_id}
        path = factory / "exchange" / "orders" / f"{order_id}.json"
        path.write_text(json.dumps(doc, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    git(factory, "add", "-A")
    git(factory, "commit", "-q", "-m", "intake: a big lot")


# As a terminal starts the command: Ctrl-C raises KeyboardInterrupt, even when this test run
# was started in the background of a script (whose jobs inherit SIGINT ignored, and Python
# then leaves it ignored).
_AS_ON_A_TERMINAL = (
    "import runpy, signal, sys\n"
    "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
    "sys.argv[0] = 'toyfoundry'\n"
    "runpy.run_module('toyfoundry_ci', run_name='__main__', alter_sys=True)\n"
)


def start(factory: Path, *args: str) -> tuple[subprocess.Popen[str], IO[str]]:
    """``toyfoundry ARGS`` running in the background, and its stderr to follow the progress."""
    proc = subprocess.Popen(
        [sys.executable, "-c", _AS_ON_A_TERMINAL, *args],
        cwd=factory,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    return proc, proc.stderr


def test_without_a_terminal_each_order_is_a_plain_line(factory: Path) -> None:
    add_lot(factory, LOT[:3])
    forged = run_cli("forge", cwd=factory)
    assert forged.returncode == 0, forged.stderr
    lines = forged.stderr.splitlines()
    assert lines == [f"forge: {n}/3 {oid} done" for n, oid in enumerate(LOT[:3], 1)]
    assert "\x1b" not in forged.stderr + forged.stdout  # no terminal codes in a log

    as_json = run_cli("drill", "--format", "json", cwd=factory)
    assert json.loads(as_json.stdout)["stage"] == "drill"  # progress never mixes into stdout
    assert "drill: 3/3 ALFA-2026-0503 done" in as_json.stderr


def test_on_a_terminal_the_stage_counts_orders(factory: Path) -> None:
    import pty

    add_lot(factory, LOT[:3])
    leader, follower = pty.openpty()
    proc = subprocess.run(
        [sys.executable, "-m", "toyfoundry_ci", "forge"],
        cwd=factory,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=follower,
        env={**os.environ, "COLUMNS": "100", "TERM": "xterm"},
        check=False,
    )
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(leader)
    assert proc.returncode == 0
    assert b"forge" in shown and b"3/3" in shown  # the live count, drawn on the terminal
    assert b"forge: 1/3" not in shown  # not the plain lines


def test_ctrl_c_says_what_finished_and_exits_130(factory: Path) -> None:
    add_lot(factory, LOT)
    assert run_cli("forge", cwd=factory).returncode == 0
    drill, progress = start(factory, "drill")
    seen = [progress.readline() for _ in range(3)]  # three orders drilled: mid-lot
    assert all(line.startswith("drill: ") for line in seen), seen
    drill.send_signal(signal.SIGINT)
    stdout, rest = drill.communicate(timeout=60)

    assert drill.returncode == 130, stdout + rest
    assert "Traceback" not in rest
    summary = rest[rest.index("interrupted: drill stopped before it finished") :]
    finished = int(summary.split("drill: ")[1].split(" order")[0])
    assert 3 <= finished < len(LOT), summary
    assert f"; not done: {len(LOT) - finished} orders (" in summary
    assert "run `toyfoundry drill` again to finish what was not done" in summary

    # Nothing is half-written: no temporary file is left, every draft is valid, the lock is
    # free, and running the stage again finishes exactly the rest.
    assert not list(factory.rglob("*.tmp"))
    checked = run_cli("validate", "outbox", cwd=factory)
    assert checked.returncode == 0, checked.stdout
    again = run_cli("drill", cwd=factory)
    assert again.returncode == 0, again.stderr
    assert again.stdout.count(": done: ") == len(LOT) - finished


def test_ctrl_c_during_a_shift_names_the_steps_it_finished(factory: Path) -> None:
    add_lot(factory, LOT)
    shift, progress = start(factory, "shift")
    line = ""
    deadline = time.monotonic() + 60
    while not line.startswith("drill: ") and time.monotonic() < deadline:
        line = progress.readline()
        assert line or shift.poll() is None, "the shift ended before its drill"
    shift.send_signal(signal.SIGINT)
    stdout, rest = shift.communicate(timeout=60)

    assert shift.returncode == 130, stdout + rest
    assert "interrupted: shift stopped before it finished" in rest
    assert "shift steps finished: warm start, intake, forge; stopped during: drill" in rest
    assert f"forge: {len(LOT)} orders finished" in rest
    assert "Traceback" not in rest
    assert not list(factory.rglob("*.tmp"))
    assert run_cli("drill", cwd=factory).returncode == 0  # the lock is free, the rest drills
