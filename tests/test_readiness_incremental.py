"""Incremental readiness: a run recomputes what git says changed and says what a full run says.

Real git repositories, real edits: random sequences of edits, additions, deletions, renames,
mode changes, commits and branch switches, and after each the incremental verdict (the store
carried from run to run) equals the verdict of every unit computed afresh. Commit-hook runs
(``--staged``: only the index's changes asked of git) are interleaved with the others, on the
work tree pre-commit leaves (tracked files as staged), and say the same.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import sqlite3
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import git, make_factory, run_cli
from toyfoundry_ci.base.cachedir import cache_root
from toyfoundry_ci.base.errors import ToyfoundryError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger import lag
from toyfoundry_ci.ledger.digest_cache import cache_dir
from toyfoundry_ci.ledger.index import rebuild_index, render_index, update_index
from toyfoundry_ci.ledger.lag import index_state
from toyfoundry_ci.readiness import artifacts, incremental, indexbasis, trace
from toyfoundry_ci.readiness import changes as feeds
from toyfoundry_ci.readiness.changes import index_changes
from toyfoundry_ci.readiness.checks import Check
from toyfoundry_ci.readiness.incremental import (
    checked_in_full,
    store_key,
    store_path,
    unit_checks,
)
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


def afresh(layout: Layout) -> list[Check]:
    """Every check computed now, trusting no file's stat (the digest cache would trust a
    stat put back; git's change feed does not)."""
    shutil.rmtree(cache_dir(layout), ignore_errors=True)
    return checked_in_full(layout)


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
        assert outcome(unit_checks, layout) == outcome(afresh, layout)
        for operation, pick, n in steps:
            names = files(repo)
            assert callable(operation)
            operation(repo, names[pick % len(names)] if names else "", n)
            incremental = outcome(unit_checks, layout)
            assert incremental == outcome(afresh, layout), operation


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
        assert outcome(unit_checks, layout) == outcome(afresh, layout)
        for (operation, pick, n), mode in steps:
            names = files(repo)
            assert callable(operation)
            operation(repo, names[pick % len(names)] if names else "", n)
            if mode == 1:
                git(repo, "add", "-A")
            elif mode == 2:
                assert outcome(unit_checks, layout) == outcome(afresh, layout)
                git(repo, "add", "-u")
            run = unit_checks if mode == 0 else staged_checks
            assert outcome(run, layout) == outcome(afresh, layout), (operation, mode)


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


def test_a_staged_file_edited_with_its_stat_kept_in_the_second_git_recorded_it(
    copy: Path,
) -> None:
    """git vouches for a staged entry by its stat; an edit that keeps the size and puts back
    an old mtime, in the second the entry was recorded, fools that stat (git compares
    whole-second ctimes), so the entry is read again."""
    layout = Layout(copy)
    unit_checks(layout)
    add(copy, "exchange/orders/ALFA-2026-0001.json", 0)  # a copy keeping the old mtime
    git(copy, "add", "-A")
    assert outcome(staged_checks, layout) == outcome(afresh, layout)
    edit_keeping_stat(copy, "exchange/orders/ALFA-2026-0000.json", 0)  # not JSON now

    incremental = outcome(unit_checks, layout)
    assert incremental == outcome(afresh, layout)
    assert incremental[0][1] == "fail", incremental[0]


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


# -- the ledger index: reached from the last verdict and the changed entries ---------------

INDEX = "exchange/ledger/index.json"
ENTRY_FOLDER = "exchange/ledger/entries"


def _entries(repo: Path) -> list[Path]:
    return sorted((repo / ENTRY_FOLDER).glob("*.json"))


def _pick(repo: Path, pick: int) -> Path | None:
    found = _entries(repo)
    return found[pick % len(found)] if found else None


def _picked_entry(repo: Path, pick: int) -> tuple[Path, dict[str, Any]] | None:
    """An entry file and its value, when it is a ledger entry's shape."""
    path = _pick(repo, pick)
    try:
        doc = json.loads(path.read_bytes()) if path is not None else None
    except ValueError:
        return None
    ok = isinstance(doc, dict) and isinstance(doc.get("signoff"), dict)
    return (path, doc) if path is not None and ok else None


def seal_entry(repo: Path, pick: int, _n: int) -> None:
    """Flip an entry between pending and sealed (what the index row records)."""
    if (found := _picked_entry(repo, pick)) is not None:
        path, doc = found
        pending = doc["signoff"].get("state") == "pending"
        doc["signoff"]["state"] = "sealed" if pending else "pending"
        path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")


def add_entry(repo: Path, pick: int, n: int) -> None:
    if (found := _picked_entry(repo, pick)) is not None:
        path, doc = found
        doc["order_id"] = f"ALFA-2026-{10 + n % 80:04d}"
        (path.parent / f"{doc['order_id']}.json").write_text(json.dumps(doc), encoding="utf-8")


def remove_entry(repo: Path, pick: int, _n: int) -> None:
    path = _pick(repo, pick)
    if path is not None:
        path.unlink()


def break_entry(repo: Path, pick: int, n: int) -> None:
    path = _pick(repo, pick)
    if path is not None:
        path.write_bytes(b"{not json" if n % 2 else b'{"order_id": "ALFA-2026-0001"}')


def regenerate(repo: Path, _pick: int, _n: int) -> None:
    with contextlib.suppress(ToyfoundryError):
        rebuild_index(Layout(repo))


def splice_one(repo: Path, pick: int, _n: int) -> None:
    """Bring one row current, as ``ledger index ENTRY`` does."""
    path = _pick(repo, pick)
    if path is not None:
        with contextlib.suppress(ToyfoundryError):
            update_index(Layout(repo), [path])


def _index_doc(repo: Path) -> dict[str, Any] | None:
    try:
        doc = json.loads((repo / INDEX).read_bytes())
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) and doc.get("entries") else None


def forge_row(repo: Path, pick: int, n: int) -> None:
    """A row no commit held, with a count and root that agree with the rows."""
    doc = _index_doc(repo)
    if doc is None:
        return
    row = doc["entries"][pick % len(doc["entries"])]
    if n % 2:
        row["state"] = "sealed" if row["state"] == "pending" else "pending"
    else:
        row["digest"]["sha256"] = f"{n:064x}"
    (repo / INDEX).write_bytes(render_index(doc["entries"]))


def forge_count(repo: Path, _pick: int, n: int) -> None:
    doc = _index_doc(repo)
    if doc is not None:
        text = (repo / INDEX).read_text(encoding="utf-8")
        count = f'"count": {doc["count"]}'
        (repo / INDEX).write_text(text.replace(count, f'"count": {doc["count"] + 1 + n % 3}'))


def remove_index(repo: Path, _pick: int, _n: int) -> None:
    (repo / INDEX).unlink(missing_ok=True)


def branch_back(repo: Path, _pick: int, n: int) -> None:
    """Commit, then go to a branch from the commit before (or back to main)."""
    commit(repo, "", n)
    if n % 2:
        git(repo, "checkout", "-q", "main")
    else:
        git(repo, "checkout", "-q", "-B", f"back-{n % 3}", "HEAD~1")


INDEX_OPERATIONS = (
    seal_entry, add_entry, remove_entry, break_entry, regenerate, splice_one,
    forge_row, forge_count, remove_index, edit_keeping_stat, commit, commit, branch_back,
)  # fmt: skip
index_steps = st.lists(
    st.tuples(st.sampled_from(INDEX_OPERATIONS), st.integers(0, 10_000), st.integers(0, 10_000)),
    min_size=1,
    max_size=8,
)


def index_outcome(layout: Layout) -> tuple[object, ...]:
    """The ledger-index check with every row rebuilt, no file's stat trusted."""
    shutil.rmtree(cache_dir(layout), ignore_errors=True)
    check = trace.ledger_index(layout, has_entries=bool(trace.entry_keys(layout)))
    return (check.id, check.status, check.message, check.fix, check.details)


def incremental_index(layout: Layout) -> tuple[object, ...]:
    [check] = [c for c in unit_checks(layout) if c.id == trace.INDEX]
    return (check.id, check.status, check.message, check.fix, check.details)


def stored_lag(layout: Layout) -> list[str] | None:
    with UnitStore.opened(store_path(layout), store_key(layout)) as store:
        basis = store.meta(indexbasis.META)
    return None if basis is None else list(basis["lagging"])


@settings(max_examples=15, deadline=None)
@given(steps=index_steps)
def test_the_index_verdict_from_the_last_one_equals_a_full_rebuild(
    template: Path, steps: list[tuple[object, int, int]]
) -> None:
    """Random edits of entries and of the index, commits and branch moves: the verdict
    reached from the last one and the changed entries is the full ``index_state``'s, and
    so are the rows it names as lagging."""
    with tempfile.TemporaryDirectory() as tmp:
        repo = _copy(template, Path(tmp))
        layout = Layout(repo)
        assert incremental_index(layout) == index_outcome(layout)
        for operation, pick, n in steps:
            assert callable(operation)
            if operation is edit_keeping_stat:
                entry = _pick(repo, pick)
                if entry is None:
                    continue
                operation(repo, entry.relative_to(repo).as_posix(), n)
            else:
                operation(repo, pick, n)
            said = incremental_index(layout)
            assert said == index_outcome(layout), operation
            full = index_state(layout)
            if full.status == "behind":
                assert stored_lag(layout) == list(full.behind), operation


def test_a_one_entry_commit_rebuilds_no_row_and_asks_history_of_that_entry_only(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    layout = Layout(copy)
    git(copy, "checkout", "-q", "-b", "seal")
    unit_checks(layout)
    asked: list[list[str]] = []
    real_past_rows = lag._past_rows

    def no_rebuild(*_args: object) -> None:
        raise AssertionError("every row was rebuilt")

    def counting_past_rows(
        layout: Layout, repo: Any, rows: list[dict[str, Any]], history: str
    ) -> dict[str, list[dict[str, Any]]]:
        asked.append([row["order_id"] for row in rows])
        return real_past_rows(layout, repo, rows, history)

    monkeypatch.setattr(lag, "index_rows", no_rebuild)
    monkeypatch.setattr(lag, "_past_rows", counting_past_rows)
    seal_entry(copy, 1, 0)  # ALFA-2026-0002, pending in the index
    commit(copy, "", 1)
    [check] = [c for c in unit_checks(layout) if c.id == trace.INDEX]
    assert check.message.startswith("index behind by 1 entry"), check
    assert asked == [["ALFA-2026-0002"]]
    add_entry(copy, 0, 7)  # a new entry: no row on disk, nothing to find in history
    commit(copy, "", 2)
    [check] = [c for c in unit_checks(layout) if c.id == trace.INDEX]
    assert check.message.startswith("index behind by 2 entries"), check
    assert asked == [["ALFA-2026-0002"], []]


def _forge_expected(copy: Path) -> None:
    """A hand-edited index, and the same bytes where the store keeps the expected index."""
    forge_row(copy, 0, 1)
    folder = cache_root(copy)
    (folder / indexbasis.EXPECTED_FILE).write_bytes((copy / INDEX).read_bytes())


def _forge_expected_and_row(copy: Path) -> None:
    """As ``_forge_expected``, and the store's row names the forged bytes (its old seal)."""
    _forge_expected(copy)
    digest = hashlib.sha256((copy / INDEX).read_bytes()).hexdigest()
    store = store_path(Layout(copy))
    db = sqlite3.connect(store)
    (value,) = db.execute("SELECT value FROM meta WHERE name = ?", (indexbasis.META,)).fetchone()
    basis = json.loads(value)
    basis["expected"] = digest
    db.execute("UPDATE meta SET value = ? WHERE name = ?", (json.dumps(basis), indexbasis.META))
    db.commit()
    db.close()


@pytest.mark.parametrize("tamper", [_forge_expected, _forge_expected_and_row])
def test_a_tampered_stored_index_is_detected_and_rebuilt(copy: Path, tamper: object) -> None:
    layout = Layout(copy)
    assert incremental_index(layout)[1] == "pass"
    assert callable(tamper)
    tamper(copy)
    said = incremental_index(layout)
    assert said[1] == "fail"
    assert said == index_outcome(layout)


def _drop_path(row: dict[str, Any]) -> None:
    del row["path"]


def _path_elsewhere(row: dict[str, Any]) -> None:
    row["path"] = "--output=/tmp/x/" + row["path"].rpartition("/")[2]


def _digest_not_hex(row: dict[str, Any]) -> None:
    row["digest"]["sha256"] = "Z" * 64  # rendered with a hex root, then put in (below)


def _state_unknown(row: dict[str, Any]) -> None:
    row["state"] = "approved"


def _state_not_text(row: dict[str, Any]) -> None:
    row["state"] = ["sealed"]


@pytest.mark.parametrize(
    "reshape", [_drop_path, _path_elsewhere, _digest_not_hex, _state_unknown, _state_not_text]
)
def test_an_index_row_of_another_shape_is_a_failed_check_not_a_crash(
    copy: Path, reshape: Callable[[dict[str, Any]], None]
) -> None:
    """Anyone can edit the index: a row the tool never writes, rendered so that the count
    and root agree with the rows, is reported as an edited index with the fix, by every
    run (incremental, hook, full), never a traceback."""
    doc = _index_doc(copy)
    assert doc is not None
    was = doc["entries"][0]["digest"]["sha256"]
    reshape(doc["entries"][0])
    now = doc["entries"][0]["digest"]["sha256"]
    doc["entries"][0]["digest"]["sha256"] = was
    data = render_index(doc["entries"])
    (copy / INDEX).write_bytes(data.replace(was.encode(), now.encode(), 1))
    for args in (["readiness"], ["readiness", "--full"], ["ledger", "verify"]):
        proc = run_cli(*args, cwd=copy)
        assert proc.returncode == 1, (args, proc.stdout, proc.stderr)
        assert "Traceback" not in proc.stderr, proc.stderr
        assert "index" in proc.stdout + proc.stderr, args
    git(copy, "add", "-A")
    hook = run_cli("readiness", "--staged", "--no-log", cwd=copy)
    assert hook.returncode == 1 and "Traceback" not in hook.stderr, hook.stderr
    layout = Layout(copy)
    assert outcome(unit_checks, layout) == outcome(afresh, layout)


# -- a CI job's checkout ------------------------------------------------------------------


def _in_checkout(layout: Layout) -> list[Check]:
    return unit_checks(layout, checkout=True)


def test_a_clean_checkout_is_not_walked_and_says_what_a_full_run_says(
    copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A CI job's checkout of the commit it judges: git finds no tracked file changed, so
    the work tree is taken to be the commit's tree (at 100,000 orders the walk was 2.8 s of
    a 4.3 s `ci pr`); a file git does not track is no part of the commit judged."""
    layout = Layout(copy)
    unit_checks(layout)  # the store, as the base's job leaves it
    edit(copy, "exchange/orders/ALFA-2026-0001.json", 2)  # "{not json", committed
    git(copy, "commit", "-qam", "A broken order")
    stray = copy / "exchange/orders/ALFA-2026-0009.json"
    stray.write_text("{not json either", encoding="utf-8")  # untracked: not the commit's

    def no_walk(*_args: object) -> None:
        raise AssertionError("the work tree was walked")

    monkeypatch.setattr(feeds, "work_tree_feed", no_walk)
    monkeypatch.setattr(incremental, "work_tree_feed", no_walk)
    seen = outcome(_in_checkout, layout)
    monkeypatch.undo()
    stray.unlink()
    assert seen == outcome(afresh, layout)
    assert any(c[0] == "artifacts-valid" and c[1] == "fail" for c in seen)


@pytest.mark.parametrize("change", ["edit", "edit_keeping_stat", "staged"])
def test_a_checkout_that_is_not_the_commit_is_walked(copy: Path, change: str) -> None:
    """A tracked file that differs from the commit, even one whose size and mtime were put
    back: the work tree is walked, and the verdict is the work tree's, as without --checkout."""
    layout = Layout(copy)
    unit_checks(layout)
    rel = "exchange/orders/ALFA-2026-0002.json"
    if change == "edit_keeping_stat":
        edit_keeping_stat(copy, rel, 5)
    else:
        edit(copy, rel, 2)
        if change == "staged":
            git(copy, "add", rel)
    assert outcome(_in_checkout, layout) == outcome(afresh, layout)
    assert any(c[0] == "artifacts-valid" and c[1] == "fail" for c in outcome(afresh, layout))


def test_racy_entries_are_those_recorded_in_the_second_the_index_was_written(
    tmp_path: Path,
) -> None:
    """Read from git's index itself: an entry whose ctime is the index's second (or the one
    before) is named with its blob ID, every other one is not, nor a file that is no index."""
    git(tmp_path, "init", "-q")
    for name in ("a.json", "b.json", "c.json"):
        (tmp_path / name).write_text(f'{{"name": "{name}"}}\n', encoding="utf-8")
    git(tmp_path, "add", "-A")
    index = tmp_path / ".git" / "index"
    blobs = {
        line.split("\t")[1]: line.split()[1]
        for line in git(tmp_path, "ls-files", "-s").splitlines()
    }
    ctimes = {name: int((tmp_path / name).stat().st_ctime) for name in blobs}
    for written in (max(ctimes.values()), max(ctimes.values()) + 1):
        os.utime(index, (written, written))  # the index's second, and the one after
        expected = {n: b for n, b in blobs.items() if ctimes[n] in (written - 1, written)}
        assert expected and feeds.racy_entries(index) == expected
    ctime = max(ctimes.values())
    os.utime(index, (ctime + 10, ctime + 10))
    assert feeds.racy_entries(index) == {}
    index.write_bytes(b"")
    assert feeds.racy_entries(index) == {}
    assert feeds.racy_entries(tmp_path / "none") == {}
