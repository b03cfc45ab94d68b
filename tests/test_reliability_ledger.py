"""A sealed ledger entry edited afterwards, by hand or by a crash: `ledger verify` fails."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import git, run_cli
from tests.ledger_helpers import sign_off_locally
from toyfoundry_ci.base.canonical import dumps

ENTRY = "exchange/ledger/entries/ALFA-2026-0001.json"


def _sealed(factory: Path) -> str:
    """Seal ALFA-2026-0001 as a reviewer who is not its author, commit, return the commit."""
    sign_off_locally(factory)
    git(factory, "config", "user.name", "Someone Else")
    sealed = run_cli("signoff", "ALFA-2026-0001", "--reviewer", "Quality Lead", cwd=factory)
    assert sealed.returncode == 0, sealed.stderr
    assert run_cli("ledger", "index", cwd=factory).returncode == 0
    git(factory, "add", "-A")
    git(factory, "commit", "-q", "-m", "Seal ALFA-2026-0001")
    return git(factory, "rev-parse", "HEAD").strip()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (("signoff", "reviewer"), "Mallory"),
        (("signoff", "at"), "2030-01-01T00:00:00Z"),
        (("signoff", "state"), "pending"),
        (("lot",), "lot-forged"),
    ],
    ids=["reviewer", "sealed-at", "unsealed", "lot"],
)
def test_an_edited_sealed_entry_fails_verify(
    factory: Path, field: tuple[str, ...], value: str
) -> None:
    base = _sealed(factory)
    path = factory / ENTRY
    doc = json.loads(path.read_text(encoding="utf-8"))
    target = doc
    for key in field[:-1]:
        target = target[key]
    target[field[-1]] = value
    path.write_bytes(dumps(doc))
    assert run_cli("ledger", "index", cwd=factory).returncode == 0  # even with a fresh index

    result = run_cli("ledger", "verify", "--base", base, cwd=factory)

    assert result.returncode == 1, result.stdout
    assert ENTRY in result.stdout


def test_an_edited_sealed_subject_digest_fails_verify_without_history(factory: Path) -> None:
    _sealed(factory)
    path = factory / ENTRY
    doc = json.loads(path.read_text(encoding="utf-8"))
    doc["subjects"][0]["digest"]["sha256"] = "0" * 64
    path.write_bytes(dumps(doc))
    assert run_cli("ledger", "index", cwd=factory).returncode == 0

    result = run_cli("ledger", "verify", cwd=factory)

    assert result.returncode == 1
    assert ENTRY in result.stdout
