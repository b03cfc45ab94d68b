"""SIGKILL at every step of a push, on folder, git and GitHub hubs, then run again.

Each crash is made from outside the package: ``tests/kill_at.py`` runs the real CLI and
kills it just before its Nth write, rename, git command or HTTP request. After the crash no
JSON file is torn and no log claims a push that did not land; after the re-run the hub holds
exactly what an uninterrupted push leaves, with one receipt and one notification.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import logged_runs
from tests.exchange_kit import issued, sealed_factory
from tests.github_server import GitHubServer
from tests.reliability_kit import snapshot, torn_json
from tests.test_exchange_git import bare_hub
from toyfoundry_ci.base.layout import Layout

KILL_AT = Path(__file__).with_name("kill_at.py")
PINNED = {"SOURCE_DATE_EPOCH": "1795000000"}  # receipts and logs carry the same time each run
GITHUB = "github://high-command/hub"


def kill_run(
    root: Path, step: str, nth: int, pattern: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``toyfoundry ARGS`` in ``root``, killed before its ``nth`` matching step (0: never)."""
    return subprocess.run(
        [sys.executable, str(KILL_AT), step, str(nth), pattern, "--", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, **PINNED, **(env or {})},
        check=False,
    )


def steps_of(proc: subprocess.CompletedProcess[str]) -> int:
    found = re.search(r"kill_at: steps=(\d+)", proc.stderr)
    assert found, proc.stderr
    return int(found.group(1))


def hub_receipts(files: dict[str, bytes]) -> set[str]:
    return {json.loads(v)["receipt_id"] for k, v in files.items() if k.startswith("receipts/")}


def check_consistent(root: Path, receipts_on_hub: set[str]) -> None:
    """No torn JSON anywhere; the exchange log claims no push the hub does not hold."""
    assert torn_json(root) == []
    for run in logged_runs(root, "exchange_all"):
        if run["direction"] == "push" and run["result"] in ("ok", "partial"):
            assert run["receipt_id"] in receipts_on_hub, run


def crash_and_recover(
    template: Path,
    tmp_path: Path,
    *,
    step: str,
    pattern: str,
    args: tuple[str, ...],
    hub_files: Callable[[Path], dict[str, bytes]],
    fresh: Callable[[Path], None] = lambda _root: None,
    after: Callable[[Path, int], None] = lambda _root, _nth: None,
    env: dict[str, str] | None = None,
) -> int:
    """Kill the push at each of its steps in a copy of ``template``; return the step count."""
    reference = tmp_path / "reference"
    shutil.copytree(template, reference, symlinks=True)
    fresh(reference)
    clean = kill_run(reference, step, 0, pattern, *args, env=env)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    expected = hub_files(reference)
    total = steps_of(clean)
    assert total >= 1
    for nth in range(1, total + 1):
        case = tmp_path / f"{step}-{nth}"
        shutil.copytree(template, case, symlinks=True)
        fresh(case)
        crashed = kill_run(case, step, nth, pattern, *args, env=env)
        assert crashed.returncode == -signal.SIGKILL, (nth, crashed.stdout, crashed.stderr)
        check_consistent(case, hub_receipts(hub_files(case)))

        again = kill_run(case, step, 0, pattern, *args, env=env)

        assert again.returncode == 0, (nth, again.stdout, again.stderr)
        assert hub_files(case) == expected, f"killed before {step} {nth} of {total}"
        check_consistent(case, hub_receipts(expected))
        after(case, nth)
        shutil.rmtree(case)
    return total


def folder_hub_files(root: Path) -> dict[str, bytes]:
    hub = Layout(root).default_hub
    return {
        rel: (hub / rel).read_bytes()
        for rel in snapshot(hub)
        if not rel.rsplit("/", 1)[-1].startswith(".")  # temporary files of a killed write
    }


@pytest.fixture
def template(tmp_path: Path) -> Path:
    """A readiness-green factory with one sealed, paired order and nothing pushed yet."""
    root = tmp_path / "template"
    sealed_factory(root, 1)
    (root / ".toyfoundry").mkdir(exist_ok=True)
    (root / ".toyfoundry" / "config.toml").write_text('factory = "factory"\n')
    return root


@pytest.mark.slow  # 6 crashed and 6 recovering pushes
@pytest.mark.parametrize("step", ["write", "replace"])
def test_folder_hub_push_survives_a_kill_at_every_write(
    template: Path, tmp_path: Path, step: str
) -> None:
    total = crash_and_recover(
        template, tmp_path, step=step, pattern="", args=("push",), hub_files=folder_hub_files
    )
    # ledger digest cache, the gate's index basis and its Merkle levels, ack and report (the
    # directive is the hub's own), notification, receipt, exchange log (the gate push runs is
    # looked at, not recorded)
    assert total == 8


def git_hub_files(root: Path) -> dict[str, bytes]:
    """The files on the main branch of the bare hub ``root/hub.git``."""
    hub = root / "hub.git"
    listing = subprocess.run(
        ["git", f"--git-dir={hub}", "ls-tree", "-r", "main"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    out = {}
    for line in listing.splitlines():
        meta, path = line.split("\t")
        out[path] = subprocess.run(
            ["git", f"--git-dir={hub}", "cat-file", "blob", meta.split()[2]],
            capture_output=True,
            check=True,
        ).stdout
    return out


@pytest.mark.slow  # two sweeps of crashed and recovering pushes
def test_git_hub_push_survives_a_kill_at_every_git_command_and_write(
    template: Path, tmp_path: Path
) -> None:
    bare = bare_hub(tmp_path / "high-command", ["ALFA-2027-0001"])
    shutil.move(bare, template / "hub.git")
    args = ("push", "--hub", "./hub.git")

    git_steps = crash_and_recover(
        template, tmp_path / "git", step="git", pattern=r"--git-dir=\S*hub-git-", args=args,
        hub_files=git_hub_files,
    )  # fmt: skip
    writes = crash_and_recover(
        template, tmp_path / "write", step="write", pattern="", args=args, hub_files=git_hub_files
    )

    assert git_steps == 7  # ls-remote, fetch, rev-parse, ls-tree, fast-import, rev-parse, push
    assert writes == 4  # ledger digest cache, the gate's index basis and levels, exchange log


@pytest.fixture
def gh(github_server: GitHubServer, monkeypatch: pytest.MonkeyPatch) -> GitHubServer:
    monkeypatch.setenv("TOYFOUNDRY_GITHUB_API_URL", github_server.url)
    monkeypatch.setenv("TOYFOUNDRY_HUB_TOKEN", github_server.token)
    monkeypatch.setenv("TOYFOUNDRY_GITHUB_BACKOFF", "0.01")
    return github_server


@pytest.mark.slow  # a crashed and a recovering push per request
def test_github_hub_push_survives_a_kill_at_every_request(
    template: Path, tmp_path: Path, gh: GitHubServer
) -> None:
    """Each case starts from a fresh hub repository (the cases run one after the other)."""
    (template / ".toyfoundry" / "config.toml").write_text(
        f'factory = "factory"\nhub = "{GITHUB}"\n'
    )

    def fresh(_root: Path) -> None:
        gh.add_repo("high-command/hub", files={"README.md": b"hub\n", **issued(1, 1)})

    def files(_root: Path) -> dict[str, bytes]:
        return gh.files_at(gh.repos["high-command/hub"], "main")

    def one_issue(_root: Path, nth: int) -> None:
        titles = [i["title"] for i in gh.repos["high-command/hub"].issues.values()]
        assert len(titles) == 1, f"killed before request {nth}: issues {titles}"

    total = crash_and_recover(
        template, tmp_path, step="http", pattern="", args=("push",), hub_files=files,
        fresh=fresh, after=one_issue,
    )  # fmt: skip

    assert total >= 6  # ref, commit, tree, create tree, create commit, move ref, issue
