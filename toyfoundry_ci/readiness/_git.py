"""The few git questions the gate asks of the factory's work tree."""

from __future__ import annotations

from pathlib import Path

from toyfoundry_ci.base.git import Blobs, Git, GitError
from toyfoundry_ci.base.loader import MAX_BYTES


def head(root: Path) -> str:
    """The commit HEAD names, or ``none`` outside a repository or before the first commit."""
    ran = Git(root).run("rev-parse", "--verify", "--quiet", "HEAD")
    value = ran.out.decode(errors="replace").strip()
    return value if ran.ok and value else "none"


def in_work_tree(root: Path) -> bool:
    """Whether ``root`` is inside a git work tree."""
    ran = Git(root).run("rev-parse", "--is-inside-work-tree")
    return ran.ok and ran.out.strip() == b"true"


def staged_changes(root: Path) -> list[tuple[str, str]]:
    """``(status letter, path)`` of every staged change; renames count as an add."""
    git = Git(root)
    ran = git.run("diff", "--cached", "--name-status", "--no-renames", "-z")
    if not ran.ok:
        # Outside a repository git diff compares two paths and answers with its usage text.
        if not git.ok("rev-parse", "--git-dir"):
            raise GitError(f"{root} is not inside a git repository")
        raise git.error("diff", ran)
    fields = ran.out.decode("utf-8", errors="surrogateescape").split("\0")
    return [(fields[i][:1], fields[i + 1]) for i in range(0, len(fields) - 1, 2)]


def staged_blobs(root: Path, paths: list[str]) -> Blobs:
    """The staged content of each path, by path; one above the artifact bound is not read."""
    found = Git(root).blobs([f":{p}" for p in paths], MAX_BYTES)
    return Blobs(
        {name[1:]: data for name, data in found.data.items()},
        {name[1:]: size for name, size in found.too_big.items()},
    )


def tracked(root: Path, paths: tuple[str, ...]) -> list[str]:
    """The files under ``paths`` that git tracks (index included); none outside a repository."""
    ran = Git(root).run("ls-files", "-z", "--cached", "--", *paths)
    if not ran.ok:
        return []
    return [p for p in ran.out.decode("utf-8", errors="surrogateescape").split("\0") if p]
