"""Incremental readiness: a run recomputes what git says changed and says what a full run says.

Real git repositories, real edits: random sequences of edits, additions, deletions, renames,
mode changes, commits and branch switches, and after each the incremental verdict (the store
carried from run to run) equals the verdict of every unit computed afresh. Commit-hook runs
(``--staged``: only the index's changes asked of git) are interleaved with the others, on the
work tree pre-commit leaves (tracked files as staged), and say the same.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import git, make_factory, run_cli
from toyfoundry_ci.base.errors import ToyfoundryError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.readiness import artifacts, trace
from toyfoundry_ci.readiness import changes as feeds
from toyfoundry_ci.readiness.changes import index_changes
from toyfoundry_ci.readiness.checks import Check
from toyfoundry_ci.readiness.incremental import checked_in_full, store_path, unit_checks
from toyfoundry_ci.readiness.store import UnitStore
from toyfoundry_ci.readiness.units import Unit
from toyfoundry_ci.validation.checker import FileResult

# The folders whose files the unit checks read, and where the operations act.
WATCHED = (
    "exchange/orders",
    "exchange/acknowledgements",
    "exchange/reports",
    "exchange/ledger/entries",
    "exchange/ledger",
    "planning/storyboard",
    ".toyfoundry/telemetry/quilt/exports",
    "outbox/orders",
)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_factory(tmp_path_factory.mktemp("template") / "factory")


@pytest.fixture
def copy(template: Path) -> Iterator[Path]:
    with tempfile.TemporaryDirectory() as tmp:
        yield _copy(template, Path(tmp))


def _copy(template: Path, into: Path) -> Path:
    repo = into / "factory"
    shutil.copytree(template, repo, symlinks=True)
    git(repo, "update-index", "-q", "--really-refresh")  # a copy changes every file's stat
    return repo


def outcome(run: Callable[[Layout], list[Check]], layout: Layout) -> list[tuple[object, ...]]:
    """The checks as a user sees them; a refusal (an entry the index cannot read) is one too."""
    try:
        checks = run(layout)
    except ToyfoundryError as exc:
        return [("refused", str(exc))]
    return [(c.id, c.status, c.message, c.fix, c.details) for c in checks]


def files(repo: Path) -> list[str]:
    found = []
    for folder in WATCHED:
        base = repo / folder
        if base.is_dir():
            found += sorted(p.relative_to(repo).as_posix() for p in base.iterdir() if p.is_file())
    return found


# -- the operations ---------------------------------------------------------------------


def edit(repo: Path, rel: str, n: int) -> None:
    path = repo / rel
    data = bytearray(path.read_bytes())
    if n % 3 == 0:
        data += b"\n"
    elif n % 3 == 1 and data:
        data[n % len(data)] = ord("7") if data[n % len(data)] != ord("7") else ord("8")
    else:
        data = bytearray(b"{not json")
    path.write_bytes(bytes(data))


def edit_keeping_stat(repo: Path, rel: str, n: int) -> None:
    """Same size, same mtime: only git's object ID (and the ctime) tells."""
    path = repo / rel
    info = path.stat()
    data = bytearray(path.read_bytes())
    if not data:
        return
    at = n % len(data)
    data[at] = ord("x") if data[at] != ord("x") else ord("y")
    path.write_bytes(bytes(data))
    os.utime(path, ns=(info.st_atime_ns, info.st_mtime_ns))


def add(repo: Path, rel: str, n: int) -> None:
    path = repo / rel
    stem = path.name.split(".", 1)[0]
    new = path.with_name(path.name.replace(stem, stem[:-1] + str(n % 10), 1))
    if new == path:
        new = path.with_name("ALFA-2026-0099" + path.suffix)
    shutil.copy2(path, new)


def delete(repo: Path, rel: str, _n: int) -> None:
    (repo / rel).unlink()


def rename(repo: Path, rel: str, n: int) -> None:
    path = repo / rel
    folder = repo / WATCHED[n % len(WATCHED)]
    folder.mkdir(parents=True, exist_ok=True)
    path.rename(folder / path.name)


def chmod(repo: Path, rel: str, _n: int) -> None:
    path = repo / rel
    path.chmod(path.stat().st_mode ^ 0o111)


def stage(repo: Path, _rel: str, _n: int) -> None:
    git(repo, "add", "-A")


def commit(repo: Path, _rel: str, n: int) -> None:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "--allow-empty", "-m", f"step {n}")


def switch(repo: Path, _rel: str, n: int) -> None:
    """Commit what is there on a branch, then switch to another (or back to main)."""
    commit(repo, _rel, n)
    if n % 2:
        git(repo, "checkout", "-q", "main")
    else:  # a branch from the first commit: the work tree goes back to the sample
        first = git(repo, "rev-list", "--max-parents=0", "main").split()[0]
        git(repo, "checkout", "-q", "-B", f"side-{n % 3}", first)


OPERATIONS = (edit, edit_keeping_stat, add, delete, rename, chmod, stage, commit, switch)
step = st.tuples(st.sampled_from(OPERATIONS), st.integers(0, 10_000), st.integers(0, 10_000))
steps = st.lists(step, min_size=1, max_size=6)
# Each step also says which run follows it: plain, or a hook's after `git add -A` or `-u`.
hook_steps = st.lists(st.tuples(step, st.integers(0, 2)), min_size=1, max_size=6)


@settings(max_examples=12)
@given(steps=steps)
def test_incremental_verdict_equals_full_after_any_changes(
    template: Path, steps: list[tuple[object, int, int]]
) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = _copy(template, Path(tmp))
        layout = Layout(repo)
        assert outcome(unit_checks, layout) == outcome(checked_in_full, layout)
        for operation, pick, n in steps:
            names = files(repo)
            assert callable(operation)
            operation(repo, names[pick % len(names)] if names else "", n)
            incremental = outcome(unit_checks, layout)
            assert incremental == outcome(checked_in_full, layout), operation


def staged_checks(layout: Layout) -> list[Check]:
    """The unit checks of a commit hook's run (``readiness --staged``)."""
    return unit_checks(layout, staged=index_changes(layout.root))


def _walks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the walks of the work tree (``work_tree_feed``) from now on."""
    walks: list[int] = []
    real = feeds.work_tree_feed

    def counting(*args: object, **kwargs: object) -> feeds.Feed:
        walks.append(1)
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr("toyfoundry_ci.readiness.incremental.work_tree_feed", counting)
    return walks


@settings(max_examples=12)
@given(steps=hook_steps)
def test_staged_runs_between_the_others_say_what_a_full_run_says(
    template: Path, steps: list[tuple[tuple[object, int, int], int]]
) -> None:
    """After each change: a plain run; or everything staged (``git add -A``) and a hook's
    run; or a plain run, the tracked changes staged (``git add -u``: untracked files stay, as
    the plain run saw them) and a hook's run. Each says what a full run of that state says,
    and the store stays one the next run of either kind can use."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = _copy(template, Path(tmp))
        layout = Layout(repo)
        assert outcome(unit_checks, layout) == outcome(checked_in_full, layout)
        for (operation, pick, n), mode in steps:
            names = files(repo)
            assert callable(operation)
            operation(repo, names[pick % len(names)] if names else "", n)
            if mode == 1:
                git(repo, "add", "-A")
            elif mode == 2:
                assert outcome(unit_checks, layout) == outcome(checked_in_full, layout)
                git(repo, "add", "-u")
            run = unit_checks if mode == 0 else staged_checks
            assert outcome(run, layout) == outcome(checked_in_full, layout), (operation, mode)


def test_a_hook_run_asks_git_only_what_the_index_changes(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = Layout(copy)
    unit_checks(layout)  # the store: a hook's run never fills one from nothing
    walks = _walks(monkeypatch)
    edit(copy, "exchange/reports/RPT-ALFA-2026-0002.json", 0)
    git(copy, "add", "-A")
    assert outcome(staged_checks, layout) == outcome(checked_in_full, layout)
    assert walks == []


def test_a_staged_file_edited_again_has_the_work_tree_walked(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """By hand, with an unstaged edit to a staged file, the verdict is the work tree's."""
    layout = Layout(copy)
    unit_checks(layout)
    edit(copy, "exchange/reports/RPT-ALFA-2026-0002.json", 0)
    git(copy, "add", "-A")
    edit(copy, "exchange/reports/RPT-ALFA-2026-0002.json", 2)  # not JSON, and not staged
    walks = _walks(monkeypatch)
    checks = outcome(staged_checks, layout)
    assert walks == [1]
    assert checks == outcome(checked_in_full, layout)
    assert outcome(unit_checks, layout) == checks


def test_an_untracked_file_a_hook_run_read_is_looked_at_again(copy: Path) -> None:
    """A file git does not track, first read by a hook's run: its removal is seen next run.

    The hook's run hashes nothing it was not asked about; the report it read is stored as not
    known, so the next run computes the entry that cites it again.
    """
    layout = Layout(copy)
    report = "exchange/reports/RPT-ALFA-2026-0002.json"
    unit_checks(layout)
    git(copy, "rm", "-q", "--cached", report)
    git(copy, "commit", "-qm", "untrack a report")  # it stays on disk, untracked
    edit(copy, "exchange/ledger/entries/ALFA-2026-0002.json", 0)
    git(copy, "add", "-u")
    assert outcome(staged_checks, layout) == outcome(checked_in_full, layout)
    (copy / report).unlink()
    assert outcome(unit_checks, layout) == outcome(checked_in_full, layout)


def test_a_new_untracked_artifact_waits_for_the_next_plain_run(copy: Path) -> None:
    """What a commit will not record is not looked for by its hook; the next run sees it."""
    layout = Layout(copy)
    unit_checks(layout)
    (copy / "exchange/orders/ALFA-2026-0101.json").write_text("{not json")  # untracked
    hook = {c.id: c for c in staged_checks(layout)}
    assert not hook["artifacts-valid"].failed
    assert outcome(unit_checks, layout) == outcome(checked_in_full, layout)
    assert {c.id: c for c in unit_checks(layout)}["artifacts-valid"].failed


def test_a_change_with_size_and_mtime_restored_is_still_seen(copy: Path) -> None:
    first = run_cli("readiness", "--format", "json", cwd=copy)
    assert first.returncode == 0, first.stdout + first.stderr
    edit_keeping_stat(copy, "exchange/orders/ALFA-2026-0001.json", 200)

    proc = run_cli("readiness", "--format", "json", cwd=copy)
    checks = {c["id"]: c for c in json.loads(proc.stdout)["checks"]}
    assert proc.returncode == 1
    assert checks["ledger-evidence"]["status"] == "fail"
    assert any(
        "ALFA-2026-0001.json: sha256 differs" in d for d in checks["ledger-evidence"]["details"]
    )


def test_the_store_lives_under_the_git_directory_and_full_rechecks(copy: Path) -> None:
    proc = run_cli("readiness", cwd=copy)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    store = store_path(Layout(copy))
    assert store.is_file()
    assert (copy / ".git") in store.parents
    assert git(copy, "status", "--porcelain", "--ignored") == ""

    full = run_cli("readiness", "--full", "--format", "json", cwd=copy)
    again = run_cli("readiness", "--format", "json", cwd=copy)
    assert json.loads(full.stdout)["checks"] == json.loads(again.stdout)["checks"]


def _tamper_totals(store: Path) -> None:
    """Claim there are no artifacts at all, keeping the row's old seal."""
    db = sqlite3.connect(store)
    (value,) = db.execute("SELECT value FROM meta WHERE name = 'totals'").fetchone()
    totals = json.loads(value)
    totals["artifacts-valid"] = [0, 0, 0]
    db.execute("UPDATE meta SET value = ? WHERE name = 'totals'", (json.dumps(totals),))
    db.commit()
    db.close()


def _tamper_key(store: Path) -> None:
    """A store another version wrote, well sealed under its own key, claiming no artifacts."""
    db = sqlite3.connect(store)
    rows = db.execute("SELECT name, value FROM meta").fetchall()
    db.close()
    meta = {name: json.loads(value) for name, value in rows if name != "key"}
    meta["totals"]["artifacts-valid"] = [0, 0, 0]
    with UnitStore.opened(store, {"tool": "another version"}) as other:
        other.clear()
        for name, value in meta.items():
            other.set_meta(name, value)


def _garble(store: Path) -> None:
    store.write_bytes(b"SQLite format 3\x00" + os.urandom(2048))


@pytest.mark.parametrize("tamper", [_tamper_totals, _tamper_key, _garble])
def test_a_tampered_store_is_detected_and_rebuilt(copy: Path, tamper: object) -> None:
    clean = run_cli("readiness", "--format", "json", cwd=copy)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    store = store_path(Layout(copy))
    assert callable(tamper)
    tamper(store)

    proc = run_cli("readiness", "--format", "json", cwd=copy)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["checks"] == json.loads(clean.stdout)["checks"]
    db = sqlite3.connect(store)
    assert db.execute("SELECT COUNT(*) FROM units").fetchone()[0] > 0  # written anew
    db.close()


def test_one_edit_recomputes_only_the_units_it_decides(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a commit pays for: the changed file's units, not every artifact and entry."""
    layout = Layout(copy)
    unit_checks(layout)
    validated: list[str] = []
    entries: list[str] = []
    real_check_files = artifacts.check_files
    real_entry_unit = trace._entry_unit

    def counting_check_files(paths: Iterable[str]) -> list[FileResult]:
        paths = list(paths)
        validated.extend(paths)
        return real_check_files(paths)

    def counting_entry_unit(layout: Layout, name: str) -> Unit | None:
        entries.append(name)
        return real_entry_unit(layout, name)

    monkeypatch.setattr(artifacts, "check_files", counting_check_files)
    monkeypatch.setattr(trace, "_entry_unit", counting_entry_unit)
    unit_checks(layout)
    assert (validated, entries) == ([], [])

    edit(copy, "exchange/reports/RPT-ALFA-2026-0002.json", 0)
    checks = {c.id: c for c in unit_checks(layout)}
    assert [Path(p).name for p in validated] == ["RPT-ALFA-2026-0002.json"]
    assert entries == ["ALFA-2026-0002.json"]  # the one entry that cites the report
    assert checks["ledger-evidence"].failed
