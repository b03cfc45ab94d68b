"""The readiness gate as an operator runs it: real repositories, real files, the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, REPO_ROOT, git, log_files, logged_runs, run_cli
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.readiness.log import read_runs

BAD_QTY = EXAMPLES / "invalid/schema-bad-qty/exchange/orders/ALFA-2026-0101.json"


def readiness(repo: Path, *args: str, epoch: int | None = None) -> tuple[int, str]:
    env = {"SOURCE_DATE_EPOCH": str(epoch)} if epoch is not None else None
    proc = run_cli("readiness", *args, cwd=repo, env=env)
    return proc.returncode, proc.stdout + proc.stderr


def statuses(repo: Path, *args: str) -> dict[str, str]:
    _, out = readiness(repo, "--format", "json", "--no-log", *args)
    return {c["id"]: c["status"] for c in json.loads(out)["checks"]}


def log_runs(repo: Path) -> list[dict[str, Any]]:
    return logged_runs(repo, "ops_readiness")


def test_green_run_is_recorded_with_head_and_every_check(factory: Path) -> None:
    code, out = readiness(factory, "--record")
    assert code == 0, out
    assert out.startswith("readiness: GREEN")
    assert "pass  ledger-entries" in out
    [run] = log_runs(factory)
    assert run["verdict"] == "green"
    assert run["head"] == git(factory, "rev-parse", "HEAD").strip()
    ids = [c["id"] for c in run["checks"]]  # type: ignore[attr-defined]
    assert ids[:3] == ["docs-present", "docs-aligned", "artifacts-valid"]
    [record] = log_files(factory, "ops_readiness")  # one file per run, never edited
    assert record.parent.name == "ops_readiness.d"
    assert run_cli("validate", str(record.relative_to(factory)), cwd=factory).returncode == 0


def test_deleted_runbook_turns_the_gate_red(factory: Path) -> None:
    (factory / "RUNBOOK.md").unlink()
    code, out = readiness(factory)
    assert code == 1
    assert "readiness: RED (2 of" in out
    assert "RUNBOOK.md: missing" in out
    assert "FAIL  docs-aligned" in out


def test_runbook_naming_a_missing_command_or_path_is_red(factory: Path) -> None:
    runbook = factory / "RUNBOOK.md"
    runbook.write_text(
        runbook.read_text() + "\nRun `toyfoundry frobnicate` then `toyfoundry schemas exprt`.\n"
    )
    shutil.move(factory / "tools/factory_order_emitter.py", factory / "tools/emitter.py")
    code, out = readiness(factory)
    assert code == 1
    assert "`frobnicate` is not a toyfoundry command" in out
    assert "`exprt` is not a `toyfoundry schemas` command" in out
    assert "`tools/factory_order_emitter.py` does not exist" in out
    assert "RUNBOOK.md:" in out


def test_invalid_artifact_is_named_with_its_json_path(factory: Path) -> None:
    shutil.copy(BAD_QTY, factory / "exchange/orders/ALFA-2026-0101.json")
    code, out = readiness(factory, "--no-log")
    assert code == 1
    assert "exchange/orders/ALFA-2026-0101.json::$.lines[0].qty: 0 is less than" in out
    assert not log_files(factory, "ops_readiness")


def test_json_and_github_formats_carry_the_same_facts(factory: Path) -> None:
    (factory / "planning/change_log.md").write_text("  \n")
    code, out = readiness(factory, "--format", "json")
    assert code == 1
    doc = json.loads(out)
    assert doc["verdict"] == "red"
    [bad] = [c for c in doc["checks"] if c["status"] == "fail"]
    assert bad["id"] == "docs-present"
    assert bad["details"] == ["planning/change_log.md: empty"]
    code, out = readiness(factory, "--format", "github")
    assert code == 1
    assert out.startswith("::error title=readiness docs-present::")


def test_history_is_bounded_newest_last(factory: Path) -> None:
    from toyfoundry_ci.models.logs import HISTORY_LIMIT, ReadinessLog

    old = {"at": "2026-01-01T00:00:00Z", "head": "none", "verdict": "green", "checks": []}
    log = {"kind": "readiness-log", "pivot": "v1", "runs": [old] * HISTORY_LIMIT}
    (factory / "logs").mkdir()
    (factory / "logs/ops_readiness.json").write_text(json.dumps(log))
    frozen = (factory / "logs/ops_readiness.json").read_bytes()
    assert readiness(factory, "--record", epoch=1_800_000_000)[0] == 0
    assert (factory / "logs/ops_readiness.json").read_bytes() == frozen  # never edited
    runs = read_runs(Layout(factory))  # what the halt rule reads: the newest, bounded
    assert len(runs) == HISTORY_LIMIT
    assert runs[-1]["at"] == "2027-01-15T08:00:00Z"
    ReadinessLog.model_validate_json(log_files(factory, "ops_readiness")[-1].read_bytes())


def test_corrupt_log_is_refused_not_overwritten(factory: Path) -> None:
    (factory / "logs").mkdir()
    (factory / "logs/ops_readiness.json").write_text('{"kind": "readiness-log", "runs": [}')
    code, out = readiness(factory)
    assert code == 1
    assert "error: logs/ops_readiness.json::line 1" in out
    assert "restore the log from git" in out


def test_two_red_runs_halt_and_a_documented_fix_plus_green_resumes(factory: Path) -> None:
    from toyfoundry_ci.base.errors import RefusedError
    from toyfoundry_ci.readiness import require_not_halted

    layout = Layout(factory)
    runbook = (factory / "RUNBOOK.md").read_bytes()
    (factory / "RUNBOOK.md").unlink()
    code, out = readiness(factory, "--record", epoch=1_800_000_000)
    assert code == 1 and "HALTED" not in out
    require_not_halted(layout, "pull")  # one red run does not halt

    code, out = readiness(factory, "--record", epoch=1_800_000_060)
    assert code == 1
    assert "production HALTED since 2027-01-15T08:01:00Z" in out
    assert "failing checks: docs-aligned, docs-present" in out
    with pytest.raises(RefusedError) as refused:
        require_not_halted(layout, "pull")
    assert "pull refused: production is halted" in refused.value.message
    assert "docs-aligned, docs-present" in refused.value.message
    assert "planning/change_log.md" in (refused.value.hint or "")

    # Fixed but undocumented: green, yet still halted.
    (factory / "RUNBOOK.md").write_bytes(runbook)
    code, out = readiness(factory, "--record", epoch=1_800_000_120)
    assert code == 0 and "production HALTED" in out

    change_log = factory / "planning/change_log.md"
    before_halt = "\n## 2027-01-15T07:59:00Z — fix: docs-present, docs-aligned\n"
    partial = "\n## 2027-01-15T08:03:00Z — fix: docs-present\n\nRestored RUNBOOK.md.\n"
    change_log.write_text(change_log.read_text() + before_halt + partial)
    code, out = readiness(factory, "--record", epoch=1_800_000_240)
    assert code == 0 and "production HALTED" in out

    change_log.write_text(
        change_log.read_text() + "\n## 2027-01-15T08:05:00+00:00 -- fix: docs-aligned\n"
    )
    code, out = readiness(factory, "--record", epoch=1_800_000_360)
    assert code == 0 and "HALTED" not in out
    require_not_halted(layout, "pull")
    assert [r["verdict"] for r in log_runs(factory)] == ["red", "red", "green", "green", "green"]


TRACE = ("ledger-entries", "ledger-evidence", "storyboard-notes", "telemetry-exports")


def test_traceability_turns_on_with_the_first_ledger_entry(factory: Path) -> None:
    # The sample batch is paraded: hide its ledger to see the checks before any parade.
    entries = factory / "exchange/ledger/entries"
    shutil.move(entries, factory / "entries.bak")
    assert {statuses(factory)[c] for c in TRACE} == {"not-applicable"}
    shutil.move(factory / "entries.bak", entries)
    found = statuses(factory)
    assert {found[c] for c in TRACE} == {"pass"}
    assert found["artifacts-valid"] == "pass"

    (factory / "planning/storyboard/ALFA-2026-0002.md").unlink()
    csv = factory / ".toyfoundry/telemetry/quilt/exports/ALFA-2026-0003.quilt.csv"
    csv.write_text(csv.read_text() + "press,1,4\n")
    (factory / "exchange/ledger/entries/ALFA-2026-0001.json").unlink()
    code, out = readiness(factory, "--no-log")
    assert code == 1
    assert "ALFA-2026-0001: paraded (exchange/acknowledgements/ACK-ALFA-2026-0001.json)" in out
    assert "ALFA-2026-0002: planning/storyboard/ALFA-2026-0002.md missing or empty" in out
    assert "exports/ALFA-2026-0003.quilt.csv: sha256 differs from the ledger" in out


def test_stale_ledger_index_turns_the_gate_red(factory: Path) -> None:
    assert statuses(factory)["ledger-index"] == "pass"
    (factory / "exchange/ledger/index.json").unlink()
    code, out = readiness(factory, "--no-log")
    assert code == 1
    assert "FAIL  ledger-index" in out
    assert "run `toyfoundry ledger index` and commit the result" in out


def test_staged_checks_read_the_index_and_the_hub_mirror(factory: Path) -> None:
    layout = Layout(factory)
    new = factory / "exchange/orders/ALFA-2026-0004.json"
    order = json.loads((factory / "exchange/orders/ALFA-2026-0001.json").read_text())
    new.write_text(json.dumps({**order, "order_id": "ALFA-2026-0004"}, indent=2) + "\n")
    shutil.copy(BAD_QTY, factory / "exchange/orders/ALFA-2026-0101.json")
    git(factory, "add", "exchange/orders")
    (factory / "exchange/orders/ALFA-2026-0101.json").unlink()  # the index still holds it
    code, out = readiness(factory, "--staged", "--no-log")
    assert code == 1
    assert "exchange/orders/ALFA-2026-0101.json::$.lines[0].qty: 0 is less than" in out
    assert "exchange/orders/ALFA-2026-0004.json: not on the hub mirror (never pulled)" in out

    git(factory, "rm", "-q", "--cached", "exchange/orders/ALFA-2026-0101.json")
    hub_orders = layout.default_hub / "orders"
    hub_orders.mkdir(parents=True)
    shutil.copy(new, hub_orders / new.name)
    found = statuses(factory, "--staged")
    assert found["staged-artifacts"] == "pass"
    assert found["staged-orders"] == "pass"

    new.write_text(new.read_text().replace('"routine"', '"urgent"'))
    git(factory, "add", str(new))
    code, out = readiness(factory, "--staged", "--no-log")
    assert code == 1
    assert "ALFA-2026-0004.json: differs from the hub's digest" in out


def test_staged_machine_state_is_what_head_and_the_index_hold(factory: Path) -> None:
    """``--staged`` reads HEAD's tree and the staged changes, not the index again: a file
    staged into machine state is refused, one staged out of it is not, as without it."""
    planted = factory / ".toyfoundry/hub/receipts/x.json"
    planted.parent.mkdir(parents=True)
    planted.write_text("{}", encoding="utf-8")
    git(factory, "add", "-f", str(planted))
    for args in (("--staged",), ()):
        _, out = readiness(factory, "--format", "json", "--no-log", *args)
        check = {c["id"]: c for c in json.loads(out)["checks"]}["state-untracked"]
        assert check["details"] == [".toyfoundry/hub: 1 file tracked"], args
    git(factory, "commit", "-qm", "PR: machine state")
    git(factory, "rm", "-rq", "--cached", ".toyfoundry/hub")
    assert statuses(factory, "--staged")["state-untracked"] == "pass"
    assert statuses(factory)["state-untracked"] == "pass"


def test_the_hook_calls_say_what_the_cli_says_without_its_parsing(factory: Path) -> None:
    """``readiness --staged --no-log`` as the hook writes it goes straight to the gate (the
    CLI's command module is never imported) and prints what the CLI prints for it."""
    shutil.copy(BAD_QTY, factory / "exchange/orders/ALFA-2026-0101.json")
    git(factory, "add", "exchange/orders")
    hook = run_cli("readiness", "--staged", "--no-log", cwd=factory)
    through_cli = run_cli("readiness", "--staged", "--no-log", "--format", "text", cwd=factory)
    assert hook.returncode == through_cli.returncode == 1
    assert hook.stdout == through_cli.stdout
    assert "ALFA-2026-0101.json::$.lines[0].qty: 0 is less than" in hook.stdout
    calls = {
        # docs-aligned reads the CLI's command table (and so loads click) on every run
        "toyfoundry_ci.cli.readiness": ["readiness", "--staged", "--no-log"],
        "click": ["ledger", "index", "--default-branch-only"],
    }
    for module, call in calls.items():
        probe = (
            "import sys\n"
            "from toyfoundry_ci._entry import main\n"
            "try:\n"
            f"    main({call!r})\n"
            "except SystemExit:\n"
            "    pass\n"
            f"print('LOADED=' + str({module!r} in sys.modules))\n"
        )
        proc = subprocess.run(
            [sys.executable, "-c", probe], cwd=factory, capture_output=True, text=True, check=False
        )
        assert proc.stdout.strip().splitlines()[-1] == "LOADED=False", proc.stdout + proc.stderr


def test_staged_orders_read_the_log_only_for_orders_the_hub_folder_lacks(
    factory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from toyfoundry_ci.readiness import staged

    layout = Layout(factory)
    order = factory / "exchange/orders/ALFA-2026-0001.json"
    hub_orders = layout.default_hub / "orders"
    hub_orders.mkdir(parents=True, exist_ok=True)
    shutil.copy(order, hub_orders / order.name)
    order.write_text(order.read_text() + "\n")
    git(factory, "add", str(order))
    read: list[Path] = []
    real = staged.raw_runs

    def counting(path: Path) -> list[tuple[Path, int, dict[str, Any]]]:
        read.append(path)
        return real(path)

    monkeypatch.setattr(staged, "raw_runs", counting)
    check = staged.staged_orders_mirrored(layout)
    assert check.failed and "differs from the hub's digest" in check.details[0]
    assert read == []  # the hub folder answered for the one order staged
    (hub_orders / order.name).unlink()
    check = staged.staged_orders_mirrored(layout)
    assert read == [layout.exchange_log]
    assert check.failed, check


def test_staged_checks_say_not_applicable_with_nothing_staged(factory: Path) -> None:
    found = statuses(factory, "--staged")
    assert found["staged-artifacts"] == "not-applicable"
    assert found["staged-orders"] == "not-applicable"


def test_runbook_v1_form_runs_the_same_gate(factory: Path) -> None:
    v1 = subprocess.run(
        [sys.executable, "-m", "tools.ops_readiness", "--format", "json", "--record"],
        cwd=factory,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    assert v1.returncode == 0, v1.stderr
    assert json.loads(v1.stdout)["verdict"] == "green"
    assert len(log_runs(factory)) == 1


def test_looking_at_the_gate_changes_no_tracked_file(factory: Path) -> None:
    assert readiness(factory, "--record")[0] == 0
    git(factory, "add", "logs", ".toyfoundry")  # the log, and the lock's .gitignore (a write)
    git(factory, "commit", "-qm", "record a run")
    log = [path.read_bytes() for path in log_files(factory, "ops_readiness")]
    shutil.copy(BAD_QTY, factory / "exchange/orders/ALFA-2026-0101.json")  # untracked, red
    for args in (("--no-log",), ("--staged",), ("--format", "json")):
        assert readiness(factory, *args)[0] == 1
    code, out = readiness(factory)
    assert code == 1
    assert "(not recorded; `toyfoundry readiness --record` records a run" in out
    assert [path.read_bytes() for path in log_files(factory, "ops_readiness")] == log
    assert git(factory, "status", "--porcelain") == "?? exchange/orders/ALFA-2026-0101.json\n"


def test_unrecorded_red_runs_never_halt(factory: Path) -> None:
    from toyfoundry_ci.readiness import require_not_halted

    (factory / "RUNBOOK.md").unlink()
    assert readiness(factory, "--record")[0] == 1
    for args in (("--no-log",), (), ("--no-log",)):
        code, out = readiness(factory, *args)
        assert code == 1 and "HALTED" not in out, out
    require_not_halted(Layout(factory), "pull")
    code, out = readiness(factory, "--record")
    assert code == 1 and "production HALTED" in out
    assert run_cli("readiness", "--record", "--no-log", cwd=factory).returncode == 2


# With a fixed clock the entry is dated in the very second the halt began: it still counts.
@pytest.mark.parametrize("epoch", [None, 1_800_000_000], ids=["clock", "same-second"])
def test_the_printed_entry_lifts_the_halt_when_pasted(factory: Path, epoch: int | None) -> None:
    env = {"SOURCE_DATE_EPOCH": str(epoch)} if epoch is not None else None
    runbook = (factory / "RUNBOOK.md").read_bytes()
    (factory / "RUNBOOK.md").unlink()
    for _ in range(2):
        readiness(factory, "--record", epoch=epoch)
    refused = run_cli("pull", cwd=factory, env=env)
    assert refused.returncode == 1 and "pull refused: production is halted" in refused.stderr
    (factory / "RUNBOOK.md").write_bytes(runbook)

    code, out = readiness(factory, epoch=epoch)  # green, not recorded: says how to count it
    assert code == 0 and "production HALTED" in out
    assert "this run would lift the halt" not in out  # nothing documented yet
    (entry,) = [line for line in refused.stderr.splitlines() if line.startswith("## ")]
    assert entry.endswith("— fix: docs-aligned, docs-present")
    change_log = factory / "planning/change_log.md"
    change_log.write_text(f"{change_log.read_text()}\n{entry}\n\nRestored RUNBOOK.md.\n")
    code, out = readiness(factory, epoch=epoch)
    assert "this run would lift the halt: record it with `toyfoundry readiness --record`" in out

    code, out = readiness(factory, "--record", epoch=epoch)
    assert code == 0 and "HALTED" not in out, out
    resumed = run_cli("pull", cwd=factory, env=env)
    assert resumed.returncode == 0, resumed.stderr
    shift = run_cli("shift", cwd=factory, env=env)
    assert shift.returncode == 0, shift.stdout + shift.stderr


def test_a_red_shift_gate_is_recorded_and_points_at_the_gate(factory: Path) -> None:
    (factory / "planning/change_log.md").write_text("  \n")
    shift = run_cli("shift", cwd=factory)
    assert shift.returncode == 1
    assert (
        "readiness red: docs-present (1 required doc missing or empty);"
        " `toyfoundry readiness` shows what to fix"
    ) in shift.stdout
    assert [r["verdict"] for r in log_runs(factory)] == ["red"]
    code, out = readiness(factory)
    assert code == 1
    assert "planning/change_log.md: empty" in out and "fix: restore the docs named above" in out


def test_a_staged_file_is_held_to_its_kinds_bound_the_ledger_index_to_its_own(
    factory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """At 100,000 orders the ledger index is 25 MB, above the 5 MiB bound of other kinds:
    the staged check reads each file within its own kind's bound, as `validate` does (the
    general bound is shrunk here so a small factory's index stands for a large one's)."""
    from toyfoundry_ci.base import kinds
    from toyfoundry_ci.readiness.staged import staged_artifacts_valid

    index = factory / "exchange/ledger/index.json"
    order = factory / "exchange/orders/ALFA-2026-0001.json"
    doc = json.loads(index.read_text(encoding="utf-8"))
    digest = doc["entries"][0]["digest"]["sha256"]
    other = ("0" if digest[0] != "0" else "1") + digest[1:]  # still an index, as a schema sees
    index.write_text(index.read_text(encoding="utf-8").replace(digest, other), encoding="utf-8")
    bound = index.stat().st_size - 1
    monkeypatch.setattr(kinds, "MAX_BYTES", bound)
    padded = order.read_text(encoding="utf-8").rstrip("\n") + " " * bound + "\n"
    order.write_text(padded, encoding="utf-8")
    git(factory, "add", str(index), str(order))

    check = staged_artifacts_valid(Layout(factory))
    assert check.status == "fail"
    assert check.details == (
        f"exchange/orders/ALFA-2026-0001.json::$: is {len(padded)} bytes, larger than the"
        f" {bound}-byte bound",
    )


def test_the_index_hook_call_splices_as_the_cli_does(
    factory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ledger index --default-branch-only`` as the hook writes it brings the index current
    by splicing what changed since the commit that wrote it, never by rebuilding every row
    (at 100,000 orders the rebuild was two seconds of every commit)."""
    from toyfoundry_ci import _entry
    from toyfoundry_ci.ledger import index

    def no_rebuild(*_args: object) -> None:
        raise AssertionError("every row was rebuilt")

    monkeypatch.chdir(factory)
    monkeypatch.setattr(index, "index_rows", no_rebuild)
    with pytest.raises(SystemExit) as ended:
        _entry.main(["ledger", "index", "--default-branch-only"])
    assert ended.value.code == 0
    through_cli = run_cli("ledger", "index", "--default-branch-only", cwd=factory)
    assert through_cli.returncode == 0


def test_the_readiness_hook_validates_a_staged_ledger_index(factory: Path) -> None:
    """The validate hook leaves the ledger index to the readiness hook, whose staged check
    validates it as staged (and whose ledger-index check compares it with a rebuild)."""
    index = factory / "exchange/ledger/index.json"
    doc = json.loads(index.read_text(encoding="utf-8"))
    doc["count"] = "many"
    index.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    git(factory, "add", str(index))
    code, out = readiness(factory, "--staged", "--no-log")
    assert code == 1
    assert "FAIL  staged-artifacts" in out
    assert "exchange/ledger/index.json::$.count:" in out


def test_a_staged_error_is_named_once_and_a_staged_file_not_read_twice(
    factory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the work tree holds what is staged, artifacts-valid has just validated the
    staged bytes: staged-artifacts points at its errors instead of listing them again, and
    reads no staged file a second time (at 100,000 orders, the 25 MB index: 0.4 s a commit)."""
    from toyfoundry_ci.readiness import staged
    from toyfoundry_ci.readiness.gate import run_readiness

    order = factory / "exchange/orders/ALFA-2026-0101.json"
    shutil.copy(BAD_QTY, order)
    index = factory / "exchange/ledger/index.json"
    index.write_text(index.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    git(factory, "add", str(order), str(index))
    code, out = readiness(factory, "--staged", "--no-log")  # the store, as a hook finds it
    assert code == 1

    asked: list[str] = []
    real = staged._staged_blobs

    def spy(root: Path, found: Any, paths: list[str], bound: int = 0) -> Any:
        asked.extend(paths)
        return real(root, found, paths, bound)

    monkeypatch.setattr(staged, "_staged_blobs", spy)
    checks = {c.id: c for c in run_readiness(Layout(factory), staged=True).checks}
    rel = "exchange/orders/ALFA-2026-0101.json"
    assert [d for d in checks["artifacts-valid"].details if d.startswith(f"{rel}::")]
    assert checks["staged-artifacts"].status == "fail"
    assert checks["staged-artifacts"].details == (
        f"{rel}: as staged, invalid (its errors are under artifacts-valid)",
    )
    assert asked == [rel]  # by staged-orders alone, to compare it with the hub's
    assert out.count(f"{rel}::$.lines[0].qty") == 1


def test_a_staged_file_the_work_tree_no_longer_holds_is_validated_as_staged(
    factory: Path,
) -> None:
    """An invalid file staged, then fixed without staging again: the commit would record
    the invalid bytes, so staged-artifacts reads them from git and names their errors."""
    order = factory / "exchange/orders/ALFA-2026-0101.json"
    shutil.copy(BAD_QTY, order)
    git(factory, "add", str(order))
    value = json.loads(order.read_text(encoding="utf-8"))
    value["lines"][0]["qty"] = 1
    order.write_text(json.dumps(value), encoding="utf-8")
    code, out = readiness(factory, "--staged", "--no-log")
    assert code == 1
    assert "FAIL  staged-artifacts" in out
    assert "exchange/orders/ALFA-2026-0101.json::$.lines[0].qty" in out
    assert "pass  artifacts-valid" in out


def test_a_staged_file_put_back_under_its_stat_is_read_as_staged(factory: Path) -> None:
    """Invalid bytes staged, then the valid ones put back with the same size and mtime in
    the same second: git's stat cache takes the work tree for the staged blob, and no
    stash would restore anything. staged-artifacts reads the blob the commit would record."""
    import time

    rel = "exchange/acknowledgements/ACK-ALFA-2026-0001.json"
    path = factory / rel
    good = path.read_bytes()
    bad = good.replace(b'"accept"', b'"acXept"', 1)
    assert bad != good and len(bad) == len(good)
    info = path.stat()
    readiness(factory, "--staged", "--no-log")  # a store, as the last commit left it
    time.sleep(1 - time.time() % 1 + 0.02)  # all within one second
    path.write_bytes(bad)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    git(factory, "add", "--", rel)
    path.write_bytes(good)
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))
    time.sleep(2.1)
    (factory / "planning/change_log.md").write_text("- a later change\n", encoding="utf-8")
    git(factory, "add", "planning/change_log.md")  # the index written again, seconds later
    assert git(factory, "diff", "--name-only") == ""  # git takes the work tree as staged
    assert b"acXept" in git(factory, "show", f":{rel}").encode()

    code, out = readiness(factory, "--staged", "--no-log")
    assert code == 1, out
    assert "FAIL  staged-artifacts" in out
    assert f"{rel}::$.disposition" in out
