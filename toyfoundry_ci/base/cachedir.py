"""Where the factory's caches live: outside its work tree, where no commit can put them.

A cache inside the work tree (``.toyfoundry/cache/``) can be committed by a pull request, and
then vouches for whatever the PR wants: a digest for a file it does not hold, the Merkle root
of another ledger. So caches live under the git directory (``git rev-parse --git-common-dir``,
``<git dir>/toyfoundry/cache/<factory key>``), and outside a git repository under the user's
cache directory (``$XDG_CACHE_HOME/toyfoundry/<factory key>``). The factory key is a hash of
the factory's path, so worktrees and factories sharing one git directory keep apart caches.

A cache file written whole is sealed (``write_sealed``): the sha256 of its body heads it, so
a torn or edited file reads as absent (``read_sealed``) and is rebuilt. Losing one costs
only speed.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path

from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.git import GitError, common_dir

# Folders under ``.toyfoundry/`` that hold machine state: never committed (readiness checks).
UNTRACKED_STATE = (
    ".toyfoundry/cache",
    ".toyfoundry/hub",
    ".toyfoundry/quarantine",
    ".toyfoundry/demo",
)


def cache_root(root: Path) -> Path:
    """The folder holding every cache of the factory at ``root`` (not created here)."""
    root = root.resolve()
    key = hashlib.sha256(os.fsencode(root)).hexdigest()[:16]
    git_dir = _GIT_DIRS.get(root) or _git_common_dir(root)
    if git_dir is not None:
        return git_dir / "toyfoundry" / "cache" / key
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "toyfoundry" / key


def _git_common_dir(root: Path) -> Path | None:
    try:
        found = common_dir(root)
    except GitError:  # no git on this machine: the user's cache directory serves
        return None
    if found is None:
        return None  # not remembered: a later ``git init`` moves the caches under .git
    _GIT_DIRS[root] = found
    return found


# Asked once per process and factory: the git directory of a work tree does not move.
_GIT_DIRS: dict[Path, Path] = {}


def read_sealed(path: Path) -> bytes | None:
    """The body of the cache file ``write_sealed`` wrote; None when absent, torn or edited."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    seal, _, body = data.partition(b"\n")
    return body if hashlib.sha256(body).hexdigest().encode() == seal else None


def write_sealed(path: Path, body: bytes) -> None:
    """Write a cache file atomically, headed by its seal; a failure only costs speed."""
    seal = hashlib.sha256(body).hexdigest().encode()
    with contextlib.suppress(OSError):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, seal + b"\n" + body, durable=False)
