"""Run ``toyfoundry`` and SIGKILL it just before its Nth step: a crash at a chosen point.

    python tests/kill_at.py STEP N REGEX -- toyfoundry arguments...

STEP names what counts as a step:

- ``write``: a call of ``base.atomic.write_bytes_atomic`` whose target path matches REGEX
- ``replace``: the rename inside that helper, after the temporary file was written and fsynced
- ``git``: a ``git`` subprocess whose arguments match REGEX
- ``http``: an HTTP request (any retry counts) whose method and URL match REGEX

With N = 0 nothing is killed: the number of steps seen is printed to stderr at exit as
``kill_at: steps=K``, so a test can first count the steps of an uninterrupted run and then
kill at each one. The package is never modified: the hooks live here, in the test suite.
"""

from __future__ import annotations

import atexit
import os
import re
import signal
import sys
from pathlib import Path
from typing import Any


def main() -> None:
    step, nth, pattern = sys.argv[1], int(sys.argv[2]), re.compile(sys.argv[3])
    args = sys.argv[sys.argv.index("--") + 1 :]
    seen = 0

    def tick(what: str) -> None:
        nonlocal seen
        if not pattern.search(what):
            return
        seen += 1
        if seen == nth:
            sys.stderr.flush()
            os.kill(os.getpid(), signal.SIGKILL)

    atexit.register(lambda: sys.stderr.write(f"kill_at: steps={seen}\n"))
    _install(step, tick)
    from toyfoundry_ci.cli import main as cli_main

    cli_main(args)


def _install(step: str, tick: Any) -> None:
    if step in ("write", "replace"):
        from toyfoundry_ci.base import atomic

        original_write = atomic.write_bytes_atomic

        def write(path: Path, data: bytes, **options: bool) -> bool:
            if step == "write":
                tick(str(path))
            return original_write(path, data, **options)

        atomic.write_bytes_atomic = write  # type: ignore[assignment]
        if step == "replace":
            original_replace = Path.replace

            def replace(self: Path, target: Any) -> Path:
                tick(str(target))
                return original_replace(self, target)

            Path.replace = replace  # type: ignore[method-assign]
    elif step == "git":
        import subprocess

        original_run = subprocess.run

        def run(cmd: Any, *a: Any, **kw: Any) -> Any:
            if isinstance(cmd, list | tuple) and cmd and cmd[0] == "git":
                tick(" ".join(map(str, cmd)))
            return original_run(cmd, *a, **kw)

        subprocess.run = run  # type: ignore[assignment]
    elif step == "http":
        from requests.adapters import HTTPAdapter

        original_send = HTTPAdapter.send

        def send(self: HTTPAdapter, request: Any, *a: Any, **kw: Any) -> Any:
            tick(f"{request.method} {request.url}")
            return original_send(self, request, *a, **kw)

        HTTPAdapter.send = send  # type: ignore[method-assign]
    else:
        raise SystemExit(f"kill_at: unknown step {step!r}")


if __name__ == "__main__":
    main()
