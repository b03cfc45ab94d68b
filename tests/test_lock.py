"""Two runs on one checkout: the second waits or refuses; a killed holder frees the lock."""

from __future__ import annotations

import contextlib
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


def test_an_inner_hold_neither_waits_nor_releases_the_outer(tmp_path: Path) -> None:
    lock = tmp_path / ".toyfoundry" / "lock"
    with repository_lock(tmp_path, purpose="shift"):
        with repository_lock(tmp_path / ".", purpose="pull"):
            assert lock.read_text() == f"pid {os.getpid()}: shift\n"
        # The inner hold is over; the shift still holds the checkout against another process.
        probe = _probe(tmp_path)
        assert probe.returncode == 1, probe.stderr
        assert f"(pid {os.getpid()}: shift); not starting forge" in probe.stdout
    again = _probe(tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr


PROBE = """
import sys
from pathlib import Path
from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.lock import repository_lock
try:
    with repository_lock(Path(sys.argv[1]), purpose="forge"):
        pass
except RefusedError as exc:
    print(exc.message)
    sys.exit(1)
"""


def _probe(root: Path) -> subprocess.CompletedProcess[str]:
    """Another process tries to take the lock for a forge."""
    return subprocess.run(
        [sys.executable, "-c", PROBE, str(root)], capture_output=True, text=True, check=False
    )


def test_a_shift_takes_the_lock_once(factory: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from toyfoundry_ci.base import lock as lock_module
    from toyfoundry_ci.base.layout import Layout
    from toyfoundry_ci.shift import run_shift

    taken: list[str] = []
    flock = lock_module._flock

    def counted(path: Path, purpose: str, wait: float) -> contextlib.AbstractContextManager[None]:
        taken.append(purpose)
        return flock(path, purpose, wait)

    monkeypatch.setattr(lock_module, "_flock", counted)
    result = run_shift(Layout(factory), demo=True)

    assert result.ok, result.steps
    assert [s.name for s in result.steps if s.status == "done"][:2] == [
        "demo batch",
        "intake (pull)",
    ]
    assert taken == ["shift"]  # pull, forge, ..., both logs' appends: held, not taken again


def test_the_lock_names_the_shift_throughout_a_shift(factory: Path) -> None:
    demo = factory / ".toyfoundry" / "demo" / "factory"
    lock = demo / ".toyfoundry" / "lock"
    shift = subprocess.Popen(
        [sys.executable, "-m", "toyfoundry_ci", "shift", "--demo"],
        cwd=factory,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    seen: set[str] = set()
    while shift.poll() is None:
        with contextlib.suppress(FileNotFoundError):
            seen.add(lock.read_text())
        time.sleep(0.005)
    out, err = shift.communicate()
    assert shift.returncode == 0, out + err
    assert seen - {""} == {f"pid {shift.pid}: shift\n"}


# The work layer, where each command takes the lock once; the lock module itself.
WORK = ("shift.py", "exchange/", "readiness/", "foundry/", "actions/", "base/lock.py")


def test_only_the_work_layer_takes_the_lock() -> None:
    import toyfoundry_ci

    package = Path(toyfoundry_ci.__file__).parent
    takers = {
        path.relative_to(package).as_posix()
        for path in package.rglob("*.py")
        if "toyfoundry_ci.base.lock" in path.read_text(encoding="utf-8")
        or "repository_lock(" in path.read_text(encoding="utf-8")
    }
    assert takers, "the lock is taken somewhere"
    assert {t for t in takers if not t.startswith(WORK)} == set()
    assert "foundry/forge.py" in takers and "exchange/log.py" in takers
