"""``toyfoundry validate`` as a user runs it: exit codes, formats, the whole repository."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES, REPO_ROOT, run_cli

BAD_QTY = EXAMPLES / "invalid" / "schema-bad-qty" / "exchange" / "orders" / "ALFA-2026-0101.json"
GOOD = REPO_ROOT / "exchange" / "orders" / "ALFA-2026-0001.json"


def test_clean_repository_exits_zero(factory: Path) -> None:
    proc = run_cli("validate", cwd=factory)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("ok: ")
    count = int(proc.stdout.split()[1])
    manifests = factory / ".toyfoundry" / "telemetry" / "quilt" / "exports"
    assert count == (
        len(list((factory / "exchange").rglob("*.json")))
        + len(list((factory / "planning" / "toyfoundry").rglob("*.json")))
        + len(list(manifests.glob("*.manifest.json")))
    )


def test_every_error_of_every_file_is_reported_and_exit_is_one(tmp_path: Path) -> None:
    bad = tmp_path / "exchange" / "orders" / "ALFA-2026-0101.json"
    bad.parent.mkdir(parents=True)
    doc = json.loads(BAD_QTY.read_text(encoding="utf-8"))
    doc["priority"] = "whenever"
    bad.write_text(json.dumps(doc), encoding="utf-8")
    proc = run_cli("validate", str(bad), str(GOOD), cwd=tmp_path)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert f"{bad}::$.lines[0].qty: 0 is less than the minimum of 1" in lines
    assert any(line.startswith(f"{bad}::$.priority: ") for line in lines)
    assert lines[-1] == "2 errors in 1 of 2 files"


def test_usage_error_exits_two() -> None:
    proc = run_cli("validate", "--format", "xml", str(GOOD))
    assert proc.returncode == 2
    assert "Invalid value for '--format'" in proc.stderr


def test_json_format_carries_the_same_facts() -> None:
    proc = run_cli("validate", "--format", "json", str(BAD_QTY), str(GOOD))
    assert proc.returncode == 1
    doc = json.loads(proc.stdout)
    assert doc["status"] == "fail"
    assert doc["files"] == 2
    assert doc["errors"] == [
        {
            "file": str(BAD_QTY),
            "kind": "order",
            "pivot": "v1",
            "path": "$.lines[0].qty",
            "line": doc["errors"][0]["line"],
            "message": "0 is less than the minimum of 1",
        }
    ]
    text = BAD_QTY.read_text(encoding="utf-8").splitlines()
    assert '"qty": 0' in text[doc["errors"][0]["line"] - 1]


def test_github_format_annotates_the_offending_line() -> None:
    proc = run_cli("validate", "--format", "github", str(BAD_QTY))
    assert proc.returncode == 1
    first = proc.stdout.splitlines()[0]
    assert first.startswith(f"::error file={BAD_QTY},line=")
    line = int(first.split("line=")[1].split(",")[0])
    assert '"qty": 0' in BAD_QTY.read_text(encoding="utf-8").splitlines()[line - 1]
    assert first.endswith("::$.lines[0].qty%3A 0 is less than the minimum of 1") is False
    assert first.endswith("::$.lines[0].qty: 0 is less than the minimum of 1")


def test_github_format_escapes_workflow_command_injection(tmp_path: Path) -> None:
    bad = tmp_path / "exchange" / "orders" / "x\n::warning::pwned,%.json"
    bad.parent.mkdir(parents=True)
    bad.write_text('{"kind": "order", "pivot": "v1"}', encoding="utf-8")
    proc = run_cli("validate", "--format", "github", str(bad))
    assert proc.returncode == 1
    assert "\n::warning" not in proc.stdout
    assert "x%0A%3A%3Awarning%3A%3Apwned%2C%25.json" in proc.stdout


def test_folder_argument_expands_to_its_json_files(factory: Path) -> None:
    proc = run_cli("validate", "exchange/orders", cwd=factory)
    assert proc.returncode == 0
    assert proc.stdout.strip() == "ok: 3 artifacts valid"


def test_kind_from_own_field_outside_known_folders(tmp_path: Path) -> None:
    loose = tmp_path / "loose.json"
    shutil.copy2(GOOD, loose)
    assert run_cli("validate", str(loose)).returncode == 0


def test_runbook_v1_entry_point_validates() -> None:
    ok = subprocess.run(
        [sys.executable, "tools/factory_order_emitter.py", "--validate", str(GOOD)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.strip() == "ok: 1 artifact valid"
    bad = subprocess.run(
        [sys.executable, "tools/factory_order_emitter.py", "--validate", str(BAD_QTY)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert "::$.lines[0].qty: 0 is less than the minimum of 1" in bad.stdout


def test_validate_path_imports_no_heavy_modules() -> None:
    probe = (
        "import sys\n"
        "from toyfoundry_ci._entry import main\n"
        "try:\n"
        f"    main(['validate', {str(GOOD)!r}])\n"
        "except SystemExit:\n"
        "    pass\n"
        "heavy = sorted(m for m in ('github', 'requests', 'pydantic', 'rich', 'jsonschema',"
        " 'click') if m in sys.modules)\n"
        "print('HEAVY=' + ','.join(heavy))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=False
    )
    assert proc.stdout.strip().splitlines()[-1] == "HEAVY=", proc.stdout + proc.stderr


def test_parallel_batch_gives_the_same_results(tmp_path: Path) -> None:
    from toyfoundry_ci.validation import checker

    folder = tmp_path / "exchange" / "orders"
    folder.mkdir(parents=True)
    paths = []
    for i in range(40):
        target = folder / f"ALFA-2026-{i:04d}.json"
        source = BAD_QTY if i % 7 == 0 else GOOD
        shutil.copy2(source, target)
        paths.append(str(target))
    serial = checker.check_files(paths, jobs=1)
    old = checker.PARALLEL_THRESHOLD
    checker.PARALLEL_THRESHOLD = 1
    try:
        parallel = checker.check_files(paths, jobs=2)
    finally:
        checker.PARALLEL_THRESHOLD = old
    assert [r.problems for r in parallel] == [r.problems for r in serial]
    assert sum(not r.ok for r in serial) == 6


def test_hook_fast_path_says_exactly_what_the_full_cli_says(tmp_path: Path) -> None:
    """Filenames only skip the CLI framework; any option goes through it: same output."""
    for files in ([str(GOOD)], [str(BAD_QTY), str(GOOD)], [str(tmp_path / "missing.json")]):
        fast = run_cli("validate", *files)
        full = run_cli("validate", "--format", "text", *files)
        assert (fast.returncode, fast.stdout, fast.stderr) == (
            full.returncode,
            full.stdout,
            full.stderr,
        )
    assert run_cli("validate", str(BAD_QTY)).returncode == 1
