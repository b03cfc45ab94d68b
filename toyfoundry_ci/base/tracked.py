"""What git already knows of the work tree: the blob of each tracked file left unchanged.

git's index is a change feed with its own stat cache: ``git ls-files --stage`` names the
blob of every tracked file, ``git diff-files`` the tracked files whose work-tree content may
differ from it (git compares content where a stat cannot tell: racy-git safe). A file in the
first and not in the second holds exactly its blob's bytes, so a command that wants to know
whether a file is the one a hub or a receipt names can ask by blob ID without reading it.

The sha256 of a blob is a function of its bytes; the few a command needs are kept in
``blob-sha256.json`` under the factory's cache folder (``base.cachedir``: under the git
directory, where no commit can write), sealed by a digest of its body, so a torn or edited
file is discarded and rebuilt. A digest is computed from the file on first need, and only
kept when the bytes read are the blob's.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path

import orjson

from toyfoundry_ci.base.cachedir import cache_root, read_sealed, write_sealed
from toyfoundry_ci.base.git import Git, blob_id

_CACHE = "blob-sha256.json"
_VERSION = 1


class TrackedBlobs:
    """The blobs of the unchanged tracked files under some folders, and their sha256."""

    def __init__(self, root: Path, folders: Sequence[str]) -> None:
        self.root = root
        self.blobs = clean_blobs(root, folders)
        self._path = cache_root(root) / _CACHE
        self._digests = _load(self._path)
        self._dirty = False

    def sha256(self, rel: str) -> tuple[str, str] | None:
        """(blob ID, sha256) of the file at ``rel``, when git holds it unchanged; else None."""
        blob = self.blobs.get(rel)
        if blob is None:
            return None
        digest = self._digests.get(blob)
        if digest is None:
            try:
                data = (self.root / rel).read_bytes()
            except OSError:
                return None
            if blob_id(data) != blob:  # changed since git looked: the caller reads it
                return None
            digest = self._digests[blob] = hashlib.sha256(data).hexdigest()
            self._dirty = True
        return blob, digest

    def save(self) -> None:
        """Keep the digests computed in this run (losing them costs only speed)."""
        if not self._dirty:
            return
        write_sealed(self._path, orjson.dumps({"version": _VERSION, "sha256": self._digests}))
        self._dirty = False


def clean_blobs(root: Path, folders: Sequence[str]) -> dict[str, str]:
    """Path -> blob ID of each tracked file under ``folders`` that git holds unchanged.

    Outside a git work tree, or when git cannot say, nothing is known (every file is read).
    """
    git = Git(root)
    specs = ["--", *folders]
    # ``-v`` tags each entry: "H" is a plain cached one; an assume-unchanged (lower case) or
    # skip-worktree ("S") entry is one git does not compare with the work tree, never clean.
    staged = git.run("ls-files", "--stage", "-v", "-z", *specs)
    # Both relative to ``root`` (a factory may be a folder inside the repository).
    changed = git.run("diff-files", "--name-only", "--relative", "--no-renames", "-z", *specs)
    if not (staged.ok and changed.ok):
        return {}
    dirty = set(changed.out.split(b"\0"))
    found: dict[str, str] = {}
    for record in staged.out.split(b"\0"):
        meta, _, path = record.partition(b"\t")
        fields = meta.split(b" ")
        # Regular files merged cleanly (stage 0) only: a link's blob is its target's name.
        if len(fields) != 4 or fields[0] != b"H" or fields[3] != b"0":
            continue
        if fields[1].startswith(b"1006") and path not in dirty:
            found[path.decode("utf-8", errors="surrogateescape")] = fields[2].decode()
    return found


def _load(path: Path) -> dict[str, str]:
    body = read_sealed(path)
    if body is None:
        return {}  # absent, torn or edited: rebuilt as the run goes
    try:
        doc = orjson.loads(body)
    except orjson.JSONDecodeError:
        return {}
    if not isinstance(doc, dict) or doc.get("version") != _VERSION:
        return {}
    digests = doc.get("sha256")
    return digests if isinstance(digests, dict) else {}
