"""The index merge driver on real branches: different orders merge, the same order conflicts."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from tests.conftest import git, run_cli
from tests.ledger_helpers import copy_order, parade_entry
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import index_is_current, rebuild_index
from toyfoundry_ci.ledger.merge_driver import register_merge_driver


@pytest.fixture
def factory(unentered_factory: Path) -> Path:
    """These tests enter the sample orders themselves, so they start before any entry."""
    return unentered_factory


def setup(factory: Path) -> Layout:
    layout = Layout(factory)
    assert register_merge_driver(factory)
    assert not register_merge_driver(factory)
    parade_entry(layout, "ALFA-2026-0001")
    rebuild_index(layout)
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "parade 0001")
    return layout


def parade_on_branch(layout: Layout, branch: str, order_id: str, start: str = "main") -> None:
    git(layout.root, "checkout", "-q", "-b", branch, start)
    copy_order(layout, "ALFA-2026-0002", order_id)
    parade_entry(layout, order_id)
    rebuild_index(layout)
    git(layout.root, "add", "-A")
    git(layout.root, "commit", "-qm", f"parade {order_id}")


def test_branches_parading_different_orders_merge_cleanly(factory: Path) -> None:
    layout = setup(factory)
    assert (
        "exchange/ledger/index.json merge=toyfoundry-ledger"
        in (factory / ".gitattributes").read_text()
    )
    parade_on_branch(layout, "left", "ALFA-2026-0101")
    parade_on_branch(layout, "right", "ALFA-2026-0102")
    git(factory, "checkout", "-q", "main")  # the default branch keeps the index
    git(factory, "merge", "-q", "left")
    git(factory, "merge", "-q", "--no-edit", "right")
    assert index_is_current(layout)
    text = layout.ledger_index.read_text()
    assert '"ALFA-2026-0101"' in text
    assert '"ALFA-2026-0102"' in text
    assert "<<<<<<<" not in text


def test_on_another_branch_the_driver_keeps_our_index_and_it_lags(factory: Path) -> None:
    layout = setup(factory)
    parade_on_branch(layout, "left", "ALFA-2026-0101")
    parade_on_branch(layout, "right", "ALFA-2026-0102")
    git(factory, "checkout", "-q", "left")
    ours = layout.ledger_index.read_bytes()
    git(factory, "merge", "-q", "--no-edit", "right")
    assert layout.ledger_index.read_bytes() == ours
    readiness = run_cli("readiness", "--no-log", "--format", "json", cwd=factory)
    [check] = [c for c in json.loads(readiness.stdout)["checks"] if c["id"] == "ledger-index"]
    assert check["status"] == "pass"
    assert check["message"].startswith("index behind by 1 entry (changed since")


def test_branches_adding_the_same_order_conflict(factory: Path) -> None:
    layout = setup(factory)
    parade_on_branch(layout, "left", "ALFA-2026-0101")
    git(factory, "checkout", "-q", "main")
    git(factory, "checkout", "-q", "-b", "right")
    copy_order(layout, "ALFA-2026-0003", "ALFA-2026-0101")
    parade_entry(layout, "ALFA-2026-0101")
    rebuild_index(layout)
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "parade a different ALFA-2026-0101")
    git(factory, "checkout", "-q", "main")
    git(factory, "merge", "-q", "left")
    proc = subprocess.run(
        ["git", "merge", "--no-edit", "right"],
        cwd=factory,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    unmerged = git(factory, "diff", "--name-only", "--diff-filter=U")
    assert "exchange/ledger/entries/ALFA-2026-0101.json" in unmerged
    assert "exchange/ledger/index.json" in unmerged
    assert "both sides changed ALFA-2026-0101" in proc.stderr + proc.stdout


def test_the_driver_refuses_a_missing_file_and_writes_nothing(factory: Path) -> None:
    layout = setup(factory)
    current = factory / "current.json"
    current.write_bytes(layout.ledger_index.read_bytes())
    proc = run_cli(
        "ledger", "merge-driver", "gone.json", str(current), str(layout.ledger_index),
        cwd=factory,
    )  # fmt: skip
    assert proc.returncode == 1
    assert "gone.json: no such file" in proc.stderr
    assert "registered by `toyfoundry hooks install`" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert current.read_bytes() == layout.ledger_index.read_bytes()
