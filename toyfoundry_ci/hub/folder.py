"""The folder hub: the embedded default (``.toyfoundry/hub``), no server needed.

Crash safety comes from order: evidence files first, then the notification, the receipt
last, each written atomically. A push killed half-way leaves files without a receipt; the
re-run finds them identical (nothing rewritten) and writes the receipt, so no duplicate.

A folder that is not there is an error naming it (a mistyped path must not look like an empty
hub); only the embedded default hub is created by its first push.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Mapping
from pathlib import Path

from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.errors import HubError
from toyfoundry_ci.base.git import blob_id
from toyfoundry_ci.hub.protocol import (
    HUB_FOLDERS,
    MAX_HUB_FILE,
    Publication,
    Published,
    check_hub_path,
)


class FolderHub:
    """A hub that is a folder on this machine (or a mounted share)."""

    def __init__(self, root: Path, display: str | None = None, *, create: bool = False) -> None:
        self.root = root
        self.display = display or str(root)
        self.create = create
        self._bytes: dict[str, bytes] = {}

    def listing(self) -> Mapping[str, str]:
        found: dict[str, str] = {}
        self._bytes = {}
        if not self._present():
            return found
        for folder in HUB_FOLDERS:
            directory = self.root / folder
            if directory.is_symlink():
                raise HubError(f"{self.display}: {folder}/ is a symbolic link; refusing it")
            if not directory.is_dir():
                continue
            with os.scandir(directory) as entries:
                for entry in entries:
                    if not entry.name.endswith(".json") or not entry.is_file(follow_symlinks=False):
                        continue
                    path = f"{folder}/{entry.name}"
                    data = _read_bounded(Path(entry.path))
                    self._bytes[path] = data
                    found[path] = blob_id(data)
        return found

    def read(self, paths: Iterable[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for path in paths:
            data = self._bytes.get(path)
            out[path] = data if data is not None else _read_bounded(self._target(path))
        return out

    def publish(self, publication: Publication) -> Published:
        self._present()
        changed = 0
        for item in publication.all_files():
            if write_bytes_atomic(self._target(item.path), item.data):
                changed += 1
        receipt_name = publication.receipt.path.rsplit("/", 1)[-1]
        return Published(publication=f"folder:{receipt_name}", changed=changed)

    def _present(self) -> bool:
        """Whether the hub folder exists; a missing one is an error unless it is embedded."""
        if self.create and self.root.is_symlink():
            # The embedded hub is the factory's own folder: a link there (committed, say) would
            # send unreviewed evidence wherever it points.
            raise HubError(
                f"{self.display}: the embedded hub is a symbolic link; refusing it",
                hint=f"remove the link (git rm --cached {self.display}; rm {self.display})",
            )
        if self.root.is_dir():
            return True
        if self.root.exists() or self.root.is_symlink():
            raise HubError(f"{self.display}: the hub is not a folder")
        if self.create:
            return False
        raise HubError(
            f"{self.display}: no such hub folder",
            hint="create it first (mkdir) or name the right one with --hub",
        )

    def _target(self, path: str) -> Path:
        return self.root / check_hub_path(path)


def _read_bounded(path: Path) -> bytes:
    """Read a regular file (refusing symbolic links), at most MAX_HUB_FILE + 1 bytes of it."""
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as exc:
        raise HubError(f"{path}: cannot be read from the hub ({exc.strerror})") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise HubError(f"{path}: not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as fh:
            data = fh.read(MAX_HUB_FILE + 1)
    finally:
        os.close(fd)
    return data  # at most MAX_HUB_FILE + 1 bytes: more is refused by the caller
