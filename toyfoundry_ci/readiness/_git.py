"""The few git questions the gate asks of the factory's work tree."""

from __future__ import annotations

from pathlib import Path

from toyfoundry_ci.base.git import Git


def head(root: Path) -> str:
    """The commit HEAD names, or ``none`` outside a repository or before the first commit."""
    ran = Git(root).run("rev-parse", "--verify", "--quiet", "HEAD")
    value = ran.out.decode(errors="replace").strip()
    return value if ran.ok and value else "none"


def in_work_tree(root: Path) -> bool:
    """Whether ``root`` is inside a git work tree."""
    ran = Git(root).run("rev-parse", "--is-inside-work-tree")
    return ran.ok and ran.out.strip() == b"true"


def in_tree(root: Path, tree: str, paths: list[str]) -> list[str]:
    """The files under ``paths`` that ``tree`` holds (``git ls-tree``: no index read)."""
    spec = [f":(literal){p}" for p in paths]
    out = Git(root).out("ls-tree", "-r", "-z", "--name-only", "--full-tree", tree, "--", *spec)
    return [p for p in out.decode("utf-8", errors="surrogateescape").split("\0") if p]


def tracked(root: Path, paths: tuple[str, ...]) -> list[str]:
    """The files under ``paths`` that git tracks (index included); none outside a repository."""
    ran = Git(root).run("ls-files", "-z", "--cached", "--", *paths)
    if not ran.ok:
        return []
    return [p for p in ran.out.decode("utf-8", errors="surrogateescape").split("\0") if p]
