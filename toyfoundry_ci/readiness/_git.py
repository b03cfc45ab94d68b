"""The few git questions the gate asks, as plain subprocess calls."""

from __future__ import annotations

import subprocess
from pathlib import Path


def head(root: Path) -> str:
    """The commit HEAD names, or ``none`` outside a repository or before the first commit."""
    proc = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", "HEAD"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    value = proc.stdout.strip()
    return value if proc.returncode == 0 and value else "none"


def in_work_tree(root: Path) -> bool:
    """Whether ``root`` is inside a git work tree."""
    proc = subprocess.run(
        ["git", "rev-parse", "--is-inside-work-tree"],
        cwd=root,
        capture_output=True,
        text=True,
        check=False,
    )
    return proc.returncode == 0 and proc.stdout.strip() == "true"


def staged_changes(root: Path) -> list[tuple[str, str]]:
    """``(status letter, path)`` of every staged change; renames count as an add."""
    proc = subprocess.run(
        ["git", "diff", "--cached", "--name-status", "--no-renames", "-z"],
        cwd=root,
        capture_output=True,
        check=False,
    )
    if proc.returncode != 0:
        # git's first line says why; the rest is its usage text.
        message = proc.stderr.decode(errors="replace").strip().partition("\n")[0]
        message = message or "git diff failed"
        raise OSError(message)
    fields = proc.stdout.decode("utf-8", errors="surrogateescape").split("\0")
    return [(fields[i][:1], fields[i + 1]) for i in range(0, len(fields) - 1, 2)]


def staged_blobs(root: Path, paths: list[str]) -> dict[str, bytes]:
    """The staged content of each path, read in one ``git cat-file --batch`` call."""
    if not paths:
        return {}
    request = "".join(f":{p}\n" for p in paths).encode("utf-8", errors="surrogateescape")
    proc = subprocess.run(
        ["git", "cat-file", "--batch"], cwd=root, input=request, capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise OSError(proc.stderr.decode(errors="replace").strip() or "git cat-file failed")
    out = proc.stdout
    blobs: dict[str, bytes] = {}
    pos = 0
    for path in paths:
        end = out.index(b"\n", pos)
        header = out[pos:end].split()
        pos = end + 1
        if len(header) != 3 or header[1] != b"blob":
            continue
        size = int(header[2])
        blobs[path] = out[pos : pos + size]
        pos += size + 1
    return blobs
