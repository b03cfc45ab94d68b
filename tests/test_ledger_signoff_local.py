"""Local sign-off: an explicit act by a reviewer who did not write the evidence commit."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import git, run_cli
from tests.ledger_helpers import parade_entry, sign_off_locally
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import rebuild_index
from toyfoundry_ci.ledger.store import read_entry


@pytest.fixture
def factory(unentered_factory: Path) -> Path:
    """These tests enter the sample orders themselves, so they start before any entry."""
    return unentered_factory


def committed_entries(factory: Path) -> Layout:
    layout = Layout(factory)
    sign_off_locally(factory)
    parade_entry(layout, "ALFA-2026-0001")
    rebuild_index(layout)
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "parade ALFA-2026-0001")
    return layout


def test_reviewer_seals_and_rerun_says_nothing_to_do(factory: Path) -> None:
    layout = committed_entries(factory)
    head = git(factory, "rev-parse", "HEAD").strip()
    env = {"SOURCE_DATE_EPOCH": "1795000000"}
    proc = run_cli("signoff", "ALFA-2026-0001", "--reviewer", "Quality Lead", cwd=factory, env=env)
    assert proc.returncode == 0, proc.stderr
    assert "ALFA-2026-0001: sealed by Quality Lead (local, unsigned: no signing key" in proc.stdout
    entry = read_entry(layout, "ALFA-2026-0001")
    assert entry is not None
    assert entry.signoff.state == "sealed"
    assert entry.signoff.commit == head
    assert entry.signoff.at is not None
    assert int(entry.signoff.at.timestamp()) == 1795000000
    assert '"state": "sealed"' in layout.ledger_index.read_text()
    again = run_cli("signoff", "ALFA-2026-0001", "--reviewer", "Quality Lead", cwd=factory)
    assert "already sealed by Quality Lead; nothing to do" in again.stdout


def test_author_of_the_evidence_cannot_sign_off(factory: Path) -> None:
    layout = committed_entries(factory)
    before = layout.ledger_entry_file("ALFA-2026-0001").read_bytes()
    for who in ("Factory Operator", "operator@factory.test"):
        proc = run_cli("signoff", "ALFA-2026-0001", "--reviewer", who, cwd=factory)
        assert proc.returncode == 1
        assert "cannot sign it off" in proc.stderr
    assert layout.ledger_entry_file("ALFA-2026-0001").read_bytes() == before


def test_uncommitted_or_missing_entries_are_refused(factory: Path) -> None:
    sign_off_locally(factory)
    parade_entry(Layout(factory), "ALFA-2026-0001")
    proc = run_cli("signoff", "ALFA-2026-0001", "--reviewer", "Quality Lead", cwd=factory)
    assert proc.returncode == 1
    assert "not committed yet" in proc.stderr
    missing = run_cli("signoff", "ALFA-2026-0002", "--reviewer", "Quality Lead", cwd=factory)
    assert missing.returncode == 1
    assert "ALFA-2026-0002 has no ledger entry" in missing.stderr
    usage = run_cli("signoff", "ALFA-2026-0001", cwd=factory)
    assert usage.returncode == 2
