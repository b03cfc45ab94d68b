"""A tree's files, even when GitHub cuts the recursive listing short.

``GET /repos/{o}/{r}/git/trees/{sha}?recursive=1`` stops at 100,000 entries or 7 MB and says
``truncated: true``; what it returned is then a part, not the whole. GitHub's own advice is
to list one folder at a time instead: the walk below does that, non-recursively, only into
the folders the caller asks for, so a repository of any size costs one request per folder
that matters. A single folder GitHub cannot list whole is refused, never read in part.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toyfoundry_ci.base.errors import ToyfoundryError

if TYPE_CHECKING:
    from github.GitTree import GitTree
    from github.Repository import Repository


class TruncatedTreeError(ToyfoundryError):
    """One folder holds more entries than GitHub lists in one answer."""


@dataclass(frozen=True, slots=True)
class TreeFile:
    """One entry of a tree: its git object ID, mode and (for a blob) the size the tree states.

    Mode 100644 or 100755 is a file, 120000 a symbolic link, 160000 a submodule, 040000 a
    folder the caller did not descend into.
    """

    sha: str
    mode: str
    size: int | None


def tree_files(
    repo: Repository, tree_sha: str, descend: Callable[[str], bool]
) -> dict[str, TreeFile]:
    """Every entry under ``tree_sha`` whose folders ``descend`` accepts (the root always is),
    but the folders it descends into: blobs (files and links), submodules, other folders.

    ``descend("a/b")`` says whether the files in folder ``a/b`` matter (``a`` was accepted
    first). PyGithub and ``requests`` errors are the caller's to translate.
    """
    whole = repo.get_git_tree(tree_sha, recursive=True)
    if not _truncated(whole):
        return {
            e.path: TreeFile(e.sha, e.mode, e.size)
            for e in whole.tree
            if _wanted(e.path, descend) and not (e.type == "tree" and descend(e.path))
        }
    found: dict[str, TreeFile] = {}
    todo = [("", tree_sha)]
    while todo:
        folder, sha = todo.pop()
        listing = repo.get_git_tree(sha)
        if _truncated(listing):
            raise TruncatedTreeError(
                f"folder {folder or '(the top)'} holds more entries than GitHub lists in one answer"
                " (100,000 entries or 7 MB)",
                hint="split the folder: GitHub cannot list it, so neither can this tool",
            )
        for e in listing.tree:
            path = f"{folder}/{e.path}" if folder else e.path
            if e.type == "tree" and descend(path):
                todo.append((path, e.sha))
            else:
                found[path] = TreeFile(e.sha, e.mode, e.size)
    return found


def _truncated(tree: GitTree) -> bool:
    return bool(tree.raw_data.get("truncated"))


def _wanted(path: str, descend: Callable[[str], bool]) -> bool:
    parts = path.split("/")[:-1]
    return all(descend("/".join(parts[: i + 1])) for i in range(len(parts)))
