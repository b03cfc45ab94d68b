"""The one bounded reader of files someone else may have written: a checkout, a hub, a handoff.

A file is opened with ``O_NOFOLLOW`` (a symbolic link is refused, not followed) and
``O_NONBLOCK`` (a FIFO or a device never makes the read wait for a writer), ``fstat`` admits
regular files only, and the size bound is checked before a byte is read; at most bound + 1
bytes are ever read, so a file that grows while being read is caught too. ``O_NOFOLLOW``
guards the last component only: folders are walked one component at a time with ``dir_fd``
(``open_folder``), each opened with ``O_NOFOLLOW``, so a symbolic link to a folder is refused
as well. Every refusal is an ``UnreadableError`` whose reason is one of a few fixed sentences.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from operator import itemgetter
from pathlib import Path

from toyfoundry_ci.base.errors import ToyfoundryError

FILE_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NONBLOCK", 0)
)
FOLDER_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_DIRECTORY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)

# The reasons, whoever reads: a file's name goes before them ("x.json: is a symbolic link").
LINK = "is a symbolic link; only regular files are read"
SPECIAL = "is not a regular file (a FIFO, socket or device)"
FOLDER = "is a folder, not a regular file"
MISSING = "no such file"
NO_FOLDER = "does not exist"
LINK_OR_SPECIAL = "is a symbolic link or not a regular file; refused"


def too_large(size: int, bound: int) -> str:
    return f"is {size} bytes, larger than the {bound}-byte bound"


def unreadable(exc: OSError) -> str:
    return f"is unreadable: {exc.strerror or exc}"


class UnreadableError(ToyfoundryError):
    """A file (or folder) the reader refused; ``reason`` is one of the sentences above.

    Callers that report per file use ``reason``; one that lets it through shows the file
    too, and a hint saying what to do about it.
    """

    def __init__(self, reason: str, path: str | Path | None = None) -> None:
        super().__init__(
            reason if path is None else f"{path}: {reason}",
            hint=None if path is None else _what_to_do(reason, path),
        )
        self.reason = reason


def _what_to_do(reason: str, path: str | Path) -> str | None:
    if reason == MISSING:
        return None
    if reason.startswith("is unreadable"):
        return f"check who may read it (`ls -l {path}`)"
    drop = f"remove it (`git rm {path}` when it is committed)"
    if "bound" in reason:
        return f"files above the bound are refused unread: make it smaller, or {drop}"
    return f"only regular files are read: put the file itself there, or {drop}"


def read_bounded(
    path: str | Path, bound: int | None, *, dir_fd: int | None = None
) -> tuple[os.stat_result, bytes]:
    """The stat and bytes of the regular file ``path`` (relative to ``dir_fd`` if given).

    ``bound`` None reads the whole file (hashing evidence, whose size is its own business);
    otherwise a file above ``bound`` bytes is refused before, or while, it is read.
    """
    try:
        fd = os.open(path, FILE_FLAGS, dir_fd=dir_fd)
    except OSError as exc:
        raise UnreadableError(_open_reason(exc, path, dir_fd), path) from None
    try:
        info = _regular(fd, path, bound)
        limit = info.st_size + 1 if bound is None else min(info.st_size, bound) + 1
        data = os.read(fd, limit)
        # A short read of a regular file is its end; a full one means it grew meanwhile.
        if len(data) == limit:
            data = _read_on(fd, data, bound, path)
    except OSError as exc:
        raise UnreadableError(unreadable(exc), path) from None
    finally:
        os.close(fd)
    return info, data


def read_file(path: str | Path, bound: int | None) -> bytes:
    """The bytes of the regular file ``path``, within ``bound``; see ``read_bounded``."""
    return read_bounded(path, bound)[1]


def read_present(path: str | Path, bound: int | None) -> bytes | None:
    """``read_file``, but None when nothing is at ``path``; any other refusal still raises."""
    try:
        return read_bounded(path, bound)[1]
    except UnreadableError as exc:
        if exc.reason == MISSING:
            return None
        raise


def read_buffer(path: str | Path, bound: int | None) -> bytearray:
    """``read_file`` into a buffer the caller may edit in place: one copy of a large file."""
    try:
        fd = os.open(path, FILE_FLAGS)
    except OSError as exc:
        raise UnreadableError(_open_reason(exc, path, None), path) from None
    try:
        info = _regular(fd, path, bound)
        buf = bytearray(info.st_size + 1)
        got = os.readv(fd, [buf])
        if got == len(buf):  # it grew meanwhile: the rest, within the bound
            return bytearray(_read_on(fd, bytes(buf), bound, path))
        del buf[got:]
    except OSError as exc:
        raise UnreadableError(unreadable(exc), path) from None
    finally:
        os.close(fd)
    return buf


def _regular(fd: int, path: str | Path, bound: int | None) -> os.stat_result:
    """The stat of the open ``fd`` when it is a regular file within ``bound``, else refused."""
    info = os.fstat(fd)
    if not stat.S_ISREG(info.st_mode):
        raise UnreadableError(FOLDER if stat.S_ISDIR(info.st_mode) else SPECIAL, path)
    if bound is not None and info.st_size > bound:
        raise UnreadableError(too_large(info.st_size, bound), path)
    return info


def _read_on(fd: int, data: bytes, bound: int | None, path: str | Path) -> bytes:
    chunks = [data]
    total = len(data)
    while bound is None or total <= bound:
        chunk = os.read(fd, 1 << 20 if bound is None else bound + 1 - total)
        if not chunk:
            break
        chunks.append(chunk)
        total += len(chunk)
    if bound is not None and total > bound:
        raise UnreadableError(f"grew above the {bound}-byte bound while being read", path)
    return b"".join(chunks)


def _open_reason(exc: OSError, path: str | Path, dir_fd: int | None) -> str:
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return MISSING
    if exc.errno == errno.EISDIR:
        return FOLDER
    if exc.errno == errno.ENXIO:  # a socket, or a FIFO opened for writing elsewhere
        return SPECIAL
    if exc.errno == errno.ELOOP or is_link(path, dir_fd):
        return LINK
    return unreadable(exc)


def is_link(path: str | Path, dir_fd: int | None = None) -> bool:
    """Whether ``path`` is a symbolic link (never following it)."""
    try:
        return stat.S_ISLNK(os.stat(path, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


@contextmanager
def open_folder(root: Path, rel: str = "") -> Iterator[int]:
    """A descriptor of folder ``rel`` below ``root``, walked so no component is a link.

    ``root`` itself is trusted (the user named it); each folder below it is opened with
    ``O_NOFOLLOW`` relative to the one before. Raises ``UnreadableError`` naming the component.
    """
    fd = os.open(root, FOLDER_FLAGS & ~getattr(os, "O_NOFOLLOW", 0))
    try:
        done = ""
        for part in (p for p in rel.split("/") if p):
            done = f"{done}{part}/"
            try:
                child = os.open(part, FOLDER_FLAGS, dir_fd=fd)
            except OSError as exc:
                reason = _folder_reason(exc, part, fd)
                raise UnreadableError(f"{done} {reason}", root) from None
            os.close(fd)
            fd = child
        yield fd
    finally:
        os.close(fd)


def _folder_reason(exc: OSError, part: str, dir_fd: int) -> str:
    if exc.errno == errno.ENOENT:
        return NO_FOLDER
    if exc.errno == errno.ELOOP or is_link(part, dir_fd):
        return "is a symbolic link to a folder; refused"
    if exc.errno == errno.ENOTDIR:
        return "is not a folder"
    return unreadable(exc)


def folder_entries(dir_fd: int) -> list[tuple[str, str | None, os.stat_result | None]]:
    """The names in an open folder, sorted: each with None (a regular file) or why it is not
    one, and a regular file's stat as listed (None when it is gone already)."""
    out: list[tuple[str, str | None, os.stat_result | None]] = []
    add = out.append
    with os.scandir(dir_fd) as entries:
        for entry in entries:
            # The common case first: a regular file (its type from the listing, no syscall).
            if entry.is_file(follow_symlinks=False):
                try:
                    add((entry.name, None, entry.stat(follow_symlinks=False)))
                except OSError:
                    add((entry.name, None, None))
            elif entry.is_symlink():
                add((entry.name, LINK, None))
            elif entry.is_dir(follow_symlinks=False):
                add((entry.name, FOLDER, None))
            else:
                add((entry.name, SPECIAL, None))
    out.sort(key=itemgetter(0))
    return out
