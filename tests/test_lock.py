"""Two runs on one checkout: the second waits or refuses; a killed holder frees the lock."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.lock import repository_lock

HOLD = """
import sys, time
from pathlib import Path
from toyfoundry_ci.base.lock import repository_lock
with repository_lock(Path(sys.argv[1]), purpose="shift"):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _hold(root: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(root), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_second_run_refuses_naming_the_holder(tmp_path: Path) -> None:
    holder = _hold(tmp_path, 30)
    try:
        with (
            pytest.raises(RefusedError, match=rf"pid {holder.pid}: shift"),
            repository_lock(tmp_path, purpose="pull"),
        ):
            pass
    finally:
        holder.kill()
        holder.wait()


def test_second_run_waits_for_the_first(tmp_path: Path) -> None:
    holder = _hold(tmp_path, 0.5)
    start = time.monotonic()
    with repository_lock(tmp_path, purpose="pull", wait=30):
        waited = time.monotonic() - start
    holder.wait()
    assert holder.returncode == 0
    assert waited > 0.1


def test_sigkilled_holder_leaves_no_stale_lock(tmp_path: Path) -> None:
    holder = _hold(tmp_path, 60)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait()
    with repository_lock(tmp_path, purpose="shift"):
        assert (tmp_path / ".toyfoundry" / "lock").read_text().startswith(f"pid {os.getpid()}")
