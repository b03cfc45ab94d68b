"""Files the tool writes get the user's umask, as any new file would: a shared hub is readable."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git, log_files
from tests.exchange_kit import sealed_factory
from tests.foundry_helpers import add_order


def run_with_umask(mask: int, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "toyfoundry_ci", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=dict(os.environ),
        umask=mask,
        check=False,
    )


def modes(folder: Path) -> dict[str, int]:
    return {
        p.relative_to(folder).as_posix(): stat.S_IMODE(p.stat().st_mode)
        for p in folder.rglob("*")
        if p.is_file()
    }


@pytest.mark.parametrize(
    ("mask", "mode"),
    [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)],
    ids=["umask-022", "umask-027", "umask-077"],
)
def test_hub_and_factory_files_get_the_umask(tmp_path: Path, mask: int, mode: int) -> None:
    layout, ids = sealed_factory(tmp_path / "factory", 2)

    pushed = run_with_umask(mask, "push", cwd=layout.root)

    assert pushed.returncode == 0, pushed.stderr
    # What the push wrote; the directives were High Command's, written before it.
    hub = {k: v for k, v in modes(layout.default_hub).items() if not k.startswith("orders/")}
    assert {f"acknowledgements/ACK-{i}.json" for i in ids} <= set(hub)
    assert any(name.startswith("receipts/") for name in hub)
    assert set(hub.values()) == {mode}, hub
    [record] = log_files(layout.root, "exchange_all")
    assert stat.S_IMODE(record.stat().st_mode) == mode


def test_drafts_and_evidence_get_the_umask(factory: Path) -> None:
    add_order(factory, "ALFA-2026-0301", "TOY-ROBOT-01:4")
    git(factory, "add", "-A")
    git(factory, "commit", "-q", "-m", "intake: one directive")
    for stage in ("forge", "drill", "parade"):
        proc = run_with_umask(0o022, stage, "ALFA-2026-0301", cwd=factory)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    written = git(factory, "status", "--porcelain", "--untracked-files=all").split()[1::2]
    assert written, "the stages wrote nothing"
    for name in written:
        assert stat.S_IMODE((factory / name).stat().st_mode) == 0o644, name
