"""Failures of the libraries underneath (pydantic, decoding, the OS) reach the user as errors
naming the file and what to do, where they arise: no traceback, no hang, nothing written."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import git, run_cli
from tests.exchange_kit import directive, empty_factory, put_directives
from tests.reliability_kit import snapshot, temp_files

ENTRY = "exchange/ledger/entries/ALFA-2026-0001.json"
REPORT = "exchange/reports/RPT-ALFA-2026-0001.json"


def no_traceback(result: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in result.stdout + result.stderr
    assert "unexpected" not in result.stderr  # the boundary's words for a bug


@pytest.mark.parametrize("command", ["status", "parade"])
def test_a_malformed_ledger_entry_is_named_with_a_hint(factory: Path, command: str) -> None:
    (factory / ENTRY).write_text('{"order_id": 5}\n', encoding="utf-8")
    before = snapshot(factory)

    result = run_cli(command, cwd=factory)

    assert result.returncode == 1
    no_traceback(result)
    assert f"error: {ENTRY}::$.order_id: input should be a valid string (and 4 more)" in (
        result.stderr
    )
    assert f"hint: run `toyfoundry validate {ENTRY}` to see every problem" in result.stderr
    assert f"`git checkout -- {ENTRY}` restores it" in result.stderr
    assert snapshot(factory, skip=(".git", ".toyfoundry")) == {
        k: v for k, v in before.items() if not k.startswith(".toyfoundry/")
    }
    assert temp_files(factory) == []


def test_ledger_verify_reports_a_symlinked_artifact(factory: Path, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere.json"
    elsewhere.write_bytes((factory / REPORT).read_bytes())
    (factory / REPORT).unlink()
    (factory / REPORT).symlink_to(elsewhere)

    result = run_cli("ledger", "verify", cwd=factory)

    assert result.returncode == 1
    no_traceback(result)
    refusal = f"{REPORT}::$: is a symbolic link or not a regular file; refused"
    assert result.stdout.count(refusal) == 1  # said once, though several checks refuse it


def test_ledger_verify_base_with_an_entry_not_in_utf8_there(factory: Path) -> None:
    good = (factory / ENTRY).read_bytes()
    (factory / ENTRY).write_bytes(b'{"order_id": "\xff\xfe"}\n')
    git(factory, "commit", "-q", "-am", "an entry in another encoding")
    git(factory, "tag", "base")
    (factory / ENTRY).write_bytes(good)
    git(factory, "commit", "-q", "-am", "the entry restored")

    result = run_cli("ledger", "verify", "--base", "base", cwd=factory)

    assert result.returncode == 1
    no_traceback(result)
    assert (
        f"{ENTRY}::$: changed since base, where it is unreadable ($: invalid UTF-8 at byte 14;"
        in result.stdout
    )


@pytest.mark.parametrize("options", [(), ("--format", "json")], ids=["hook path", "cli"])
def test_validate_refuses_a_fifo_at_once(tmp_path: Path, options: tuple[str, ...]) -> None:
    fifo = tmp_path / "exchange" / "orders" / "ALFA-2027-0001.json"
    fifo.parent.mkdir(parents=True)
    os.mkfifo(fifo)

    result = subprocess.run(
        [sys.executable, "-m", "toyfoundry_ci", "validate", *options, str(fifo)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=30,  # before: waits forever for a writer
        check=False,
    )

    assert result.returncode == 1
    no_traceback(result)
    assert "not a regular file (a FIFO, socket or device)" in result.stdout


def _order(factory: Path, order_id: str, **changes: str) -> Path:
    sample = json.loads((factory / "exchange/orders/ALFA-2026-0001.json").read_text())
    path = factory / "exchange" / "orders" / f"{order_id}.json"
    path.write_text(
        json.dumps({**sample, "order_id": order_id, **changes}, indent=2, sort_keys=True) + "\n",
        encoding="utf-8",
    )
    return path


def test_forge_refuses_an_order_due_on_an_impossible_day(factory: Path) -> None:
    _order(factory, "ALFA-2026-0777", due_date="2026-13-40")
    git(factory, "add", "-A")
    git(factory, "commit", "-q", "-m", "intake: an order due on no day")
    outbox = factory / "outbox"
    before = snapshot(outbox) if outbox.exists() else {}

    result = run_cli("forge", cwd=factory)

    assert result.returncode == 1
    no_traceback(result)
    assert (
        "forge ALFA-2026-0777: refused: exchange/orders/ALFA-2026-0777.json::$.due_date: "
        '"2026-13-40" is not a "date"' in result.stdout
    )
    assert (snapshot(outbox) if outbox.exists() else {}) == before  # no draft written


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("due_date", "2026-02-29"),  # 2026 is no leap year
        ("due_date", "0000-01-01"),  # no year zero
        ("issued_at", "2026-01-01T24:00:00Z"),
        ("issued_at", "2026-06-30T23:59:60Z"),  # a leap second: RFC 3339 allows it, no clock
    ],
)
def test_validate_refuses_impossible_days_and_times(factory: Path, field: str, value: str) -> None:
    sample = json.loads((factory / "exchange/orders/ALFA-2026-0001.json").read_text())
    assert field in sample  # the sample has the field this case breaks
    path = _order(factory, "ALFA-2026-0778", **{field: value})

    result = run_cli("validate", str(path.relative_to(factory)), cwd=factory)

    assert result.returncode == 1
    no_traceback(result)
    assert f"exchange/orders/ALFA-2026-0778.json::$.{field}: " in result.stdout


def test_pull_quarantines_an_order_due_on_an_impossible_day(tmp_path: Path) -> None:
    layout = empty_factory(tmp_path / "factory")
    put_directives(layout.default_hub, ["ALFA-2027-0001"])
    (layout.default_hub / "orders" / "ALFA-2027-0002.json").write_bytes(
        directive("ALFA-2027-0002", due_date="2026-13-40")
    )

    result = run_cli("pull", cwd=layout.root)

    assert result.returncode == 1
    no_traceback(result)
    assert 'quarantined: orders/ALFA-2027-0002.json: $.due_date: "2026-13-40" is not a "date"' in (
        result.stdout
    )
    assert layout.order_file("ALFA-2027-0001").exists()
    assert not layout.order_file("ALFA-2027-0002").exists()


def test_readiness_staged_outside_a_git_repository_says_so_once(tmp_path: Path) -> None:
    (tmp_path / "exchange" / "orders").mkdir(parents=True)
    before = snapshot(tmp_path)

    result = run_cli("readiness", "--staged", cwd=tmp_path)

    assert result.returncode == 1
    no_traceback(result)
    assert result.stderr == (
        f"error: {tmp_path} is not a git repository: --staged checks what is staged to commit\n"
        "  hint: run `git init` there, or run `toyfoundry readiness` without --staged\n"
    )
    assert "usage:" not in result.stdout + result.stderr
    assert snapshot(tmp_path) == before
