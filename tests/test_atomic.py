"""The atomic writer never follows what it replaces: a symbolic link or a FIFO at the target."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from toyfoundry_ci.base.atomic import write_bytes_atomic


def test_a_symlink_at_the_target_is_replaced_not_followed(tmp_path: Path) -> None:
    outside = tmp_path / "outside.json"
    outside.write_bytes(b"kept")
    target = tmp_path / "hub" / "ACK-ALFA-2026-0001.json"
    target.parent.mkdir()
    target.symlink_to(outside)

    assert write_bytes_atomic(target, b"kept") is True  # same bytes behind a link: no match
    assert not target.is_symlink() and target.read_bytes() == b"kept"
    assert outside.read_bytes() == b"kept"


def test_a_fifo_at_the_target_neither_blocks_nor_is_read(tmp_path: Path) -> None:
    target = tmp_path / "receipt.json"
    os.mkfifo(target)
    assert write_bytes_atomic(target, b"{}") is True
    assert stat.S_ISREG(target.stat().st_mode) and target.read_bytes() == b"{}"


def test_the_same_bytes_are_not_written_again(tmp_path: Path) -> None:
    target = tmp_path / "entry.json"
    assert write_bytes_atomic(target, b"one") is True
    before = target.stat().st_mtime_ns
    assert write_bytes_atomic(target, b"one") is False
    assert target.stat().st_mtime_ns == before
    assert write_bytes_atomic(target, b"two") is True and target.read_bytes() == b"two"
