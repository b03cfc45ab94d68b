"""The folder hub: the embedded default (``.toyfoundry/hub``), no server needed.

Crash safety comes from order: evidence files first, then the notification, the receipt
last, each written atomically. A push killed half-way leaves files without a receipt; the
re-run finds them identical (nothing rewritten) and writes the receipt, so no duplicate.

Every file is read by the one bounded reader, folders walked without following a link: a
symbolic link, a FIFO or a file above the bound is listed as ``Refused``, for pull to
quarantine and report; a hub folder that is a link is an error. A folder that is not there
is an error naming it (a mistyped path must not look like an empty hub); only the embedded
default hub is created by its first push.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.errors import HubError
from toyfoundry_ci.base.git import blob_id
from toyfoundry_ci.base.reader import (
    NO_FOLDER,
    UnreadableError,
    folder_entries,
    open_folder,
    read_bounded,
)
from toyfoundry_ci.hub.protocol import (
    HUB_FOLDERS,
    MAX_HUB_FILE,
    Publication,
    Published,
    Refused,
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
        """Every entry of the hub's folders; one the reader refuses is listed as ``Refused``."""
        found: dict[str, str] = {}
        self._bytes = {}
        if not self._present():
            return found
        for folder in HUB_FOLDERS:
            try:
                with open_folder(self.root, folder) as dir_fd:
                    for name, refused in folder_entries(dir_fd):
                        path = f"{folder}/{name}"
                        data = Refused(refused) if refused else _read_bounded(name, dir_fd)
                        self._bytes[path] = data
                        found[path] = blob_id(data)
            except UnreadableError as exc:
                if exc.reason.endswith(NO_FOLDER):
                    continue
                raise HubError(
                    f"{self.display}: {exc.reason}",
                    hint=f"replace {self.display}/{folder} by a real folder",
                ) from None
        return found

    def refusals(self) -> Mapping[str, str]:
        return {p: d.reason for p, d in self._bytes.items() if isinstance(d, Refused)}

    def read(self, paths: Iterable[str]) -> dict[str, bytes]:
        out: dict[str, bytes] = {}
        for path in paths:
            data = self._bytes.get(path)
            if data is None:
                folder, _, name = check_hub_path(path).partition("/")
                try:
                    with open_folder(self.root, folder) as dir_fd:
                        data = _read_bounded(name, dir_fd)
                except UnreadableError as exc:
                    raise HubError(f"{self.display}: {exc.reason}") from None
            out[path] = data
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


def _read_bounded(name: str, dir_fd: int) -> bytes:
    """A hub file's bytes, or ``Refused`` saying why the one bounded reader would not."""
    try:
        return read_bounded(name, MAX_HUB_FILE, dir_fd=dir_fd)[1]
    except UnreadableError as exc:
        return Refused(exc.reason)
