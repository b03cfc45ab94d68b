"""The folder hub: the embedded default (``.toyfoundry/hub``), no server needed.

Crash safety comes from order: evidence files first, then the notification, the receipt
last, each written atomically. A push killed half-way leaves files without a receipt; the
re-run finds them identical (nothing rewritten) and writes the receipt, so no duplicate.

Every file is read by the one bounded reader, folders walked without following a link: a
symbolic link, a FIFO or a file above the bound is listed as ``Refused``, for pull to
quarantine and report; a hub folder that is a link is an error. A folder that is not there
is an error naming it (a mistyped path must not look like an empty hub); only the embedded
default hub is created by its first push.

The listing names each file by its git blob ID, which takes the file's bytes. Given a
``cache`` file (under the git directory, ``base.cachedir``), a file is read only when its
stat is not the one recorded with its blob ID: size, mtime, ctime and inode, all four, so a
rewrite, a rename over it or a ``touch`` back to the old mtime (which moves the ctime, and no
one but the kernel sets that) is read again. Like git's index it is racy-safe: a stat is
recorded only when the file's mtime and ctime lie ``SETTLED_NS`` before the listing began,
so a change landing in the same clock tick as the stat it was read with, or on a share whose
clock runs a little behind, is never taken for the old bytes. A file listed from the cache
is read when asked for (``read``); bytes that are not the blob listed (changed since) come
back ``Refused``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import orjson

from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.cachedir import read_sealed, write_sealed
from toyfoundry_ci.base.errors import HubError
from toyfoundry_ci.base.gcpause import gc_paused
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

# How long before a listing a file must have last changed for its stat to vouch for its bytes.
SETTLED_NS = 10 * 10**9
CHANGED = "changed on the hub after it was listed; run again"
_VERSION = 1
# A recorded stat: [size, mtime_ns, ctime_ns, inode, blob ID].
_Row = list[Any]


class FolderHub:
    """A hub that is a folder on this machine (or a mounted share)."""

    def __init__(
        self,
        root: Path,
        display: str | None = None,
        *,
        create: bool = False,
        cache: Path | None = None,
    ) -> None:
        self.root = root
        self.display = display or str(root)
        self.create = create
        self.cache = cache  # the blob IDs of the files by their stat (see the module doc)
        self._bytes: dict[str, bytes] = {}
        self._listed: Mapping[str, str] = {}

    def listing(self) -> Mapping[str, str]:
        """Every entry of the hub's folders; one the reader refuses is listed as ``Refused``."""
        with gc_paused():  # a row per file, none of them garbage
            return self._listing()

    def _listing(self) -> Mapping[str, str]:
        found: dict[str, str] = {}
        self._bytes, self._listed = {}, found
        if not self._present():
            return found
        known = self._recorded()
        kept: dict[str, _Row] = {}
        settled = time.time_ns() - SETTLED_NS
        for folder in HUB_FOLDERS:
            prefix = folder + "/"
            try:
                with open_folder(self.root, folder) as dir_fd:
                    for name, refused, st in folder_entries(dir_fd):
                        path = prefix + name
                        row = known.get(path)
                        if refused:
                            self._bytes[path] = data = Refused(refused)
                            found[path] = blob_id(data)
                        elif (
                            row is not None
                            and st is not None
                            and row[1] == st.st_mtime_ns
                            and row[2] == st.st_ctime_ns
                            and row[0] == st.st_size
                            and row[3] == st.st_ino
                        ):
                            kept[path] = row
                            found[path] = row[4]
                        else:
                            found[path] = self._read_blob(path, name, dir_fd, kept, settled)
            except UnreadableError as exc:
                if exc.reason.endswith(NO_FOLDER):
                    continue
                raise HubError(
                    f"{self.display}: {exc.reason}",
                    hint=f"replace {self.display}/{folder} by a real folder",
                ) from None
        if self.cache is not None and kept != known:
            doc = {"version": _VERSION, "root": str(self.root.absolute()), "files": kept}
            write_sealed(self.cache, orjson.dumps(doc))
        return found

    def _read_blob(
        self, path: str, name: str, dir_fd: int, kept: dict[str, _Row], settled: int
    ) -> str:
        """A file's blob ID from its bytes, read now; its stat is kept once it has settled."""
        try:
            info, data = read_bounded(name, MAX_HUB_FILE, dir_fd=dir_fd)
        except UnreadableError as exc:
            self._bytes[path] = data = Refused(exc.reason)
            return blob_id(data)
        self._bytes[path] = data
        blob = blob_id(data)
        if info.st_mtime_ns < settled and info.st_ctime_ns < settled:
            kept[path] = [info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, blob]
        return blob

    def _recorded(self) -> dict[str, _Row]:
        """The stats and blob IDs the cache holds for this hub folder (none when unusable)."""
        body = read_sealed(self.cache) if self.cache is not None else None
        if body is None:
            return {}
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            return {}
        if (
            not isinstance(doc, dict)
            or doc.get("version") != _VERSION
            or doc.get("root") != str(self.root.absolute())
            or not isinstance(doc.get("files"), dict)
        ):
            return {}
        return {p: r for p, r in doc["files"].items() if type(r) is list and len(r) == 5}

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
                listed = self._listed.get(path)
                if listed is not None and not isinstance(data, Refused) and blob_id(data) != listed:
                    data = Refused(CHANGED)  # the listing named other bytes
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
