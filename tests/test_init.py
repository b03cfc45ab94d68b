"""``toyfoundry init``: a scaffold that passes readiness and its own hooks on its first commit."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import REPO_ROOT, committed, git, init_repo, run_cli
from tests.exchange_kit import directive, put_directives
from tests.fixtures_hooks import commit, person_env, pre_commit, venv_stub
from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.kinds import ARTIFACT_FILES_REGEX
from toyfoundry_ci.scaffold import FOLDERS

SHA = "0123456789abcdef0123456789abcdef01234567"
DOCS = (
    "README.md",
    "RUNBOOK.md",
    "planning/toyfoundry/toyfoundry.md",
    "planning/change_log.md",
    "new_major_pivots/README.md",
)


def test_init_writes_the_skeleton_with_local_hooks_and_refuses_to_overwrite(
    tmp_path: Path,
) -> None:
    target = tmp_path / "Iron Works"
    target.mkdir()
    (target / "README.md").write_text("# ours\n")

    proc = run_cli("init", str(target))

    assert proc.returncode == 0, proc.stderr
    assert (target / "README.md").read_text() == "# ours\n"  # kept, not overwritten
    assert "kept 1 existing file as" in proc.stdout
    for doc in (*DOCS[1:], "planning/toyfoundry/catalogue.md", "exchange/orders/README.md"):
        assert f"created  {doc}" in proc.stdout and (target / doc).read_text().strip()
    for folder in FOLDERS:
        assert (target / folder).is_dir()
    # Local hooks, run through hooks/python: nothing to fetch, no URL or tag that may not exist.
    hooks = yaml.safe_load((target / ".pre-commit-config.yaml").read_text())
    (repo,) = hooks["repos"]
    assert repo["repo"] == "local"
    by_id = {h["id"]: h for h in repo["hooks"]}
    assert set(by_id) == {"toyfoundry-validate", "toyfoundry-readiness", "toyfoundry-ledger-index"}
    assert all(h["entry"].startswith("hooks/python -m toyfoundry_ci ") for h in by_id.values())
    assert by_id["toyfoundry-validate"]["files"] == ARTIFACT_FILES_REGEX
    assert os.access(target / "hooks/python", os.X_OK)
    assert 'factory = "iron-works"' in (target / ".toyfoundry/config.toml").read_text()
    # No --action-ref: no workflows, and a note that says how to add them.
    assert not (target / ".github").exists()
    assert "workflows left out: add them later with `toyfoundry init" in proc.stdout
    assert "--action-ref <40-hex commit>`" in proc.stdout
    # The next steps name this very toyfoundry, so they work with the venv off PATH.
    steps = proc.stdout.split("next:\n", 1)[1].splitlines()
    assert steps[0].strip().startswith("git -C ") and steps[0].endswith(" init -b main")
    assert f"{shlex.quote(sys.executable)} -m toyfoundry_ci hooks install --root" in steps[1]

    again = run_cli("init", str(target))
    assert again.returncode == 0
    assert "already scaffolded; nothing to do" in again.stdout
    assert "created" not in again.stdout

    pinned = run_cli("init", str(target), "--action-ref", SHA)
    assert pinned.returncode == 0, pinned.stderr
    created = [line for line in pinned.stdout.splitlines() if line.startswith("created")]
    assert len(created) == 3 and "workflows left out" not in pinned.stdout
    for name in ("pr", "merge", "intake"):
        flow = (target / ".github" / "workflows" / f"{name}.yml").read_text()
        assert f"toyfoundry/toyfoundry-ci@{SHA} # toyfoundry-ci v" in flow
        assert f"command: {name}" in flow
        assert yaml.safe_load(flow)["permissions"] == {}


def test_the_starter_catalogue_validates_and_its_doc_is_this_repositorys(tmp_path: Path) -> None:
    target = tmp_path / "f"
    assert run_cli("init", str(target)).returncode == 0
    catalogue = sorted((target / "planning/toyfoundry").glob("*/*.json"))
    assert [p.parent.name for p in catalogue] == ["blueprints", "recipes"]
    checked = run_cli("validate", *map(str, catalogue), cwd=target)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    doc = (target / "planning/toyfoundry/catalogue.md").read_text()
    assert doc == (committed() / "planning/toyfoundry/catalogue.md").read_text()


def test_init_refuses_a_hook_repo_without_its_rev(tmp_path: Path) -> None:
    proc = run_cli("init", str(tmp_path / "f"), "--hook-repo", "https://example.test/hooks")
    assert proc.returncode == 1
    assert "--hook-repo and --hook-rev go together" in proc.stderr
    assert not (tmp_path / "f").exists()


def test_init_refuses_an_action_ref_that_is_not_a_sha(tmp_path: Path) -> None:
    proc = run_cli("init", str(tmp_path / "f"), "--action-ref", "v1")
    assert proc.returncode == 1
    assert "is not a full commit SHA" in proc.stderr
    assert not (tmp_path / "f").exists()


@pytest.mark.slow
def test_the_first_commit_passes_readiness_and_the_real_hooks(
    tmp_path: Path, hook_repo: tuple[Path, str]
) -> None:
    repo_path, rev = hook_repo
    factory = tmp_path / "factory"
    made = run_cli(
        "init", str(factory), "--action-ref", SHA, "--hook-repo", str(repo_path), "--hook-rev", rev
    )
    assert made.returncode == 0, made.stderr
    init_repo(factory)
    # One directive pulled from the embedded hub, so the validate hook has something to check.
    put_directives(factory / ".toyfoundry" / "hub", ["ALFA-2027-0001"])
    pulled = run_cli("pull", cwd=factory)
    assert pulled.returncode == 0, pulled.stderr
    git(factory, "add", "-A")
    installed = pre_commit(factory, "install")
    assert installed.returncode == 0, installed.stderr

    first = commit(factory, "Scaffold the factory")

    assert first.returncode == 0, first.stdout + first.stderr
    hooks = first.stdout + first.stderr  # git prints the hooks' lines on stderr
    for name in ("toyfoundry validate", "toyfoundry readiness"):
        assert re.search(rf"^{name}\.+Passed$", hooks, re.MULTILINE), hooks
    assert "Failed" not in hooks
    gate = subprocess.run(
        [sys.executable, "-m", "toyfoundry_ci", "readiness"],
        cwd=factory, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert gate.returncode == 0, gate.stdout + gate.stderr
    assert "readiness: GREEN" in gate.stdout


def _walkthrough() -> str:
    """The README's `toyfoundry init` walkthrough, as the lines a person types."""
    text = (REPO_ROOT / "README.md").read_text()
    section = text.split("### Scaffolding a factory: `toyfoundry init`", 1)[1]
    block = section.split("```console\n", 1)[1].split("```", 1)[0]
    return "\n".join(line[2:] for line in block.splitlines() if line.startswith("$ "))


def _kite_directives(factory: Path, *order_ids: str) -> None:
    """High Command's side: directives for the starter catalogue's toy on the embedded hub."""
    kite = [{"line": 1, "sku": "TOY-KITE-03", "qty": 12}]
    for oid in order_ids:
        write_bytes_atomic(
            factory / ".toyfoundry/hub/orders" / f"{oid}.json", directive(oid, lines=kite)
        )


@pytest.mark.slow
def test_the_readme_walkthrough_gives_a_factory_that_shifts_clones_and_merges(
    tmp_path: Path,
) -> None:
    """As a person would, with the venv of the Quick start never on PATH."""
    toyfoundry_ci = tmp_path / "toyfoundry-ci"
    toyfoundry = str(venv_stub(toyfoundry_ci) / "toyfoundry")
    shell = person_env()

    def run(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(args, cwd=cwd, env=shell, capture_output=True, text=True, check=False)
        assert done.returncode == 0, f"{args}:\n{done.stdout}{done.stderr}"
        return done

    walked = run(toyfoundry_ci, "sh", "-ec", _walkthrough())
    factory = tmp_path / "iron-works"
    for hook in ("toyfoundry validate", "toyfoundry readiness"):
        assert re.search(rf"^{hook}\.+Passed$", walked.stdout + walked.stderr, re.MULTILINE)
    assert git(factory, "log", "--format=%s") == "Scaffold the factory\n"

    # A shift on a directive for the starter catalogue forges a real order, and everything
    # it writes (quilt exports included) commits through the installed hooks, with no SKIP.
    _kite_directives(factory, "ALFA-2027-0001")
    shifted = run(factory, toyfoundry, "shift")
    assert re.search(r"forge\s+done\s+1", shifted.stdout), shifted.stdout
    ack = (factory / "exchange/acknowledgements/ACK-ALFA-2027-0001.json").read_text()
    assert '"disposition": "accept' in ack
    git(factory, "add", "-A")
    staged = git(factory, "diff", "--cached", "--name-only").split()
    assert ".toyfoundry/telemetry/quilt/exports/ALFA-2027-0001.quilt.json" in staged
    assert "SKIP" not in shell
    run(factory, "git", "commit", "-q", "-m", "Shift: ALFA-2027-0001")
    _kite_directives(factory, "ALFA-2027-0002", "ALFA-2027-0003")
    run(factory, toyfoundry, "pull")
    run(factory, "git", "add", "-A")
    run(factory, "git", "commit", "-q", "-m", "Pull two directives")

    # A clone is green, and after its one `hooks install` it merges like the original.
    run(tmp_path, "git", "clone", "-q", str(factory), "clone")
    clone = tmp_path / "clone"
    gate = run(clone, toyfoundry, "readiness", "--no-log")
    assert "readiness: GREEN" in gate.stdout
    run(clone, toyfoundry, "hooks", "install")
    for branch, oid in (("left", "ALFA-2027-0002"), ("right", "ALFA-2027-0003")):
        run(clone, "git", "checkout", "-q", "-b", branch, "main")
        for stage in ("forge", "drill", "parade"):
            run(clone, toyfoundry, stage, oid)
        run(clone, "git", "add", "-A")
        run(clone, "git", "commit", "-q", "-m", f"Parade {oid}")
    run(clone, "git", "checkout", "-q", "left")
    merged = run(clone, "git", "merge", "--no-edit", "right")
    assert "CONFLICT" not in merged.stdout + merged.stderr
    index = (clone / "exchange/ledger/index.json").read_text()
    assert "ALFA-2027-0002" in index and "ALFA-2027-0003" in index
    run(clone, toyfoundry, "ledger", "index", "--check")
    assert "readiness: GREEN" in run(clone, toyfoundry, "readiness", "--no-log").stdout
