"""Every reader of checkout files meets a link, a FIFO or a huge file the same way.

A symbolic link, a FIFO or a file above its bound where a command looks gets the one
reader's message: the file named, what is wrong with it, what to do; exit 1, never a
traceback and never a wait (each run has a timeout far above its cost).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import make_factory, run_cli
from tests.exchange_kit import sealed_factory

HANG = 60  # seconds: far above any of these runs, far below a hung test run
LINK = "is a symbolic link; only regular files are read"
FIFO = "is not a regular file (a FIFO, socket or device)"
FIX = "only regular files are read: put the file itself there, or remove it (`git rm "


def as_link(path: Path) -> None:
    """Move the file out of the factory and leave a symbolic link to it in its place."""
    outside = path.parent.parent / f"{path.name}.outside"
    while outside.exists() or outside.is_relative_to(path.parent):
        outside = outside.parent.parent / outside.name
    path.rename(outside)
    path.symlink_to(outside)


def as_fifo(path: Path) -> None:
    path.unlink()
    os.mkfifo(path)


def as_huge(path: Path) -> None:
    with path.open("wb") as fh:
        fh.truncate(1 << 40)  # a terabyte of holes: refused on its size, never read


def refused(result: object, *said: str) -> str:
    """The run's output, after checking it failed cleanly saying each of ``said``."""
    out = getattr(result, "stdout", "") + getattr(result, "stderr", "")
    assert getattr(result, "returncode", None) == 1, out
    assert "Traceback" not in out
    for text in said:
        assert text in out, out
    return out


PLANT: dict[str, tuple[Callable[[Path], None], str]] = {
    "link": (as_link, LINK),
    "fifo": (as_fifo, FIFO),
    "huge": (as_huge, f"is {1 << 40} bytes, larger than the"),
}


@pytest.mark.parametrize("kind", sorted(PLANT))
def test_ledger_verify_and_index_check_refuse_the_index(tmp_path: Path, kind: str) -> None:
    repo = make_factory(tmp_path / "factory")
    plant, reason = PLANT[kind]
    plant(repo / "exchange" / "ledger" / "index.json")

    verify = run_cli("ledger", "verify", cwd=repo, timeout=HANG)
    check = run_cli("ledger", "index", "--check", cwd=repo, timeout=HANG)

    refused(verify, f"exchange/ledger/index.json::$: {reason}")
    refused(check, "exchange/ledger/index.json: " + reason)
    if kind != "huge":
        refused(check, FIX)


@pytest.mark.parametrize(
    ("rel", "check"),
    [
        ("RUNBOOK.md", "docs-aligned       RUNBOOK.md "),
        ("README.md", "README.md: "),
        ("planning/storyboard/ALFA-2026-0001.md", "planning/storyboard/ALFA-2026-0001.md "),
    ],
    ids=["runbook", "required-doc", "storyboard-note"],
)
@pytest.mark.parametrize("kind", ["link", "fifo"])
def test_readiness_names_a_linked_or_fifo_doc_in_its_check(
    tmp_path: Path, rel: str, check: str, kind: str
) -> None:
    repo = make_factory(tmp_path / "factory")
    plant, reason = PLANT[kind]
    plant(repo / rel)

    result = run_cli("readiness", cwd=repo, timeout=HANG)

    out = refused(result, check + reason)
    assert "FAIL" in out


@pytest.mark.parametrize("kind", ["fifo", "huge"])
def test_a_change_log_that_is_no_file_stops_readiness_with_the_fix(
    tmp_path: Path, kind: str
) -> None:
    repo = make_factory(tmp_path / "factory")
    plant, reason = PLANT[kind]
    plant(repo / "planning" / "change_log.md")

    result = run_cli("readiness", cwd=repo, timeout=HANG)

    refused(result, "planning/change_log.md: " + reason, "hint: ")


@pytest.mark.parametrize("kind", sorted(PLANT))
def test_push_refuses_evidence_that_is_no_regular_file(tmp_path: Path, kind: str) -> None:
    layout, ids = sealed_factory(tmp_path / "factory", 1)
    plant, reason = PLANT[kind]
    plant(layout.ack_file(ids[0]))

    result = run_cli("push", cwd=layout.root, timeout=HANG)

    refused(result, f"acknowledgements/ACK-{ids[0]}.json", reason)
    assert not (layout.default_hub / "acknowledgements").exists()


@pytest.mark.parametrize("kind", ["link", "fifo"])
def test_the_merge_driver_refuses_a_version_that_is_no_file(tmp_path: Path, kind: str) -> None:
    repo = make_factory(tmp_path / "factory")
    index = repo / "exchange" / "ledger" / "index.json"
    ours, theirs, base = (tmp_path / n for n in ("ours.json", "theirs.json", "base.json"))
    for path in (ours, theirs, base):
        path.write_bytes(index.read_bytes())
    plant, reason = PLANT[kind]
    plant(theirs)

    result = run_cli(
        "ledger", "merge-driver", str(base), str(ours), str(theirs), cwd=repo, timeout=HANG
    )

    refused(result, f"{theirs}: {reason}", FIX)
    assert ours.read_bytes() == index.read_bytes()


@pytest.mark.parametrize("kind", ["link", "fifo"])
def test_settings_in_a_linked_or_fifo_pyproject_are_refused(tmp_path: Path, kind: str) -> None:
    repo = make_factory(tmp_path / "factory")
    (repo / "pyproject.toml").write_text('[tool.toyfoundry]\nfactory = "mine"\n')
    plant, reason = PLANT[kind]
    plant(repo / "pyproject.toml")

    result = run_cli("pull", cwd=repo, timeout=HANG)

    refused(result, "pyproject.toml: " + reason, FIX)


def test_parade_refuses_a_linked_draft(tmp_path: Path) -> None:
    repo = make_factory(tmp_path / "factory", ledger=False)
    (repo / "exchange" / "ledger").mkdir(parents=True, exist_ok=True)
    order = sorted((repo / "exchange" / "orders").glob("*.json"))[0].stem
    for stage in ("forge", "drill"):
        assert run_cli(stage, order, cwd=repo, timeout=HANG).returncode == 0
    as_link(repo / "outbox" / "acks" / f"ACK-{order}.json")

    result = run_cli("parade", order, cwd=repo, timeout=HANG)

    refused(result, f"ACK-{order}.json", LINK)
    assert not (repo / "exchange" / "ledger" / "entries" / f"{order}.json").exists()
