"""The checkout lock: one writer at a time per factory repository.

An advisory ``flock`` on ``.toyfoundry/lock``: the kernel drops it when the holder dies, even
by SIGKILL, so a crashed shift never leaves a stale lock behind.

The work function of each command takes it once (``holds_lock`` or ``repository_lock``), never
the CLI and never the domain. It is re-entrant within one thread: a shift holds it and calls
pull, forge, ... which take it again; those inner holds only count, so they neither wait on
the shift nor release it, and the lock file keeps naming the outermost holder.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from toyfoundry_ci.base.errors import RefusedError

LOCK_FILE = Path(".toyfoundry") / "lock"
# How long a short write (a log append, `ledger index ENTRY`) waits for the holder.
SHORT_WAIT = 30.0

P = ParamSpec("P")
R = TypeVar("R")


class _Held(threading.local):
    """Per thread: resolved root -> (pid, depth). The pid keeps a forked child from inheriting."""

    def __init__(self) -> None:
        self.roots: dict[Path, tuple[int, int]] = {}


_HELD = _Held()


@contextmanager
def repository_lock(root: Path, *, purpose: str, wait: float = 0.0) -> Iterator[None]:
    """Hold the repository's lock for ``purpose``; wait up to ``wait`` seconds, then refuse.

    Already held by this thread, it is held once more: no wait, no new holder line.
    """
    key = root.resolve()
    pid, depth = _HELD.roots.get(key, (0, 0))
    if pid == os.getpid() and depth:
        _HELD.roots[key] = (pid, depth + 1)
        try:
            yield
        finally:
            _HELD.roots[key] = (pid, depth)
        return
    with _flock(key / LOCK_FILE, purpose, wait):
        _HELD.roots[key] = (os.getpid(), 1)
        try:
            yield
        finally:
            del _HELD.roots[key]


class _HasRoot(Protocol):
    @property
    def root(self) -> Path: ...


L = TypeVar("L", bound=_HasRoot)


def holds_lock(
    purpose: str,
) -> Callable[[Callable[Concatenate[L, P], R]], Callable[Concatenate[L, P], R]]:
    """Run a work function whose first argument is the factory's layout under its lock."""

    def wrap(work: Callable[Concatenate[L, P], R]) -> Callable[Concatenate[L, P], R]:
        @functools.wraps(work)
        def locked(layout: L, /, *args: P.args, **kwargs: P.kwargs) -> R:
            with repository_lock(layout.root, purpose=purpose):
                return work(layout, *args, **kwargs)

        return locked

    return wrap


@contextmanager
def _flock(path: Path, purpose: str, wait: float) -> Iterator[None]:
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
