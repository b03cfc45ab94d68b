"""This repository's sample factory as committed: what tests and benchmarks build factories from.

Kept free of pytest so benchmarks can use it too.
"""

from __future__ import annotations

import atexit
import functools
import io
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


@functools.cache
def committed() -> Path:
    """This repository's committed tree (``git archive HEAD``), extracted once per process.

    Tests build factories from what is committed, never from a working tree that a user (or a
    demo run) may have changed. Outside a git checkout (an unpacked sdist) the tree is used.
    """
    proc = subprocess.run(
        ["git", "-C", str(REPO_ROOT), "archive", "--format=tar", "HEAD"],
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        return REPO_ROOT
    root = Path(tempfile.mkdtemp(prefix="toyfoundry-committed-"))
    atexit.register(shutil.rmtree, root, ignore_errors=True)
    with tarfile.open(fileobj=io.BytesIO(proc.stdout)) as tar:
        try:
            tar.extractall(root, filter="data")
        except TypeError:  # Python before 3.11.4 has no filters; this archive is our own
            tar.extractall(root)  # noqa: S202
    return root
