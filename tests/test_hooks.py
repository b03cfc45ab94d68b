"""The hook manifests and `toyfoundry hooks install`, on real repositories."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
from pathlib import Path

import yaml

from tests.conftest import REPO_ROOT, git, run_cli
from tests.fixtures_hooks import person_env, venv_stub
from toyfoundry_ci.base.kinds import ARTIFACT_FILES_REGEX


def _hooks(path: Path) -> dict[str, dict[str, object]]:
    data = yaml.safe_load(path.read_text())
    hooks = data if isinstance(data, list) else [h for r in data["repos"] for h in r["hooks"]]
    return {h["id"]: h for h in hooks}


def test_manifest_and_config_validate_and_share_the_artifact_regex() -> None:
    for command, name in (
        ("validate-manifest", ".pre-commit-hooks.yaml"),
        ("validate-config", ".pre-commit-config.yaml"),
    ):
        proc = subprocess.run(
            [sys.executable, "-m", "pre_commit", command, name],
            cwd=REPO_ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        assert proc.returncode == 0, proc.stdout + proc.stderr
    manifest = _hooks(REPO_ROOT / ".pre-commit-hooks.yaml")
    config = _hooks(REPO_ROOT / ".pre-commit-config.yaml")
    assert manifest["toyfoundry-validate"]["files"] == ARTIFACT_FILES_REGEX
    # The factory's commit hook: one process, run on every commit, as this repository runs it.
    for hooks in (manifest, config):
        assert hooks["toyfoundry-commit"]["always_run"] is True
        assert hooks["toyfoundry-commit"]["pass_filenames"] is False
        assert hooks["toyfoundry-commit"]["entry"].endswith(" hooks pre-commit")
    assert not {"toyfoundry-validate", "toyfoundry-readiness"} & set(config)
    assert manifest["toyfoundry-readiness"]["always_run"] is True
    assert manifest["toyfoundry-readiness"]["pass_filenames"] is False
    assert manifest["toyfoundry-ledger-index"]["files"] == "^exchange/ledger/entries/"
    assert {"ruff", "ruff-format", "mypy"} <= set(config)


def test_hooks_install_sets_up_pre_commit_and_the_merge_driver_once(factory: Path) -> None:
    proc = run_cli("hooks", "install", cwd=factory)
    assert proc.returncode == 0, proc.stderr
    assert "pre-commit installed at .git/hooks/pre-commit" in proc.stdout
    assert (factory / ".git/hooks/pre-commit").is_file()
    driver = git(factory, "config", "--get", "merge.toyfoundry-ledger.driver").strip()
    # By the interpreter's absolute path: a person's shell need not have the venv on PATH.
    assert driver == f"{shlex.quote(sys.executable)} -m toyfoundry_ci ledger merge-driver %O %A %B"
    assert git(factory, "config", "--get", "toyfoundry.python").strip() == sys.executable
    assert git(factory, "config", "--get", "merge.toyfoundry-ledger.name").strip()
    attributes = "exchange/ledger/index.json merge=toyfoundry-ledger\n"
    assert (factory / ".gitattributes").read_text() == attributes
    assert (
        git(factory, "check-attr", "merge", "exchange/ledger/index.json")
        .strip()
        .endswith("merge: toyfoundry-ledger")
    )

    again = run_cli("hooks", "install", cwd=factory)
    assert again.returncode == 0
    assert "ledger merge driver already registered; nothing to do" in again.stdout
    assert (factory / ".gitattributes").read_text() == attributes


def test_hooks_install_outside_a_repository_says_what_to_do(tmp_path: Path) -> None:
    proc = run_cli("hooks", "install", cwd=tmp_path)
    assert proc.returncode == 1
    assert "not inside a factory" in proc.stderr
    assert "hint: cd into one or run toyfoundry init" in proc.stderr


def test_install_script_works_from_a_shell_without_the_venv(factory: Path) -> None:
    """hooks/install.sh finds the factory's .venv itself; then commits need no PATH either."""
    venv_stub(factory)
    shell = person_env()
    installed = subprocess.run(
        ["sh", "hooks/install.sh"], cwd=factory, capture_output=True, text=True, env=shell,
        check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "pre-commit installed at .git/hooks/pre-commit" in installed.stdout
    assert git(factory, "config", "--get", "toyfoundry.python").strip() == sys.executable
    ran = subprocess.run(
        ["hooks/python", "-m", "toyfoundry_ci", "--version"], cwd=factory, capture_output=True,
        text=True, env=shell, check=False,
    )  # fmt: skip
    assert ran.returncode == 0, ran.stderr


def test_hooks_python_without_any_toyfoundry_says_how_to_record_one(factory: Path) -> None:
    shell = person_env() | {"PATH": "/usr/bin:/bin"}
    proc = subprocess.run(
        ["hooks/python", "-m", "toyfoundry_ci", "validate"], cwd=factory, capture_output=True,
        text=True, env=shell, check=False,
    )  # fmt: skip
    if proc.returncode == 0:  # a system python3 that has toyfoundry-ci is a fine answer too
        return
    assert proc.returncode == 1
    assert "no Python with toyfoundry-ci found" in proc.stderr
    assert "hint: run `toyfoundry hooks install`" in proc.stderr


def test_the_local_hooks_script_is_the_one_init_writes() -> None:
    template = REPO_ROOT / "toyfoundry_ci/templates/local-hooks/hooks/python"
    assert (REPO_ROOT / "hooks/python").read_bytes() == template.read_bytes()


def _entry_staged_behind_the_index(factory: Path) -> Path:
    """A staged ledger entry whose row the index lacks (as after a merge of a branch)."""
    entry = "exchange/ledger/entries/ALFA-2026-0003.json"
    git(factory, "rm", "-q", entry)
    assert run_cli("ledger", "index", cwd=factory).returncode == 0
    git(factory, "commit", "-qam", "Drop ALFA-2026-0003's entry")
    git(factory, "checkout", "HEAD~1", "--", entry)  # back, staged; the index still lacks it
    return factory / "exchange/ledger/index.json"


def test_the_commit_check_brings_the_index_current_on_the_default_branch(factory: Path) -> None:
    index = _entry_staged_behind_the_index(factory)
    before = index.read_bytes()
    first = run_cli("hooks", "pre-commit", cwd=factory)
    assert first.returncode == 1, first.stdout + first.stderr  # stage the index, commit again
    assert "index behind by 1 entry" in first.stdout
    assert first.stdout.rstrip().endswith(
        "wrote exchange/ledger/index.json (it lagged the entries being committed): stage it"
        " (`git add -- exchange/ledger/index.json`) and commit again"
    )
    assert index.read_bytes() != before and b"ALFA-2026-0003" in index.read_bytes()

    git(factory, "add", "--", "exchange/ledger/index.json")  # as the message says
    second = run_cli("hooks", "pre-commit", cwd=factory)
    assert second.returncode == 0, second.stdout
    assert "index current" in second.stdout and "wrote" not in second.stdout
    assert "pass  staged-artifacts" in second.stdout


def test_the_commit_check_leaves_the_index_to_lag_off_the_default_branch(factory: Path) -> None:
    index = _entry_staged_behind_the_index(factory)
    git(factory, "checkout", "-q", "-b", "parade-0003")
    before = index.read_bytes()
    proc = run_cli("hooks", "pre-commit", cwd=factory)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "not the default branch: the index is left to lag" in proc.stdout
    assert index.read_bytes() == before


def test_the_commit_check_refuses_an_invalid_staged_artifact(factory: Path) -> None:
    order = factory / "exchange/orders/ALFA-2026-0001.json"
    doc = json.loads(order.read_text(encoding="utf-8"))
    doc["lines"][0]["qty"] = 0
    order.write_text(json.dumps(doc), encoding="utf-8")
    git(factory, "add", str(order))
    proc = run_cli("hooks", "pre-commit", cwd=factory)
    assert proc.returncode == 1
    assert "exchange/orders/ALFA-2026-0001.json::$.lines[0].qty" in proc.stdout
    assert "FAIL  staged-artifacts" in proc.stdout


def test_the_commit_check_is_the_fast_path_and_the_cli_alike(factory: Path) -> None:
    """The hook's exact call skips the CLI's framework; both say the same."""
    _entry_staged_behind_the_index(factory)
    git(factory, "checkout", "-q", "-b", "side")
    fast = subprocess.run(
        [sys.executable, "-m", "toyfoundry_ci", "hooks", "pre-commit"],
        cwd=factory, capture_output=True, text=True, check=False,
    )  # fmt: skip
    cli = run_cli("hooks", "pre-commit", "--root", str(factory), cwd=factory)
    strip = [line for line in fast.stdout.splitlines() if not line.startswith("readiness:")]
    assert fast.returncode == cli.returncode == 0
    assert strip == [line for line in cli.stdout.splitlines() if not line.startswith("readiness:")]


def test_the_commit_check_indexes_only_the_entries_the_commit_holds(factory: Path) -> None:
    """An entry file git does not track, even an unreadable one, is no part of the commit:
    the index the hook writes has no row for it, and it does not stop the commit."""
    index = _entry_staged_behind_the_index(factory)
    assert run_cli("readiness", cwd=factory).returncode == 0  # as the last shift's gates left it
    stray = factory / "exchange/ledger/entries/ALFA-2026-0099.json"
    stray.write_text("{not an entry", encoding="utf-8")
    proc = run_cli("hooks", "pre-commit", cwd=factory)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "wrote exchange/ledger/index.json" in proc.stdout and "error" not in proc.stdout
    rows = [row["order_id"] for row in json.loads(index.read_text(encoding="utf-8"))["entries"]]
    assert "ALFA-2026-0003" in rows and "ALFA-2026-0099" not in rows
    git(factory, "add", "--", "exchange/ledger/index.json")
    git(factory, "commit", "-qm", "Bring ALFA-2026-0003 back", "--no-verify")
    stray.unlink()
    clean = run_cli("readiness", cwd=factory)  # the commit, as a clone holds it
    assert clean.returncode == 0 and "index current" in clean.stdout, clean.stdout


def test_the_commit_check_keeps_its_report_when_the_index_cannot_be_written(
    factory: Path,
) -> None:
    index = _entry_staged_behind_the_index(factory)
    index.unlink()
    index.symlink_to("/etc/hostname")  # a link: never written through
    git(factory, "add", "--", "exchange/ledger/index.json")
    proc = run_cli("hooks", "pre-commit", cwd=factory)
    assert proc.returncode == 1
    assert "readiness: RED" in proc.stdout and "error:" in proc.stdout
    assert proc.stdout.rstrip().endswith("once that is done, run `git commit` again")
    assert "Traceback" not in proc.stdout + proc.stderr
