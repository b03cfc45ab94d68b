"""The few git reads the entry points need, on the runner's checkout."""

from __future__ import annotations

from pathlib import Path

from toyfoundry_ci.base.git import Git, not_an_option

_HINT = "check out with fetch-depth: 0 so the PR's base commit is present"


def checkout(root: Path) -> Git:
    """git on the runner's checkout; a failure says how to check out."""
    return Git(root, hint=_HINT)


def changed_files(root: Path, base: str, head: str) -> list[str]:
    """Files the PR changes: ``git diff --name-only base...head`` (NUL-separated, exact)."""
    for commit in (base, head):
        not_an_option(commit, "commit", "pass the PR's base and head commit SHAs")
    out = checkout(root).text("diff", "--name-only", "--no-renames", "-z", f"{base}...{head}")
    return sorted(name for name in out.split("\0") if name)


def exists_at(root: Path, commit: str, path: str) -> bool:
    not_an_option(commit, "commit", "pass the PR's base commit SHA")
    return checkout(root).ok("cat-file", "-e", f"{commit}:{path}")


def status_paths(root: Path, pathspecs: tuple[str, ...]) -> list[str]:
    """Paths under ``pathspecs`` that differ from HEAD: changed, added, untracked or deleted."""
    out = checkout(root).text(
        "status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames",
        "--", *pathspecs,
    )  # fmt: skip
    return sorted(item[3:] for item in out.split("\0") if len(item) > 3)
