"""The checkout lock: one writer at a time per factory repository.

An advisory ``flock`` on ``.toyfoundry/lock``: the kernel drops it when the holder dies, even
by SIGKILL, so a crashed shift never leaves a stale lock behind.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from toyfoundry_ci.base.errors import RefusedError

LOCK_FILE = Path(".toyfoundry") / "lock"


@contextmanager
def repository_lock(root: Path, *, purpose: str, wait: float = 0.0) -> Iterator[None]:
    """Hold the repository's lock for ``purpose``; wait up to ``wait`` seconds, then refuse."""
    path = root / LOCK_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    _ignore(path)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    try:
        deadline = time.monotonic() + wait
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _holder(fd)
                    raise RefusedError(
                        f"another toyfoundry run holds {LOCK_FILE} ({holder}); "
                        f"not starting {purpose}",
                        hint="wait for that run to finish, then run this command again",
                    ) from None
                time.sleep(0.05)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()}: {purpose}\n".encode())
        yield
    finally:
        os.close(fd)


def _ignore(path: Path) -> None:
    """Keep the lock out of git even where no .gitignore names it: it changes every run."""
    ignore = path.parent / ".gitignore"
    if not ignore.exists() and not ignore.is_symlink():
        with contextlib.suppress(OSError):
            ignore.write_text(f"/{path.name}\n", encoding="utf-8")


def _holder(fd: int) -> str:
    try:
        return os.pread(fd, 200, 0).decode("utf-8", "replace").strip() or "unknown holder"
    except OSError:
        return "unknown holder"
