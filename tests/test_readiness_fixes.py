"""Every readiness check can be cleared by its own fix: break it, run what it prints, green.

The fix is taken from the gate's own output: the command in backticks, with ``FILE`` replaced
by the file the check names, run as the operator would.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, git, log_files, run_cli

BAD_QTY = EXAMPLES / "invalid/schema-bad-qty/exchange/orders/ALFA-2026-0101.json"


def gate(repo: Path, *args: str) -> dict[str, dict[str, Any]]:
    proc = run_cli("readiness", "--format", "json", *args, cwd=repo)
    checks = json.loads(proc.stdout)["checks"]
    return {c["id"]: c for c in checks}


def failing(repo: Path, check_id: str, *args: str) -> dict[str, Any]:
    """The failed check, after asserting that it failed."""
    check = gate(repo, *args)[check_id]
    assert check["status"] == "fail", check
    return check


def fix_command(check: dict[str, Any]) -> str:
    """The command the fix says to run; of several named, the one that takes the FILE."""
    commands = re.findall(r"`((?:git|toyfoundry) [^`]+)`", check["fix"])
    if len(commands) > 1:
        commands = [c for c in commands if "FILE" in c.split()]
    (command,) = commands
    return str(command)


def run_fix(repo: Path, check: dict[str, Any], file: str | None = None) -> None:
    """Run the check's printed fix, naming ``file`` (which the check must have named)."""
    words = shlex.split(fix_command(check))
    if file is not None:
        assert any(file in d for d in check["details"]), check["details"]
        words = [file if w == "FILE" else w for w in words]
    assert "FILE" not in words
    if words[0] == "toyfoundry":
        proc = run_cli(*words[1:], cwd=repo)
    else:
        proc = subprocess.run(words, cwd=repo, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def assert_green(repo: Path, *args: str) -> None:
    proc = run_cli("readiness", *args, cwd=repo)
    assert proc.returncode == 0, proc.stdout


def test_docs_present_is_cleared_by_restoring_the_doc(factory: Path) -> None:
    (factory / "README.md").unlink()
    run_fix(factory, failing(factory, "docs-present"), "README.md")
    assert_green(factory)


def test_docs_aligned_missing_runbook_is_cleared_by_restoring_it(factory: Path) -> None:
    (factory / "RUNBOOK.md").unlink()
    run_fix(factory, failing(factory, "docs-aligned"))
    assert_green(factory)


def test_docs_aligned_stale_name_is_cleared_by_editing_the_named_line(factory: Path) -> None:
    runbook = factory / "RUNBOOK.md"
    runbook.write_text(runbook.read_text() + "\nSee `toyfoundry frobnicate`.\n")
    check = failing(factory, "docs-aligned")
    assert check["fix"].startswith("edit the RUNBOOK.md lines named above")
    (detail,) = check["details"]
    lineno = int(detail.split(":")[1])
    lines = runbook.read_text().splitlines()
    lines[lineno - 1] = lines[lineno - 1].replace("frobnicate", "status")
    runbook.write_text("\n".join(lines) + "\n")
    assert_green(factory)


def test_artifacts_valid_is_cleared_by_fixing_what_validate_names(factory: Path) -> None:
    order = factory / "exchange/orders/ALFA-2026-0101.json"
    shutil.copy(BAD_QTY, order)
    check = failing(factory, "artifacts-valid")
    assert fix_command(check) == "toyfoundry validate FILE"
    assert any("exchange/orders/ALFA-2026-0101.json::$.lines[0].qty" in d for d in check["details"])
    value = json.loads(order.read_text())
    value["lines"][0]["qty"] = 1
    order.write_text(json.dumps(value))
    run_fix(factory, check, "exchange/orders/ALFA-2026-0101.json")
    assert_green(factory)


def _strip_exports(factory: Path) -> str:
    path = factory / "exchange/ledger/entries/ALFA-2026-0001.json"
    entry = json.loads(path.read_text())
    entry["subjects"] = [s for s in entry["subjects"] if s["role"] != "quilt-export"]
    path.write_text(json.dumps(entry, indent=2))
    return "exchange/ledger/entries/ALFA-2026-0001.json"


def _delete(rel: str) -> Any:
    def damage(factory: Path) -> str:
        (factory / rel).unlink()
        return rel

    return damage


def _append(rel: str, text: str) -> Any:
    def damage(factory: Path) -> str:
        path = factory / rel
        path.write_text(path.read_text() + text)
        return rel

    return damage


@pytest.mark.parametrize(
    ("check_id", "damage"),
    [
        ("ledger-entries", _delete("exchange/ledger/entries/ALFA-2026-0001.json")),
        ("ledger-evidence", _append("exchange/acknowledgements/ACK-ALFA-2026-0002.json", " ")),
        ("storyboard-notes", _delete("planning/storyboard/ALFA-2026-0002.md")),
        (
            "telemetry-exports",
            _append(".toyfoundry/telemetry/quilt/exports/ALFA-2026-0003.quilt.csv", "press,1,4\n"),
        ),
        ("telemetry-exports", _strip_exports),
    ],
    ids=["entry", "evidence", "storyboard", "export", "entry-without-export"],
)
def test_traceability_is_cleared_by_restoring_from_git(
    factory: Path, check_id: str, damage: Any
) -> None:
    file = damage(factory)
    run_fix(factory, failing(factory, check_id), file)
    assert_green(factory)


def test_ledger_index_is_cleared_by_rebuilding_it(factory: Path) -> None:
    (factory / "exchange/ledger/index.json").unlink()
    run_fix(factory, failing(factory, "ledger-index"))
    assert_green(factory)


def test_staged_artifacts_is_cleared_by_fixing_and_staging_again(factory: Path) -> None:
    draft = factory / "outbox/orders/ALFA-2026-0101.json"
    draft.parent.mkdir(parents=True)
    shutil.copy(BAD_QTY, draft)
    git(factory, "add", "outbox")
    check = failing(factory, "staged-artifacts", "--staged")
    draft.write_text(draft.read_text().replace('"qty": 0', '"qty": 1'))
    run_fix(factory, check, "outbox/orders/ALFA-2026-0101.json")
    assert_green(factory, "--staged")


@pytest.mark.parametrize("edited", ["exchange/orders/ALFA-2026-0001.json", "new"])
def test_staged_orders_is_cleared_by_dropping_the_staged_change(factory: Path, edited: str) -> None:
    if edited == "new":  # an order typed in by hand, never pulled from the hub
        edited = "exchange/orders/ALFA-2026-0004.json"
        shutil.copy(factory / "exchange/orders/ALFA-2026-0001.json", factory / edited)
    path = factory / edited
    path.write_text(path.read_text().replace('"routine"', '"urgent"'))
    git(factory, "add", edited)
    run_fix(factory, failing(factory, "staged-orders", "--staged"), edited)
    assert_green(factory, "--staged")


def test_a_corrupt_readiness_log_is_cleared_by_restoring_it(factory: Path) -> None:
    assert run_cli("readiness", "--record", cwd=factory).returncode == 0
    git(factory, "add", "logs")
    git(factory, "commit", "-qm", "record the gate")
    [record] = log_files(factory, "ops_readiness")
    record.write_text('{"runs": [}')
    refused = run_cli("readiness", cwd=factory)
    assert refused.returncode == 1
    (command,) = re.findall(r"`(git [^`]+)`", refused.stderr)
    proc = subprocess.run(shlex.split(command), cwd=factory, capture_output=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert_green(factory)
