"""The one atomic-write helper: readers see the old file or the new one, never a torn one."""

from __future__ import annotations

import contextlib
import functools
import os
import tempfile
from pathlib import Path
from typing import Any

from toyfoundry_ci.base.canonical import dumps
from toyfoundry_ci.base.errors import ToyfoundryError
from toyfoundry_ci.base.layout import is_factory
from toyfoundry_ci.base.reader import UnreadableError, read_file


def write_bytes_atomic(
    path: Path, data: bytes | bytearray, *, durable: bool = True, compare: bool = True
) -> bool:
    """Write ``data`` to ``path`` atomically; return False when the file already held it.

    The temporary file lives beside the target so ``os.replace`` stays on one file system;
    it is fsynced before the rename and the directory after, so a crash leaves either file.
    ``durable=False`` skips the fsyncs, for caches that may be lost but never torn;
    ``compare=False`` skips reading the old file, for callers that just compared it.
    The file gets the mode any new file would (0666 less the umask), not mkstemp's 0600:
    a hub folder or a clone shared with others must stay readable to them.
    """
    if compare and _holds(path, data):
        return False
    refuse_linked_folder(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            os.fchmod(fh.fileno(), 0o666 & ~_umask())
            fh.write(data)
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        Path(tmp).replace(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            Path(tmp).unlink()
        raise
    if durable:
        _fsync_dir(path.parent)
    return True


def refuse_linked_folder(path: Path) -> None:
    """Refuse a write whose folder, below the factory holding it, is reached by a link.

    A committed symbolic link at ``exchange/orders`` (or ``logs``, the quilt exports...)
    would send the write wherever it points, outside the factory. The factory's own root
    may be a link (the user chose it); nothing between it and the file may.
    """
    linked = linked_folder(str(path.parent.absolute()))
    if linked is not None:
        raise ToyfoundryError(
            f"{linked}: a folder of the factory is a symbolic link; refusing to write {path}"
            " through it",
            hint=f"replace it by a real folder (rm {linked}; mkdir {linked}),"
            " then run toyfoundry readiness",
        )


@functools.lru_cache(maxsize=4096)
def linked_folder(folder: str) -> str | None:
    """The topmost symbolic link among ``folder`` and its parents below a factory's root."""
    linked = None
    here = Path(folder)
    for above in (here, *here.parents):
        if is_factory(above):
            return linked
        if above.is_symlink():
            linked = str(above)
    return None


def _holds(path: Path, data: bytes | bytearray) -> bool:
    """Whether ``path`` is a regular file holding ``data``; read only when the size matches.

    Never through a symbolic link, never blocking on a FIFO: the target may sit on a hub
    someone else writes, and replacing what is there is the answer in every other case.
    """
    try:
        return read_file(path, len(data)) == data
    except UnreadableError:
        return False


def write_json_atomic(path: Path, obj: Any) -> bool:
    """Write ``obj`` as canonical JSON atomically; return False when nothing changed."""
    return write_bytes_atomic(path, dumps(obj))


@functools.cache
def _umask() -> int:
    # Reading the umask means setting it; done once, before any worker thread writes.
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
