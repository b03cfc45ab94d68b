"""Regenerate, never merge: the index lags on pull-request branches, verifiably.

Only serialized writers write ``exchange/ledger/index.json`` (``ledger index``, the intake run,
work on the default branch). Elsewhere it lags, and readiness and ``ledger verify`` say by how
much; an index that was edited rather than regenerated still fails.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import git, init_repo, run_cli
from tests.exchange_kit import put_directives
from tests.ledger_helpers import sign_off_locally
from toyfoundry_ci.base.git import default_branch
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.foundry.ledger import catch_up_entries
from toyfoundry_ci.ledger import index as ledger_index
from toyfoundry_ci.ledger.index import fresh_index, render_index

INDEX = "exchange/ledger/index.json"
CATCH_UP = "brought current by the next intake PR or `toyfoundry ledger index`"


def cli(repo: Path, *args: str, code: int = 0) -> str:
    proc = run_cli(*args, cwd=repo)
    assert proc.returncode == code, f"{args}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout + proc.stderr


def index_check(repo: Path) -> dict[str, str]:
    out = run_cli("readiness", "--no-log", "--format", "json", cwd=repo).stdout
    [check] = [c for c in json.loads(out)["checks"] if c["id"] == "ledger-index"]
    return {"status": check["status"], "message": check["message"]}


@pytest.fixture
def local(factory: Path) -> Path:
    """The sample factory, signing off locally: its three entries wait for sign-off."""
    sign_off_locally(factory)
    return factory


def test_a_seal_on_a_branch_leaves_the_index_to_lag_and_readiness_says_so(local: Path) -> None:
    before = (local / INDEX).read_bytes()
    git(local, "checkout", "-q", "-b", "seal-0001")
    cli(local, "signoff", "ALFA-2026-0001", "--reviewer", "Quality Lead")
    assert (local / INDEX).read_bytes() == before
    git(local, "commit", "-qam", "Seal ALFA-2026-0001")
    written = git(local, "log", "-1", "--format=%h", "--abbrev=12", "--", INDEX).strip()

    said = index_check(local)
    assert said["status"] == "pass"
    assert said["message"] == f"index behind by 1 entry (changed since {written}): {CATCH_UP}"
    assert f"note: {said['message']}" in cli(local, "ledger", "verify")
    # An explicit rebuild is a serialized writer's act: the person chose it.
    assert cli(local, "ledger", "index") == f"wrote {INDEX}\n"
    assert index_check(local)["message"].startswith("index current")


def test_on_the_default_branch_a_seal_keeps_the_index_current(local: Path) -> None:
    cli(local, "signoff", "ALFA-2026-0002", "--reviewer", "Quality Lead")
    assert '"state": "sealed"' in (local / INDEX).read_text()
    assert index_check(local)["message"].startswith("index current")
    assert cli(local, "ledger", "verify") == "ok: ledger verified\n"


def test_the_hook_form_writes_on_the_default_branch_only(local: Path) -> None:
    git(local, "checkout", "-q", "-b", "topic")
    cli(local, "signoff", "ALFA-2026-0003", "--reviewer", "Quality Lead")
    before = (local / INDEX).read_bytes()
    said = cli(local, "ledger", "index", "--default-branch-only")  # the hook's call, as is
    assert said == f"not the default branch: the index is left to lag ({CATCH_UP})\n"
    assert cli(local, "ledger", "index", "--root", str(local), "--default-branch-only") == said
    assert (local / INDEX).read_bytes() == before
    git(local, "commit", "-qam", "Seal ALFA-2026-0003")
    git(local, "checkout", "-q", "main")
    git(local, "merge", "-q", "topic")
    assert cli(local, "ledger", "index", "--default-branch-only") == f"wrote {INDEX}\n"


def test_a_row_no_commit_held_is_a_forged_index(factory: Path) -> None:
    doc = json.loads((factory / INDEX).read_text())
    doc["entries"][0]["state"] = "sealed"  # the entry is pending, and always was
    (factory / INDEX).write_bytes(render_index(doc["entries"]))  # count and root agree
    out = cli(factory, "ledger", "verify", code=1)
    assert (
        f"{INDEX}::$.entries[0]: ALFA-2026-0001: a row no commit of"
        " exchange/ledger/entries/ALFA-2026-0001.json ever held (edited, not regenerated)"
    ) in out
    assert index_check(factory)["status"] == "fail"


def test_a_count_or_root_that_does_not_match_the_rows_is_a_forged_index(factory: Path) -> None:
    text = (factory / INDEX).read_text()
    (factory / INDEX).write_text(text.replace('"count": 3', '"count": 4'))
    out = cli(factory, "ledger", "verify", code=1)
    assert "its count, root or layout do not match its own rows" in out
    assert index_check(factory)["status"] == "fail"


def test_the_default_branch_is_the_origins_head_else_init_default_branch_else_main(
    tmp_path: Path,
) -> None:
    origin = tmp_path / "origin.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "trunk", str(origin))
    seed = init_repo(tmp_path / "seed")
    git(seed, "commit", "-q", "--allow-empty", "-m", "start")
    git(seed, "push", "-q", str(origin), "main:trunk")
    git(tmp_path, "clone", "-q", str(origin), "clone")
    assert default_branch(tmp_path / "clone") == "trunk"
    assert default_branch(seed) == "main"
    git(seed, "config", "init.defaultBranch", "production")
    assert default_branch(seed) == "production"


def test_a_pull_that_finds_nothing_new_leaves_the_tree_clean(factory: Path, tmp_path: Path) -> None:
    hub = tmp_path / "hub"
    put_directives(hub, ["ALFA-2027-0001"])
    cli(factory, "pull", "--hub", str(hub))
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "Pull ALFA-2027-0001")
    assert "nothing new" in cli(factory, "pull", "--hub", str(hub))
    assert git(factory, "status", "--porcelain") == ""


def test_the_first_seal_on_main_after_merges_brings_the_whole_lag_current(local: Path) -> None:
    # Two branches each seal an order and leave the index alone; both merge into main.
    for order in ("ALFA-2026-0001", "ALFA-2026-0002"):
        git(local, "checkout", "-q", "-b", f"seal-{order}", "main")
        cli(local, "signoff", order, "--reviewer", "Quality Lead")
        git(local, "commit", "-qam", f"Seal {order}")
        git(local, "checkout", "-q", "main")
        git(local, "merge", "-q", "--no-ff", "-m", f"Merge {order}", f"seal-{order}")
    assert index_check(local)["message"].startswith("index behind by 2 entries")

    # The next work on main writes its own row and the rows the merges left behind, so the
    # commit hook (a full rebuild) has nothing left to change.
    cli(local, "signoff", "ALFA-2026-0003", "--reviewer", "Quality Lead")
    assert index_check(local)["message"].startswith("index current")
    assert cli(local, "ledger", "index", "--check") == "ok: index is current\n"


def test_the_hook_form_on_main_splices_what_changed_since_the_index_was_written(
    local: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One entry staged after merges: its row and the merges' rows are spliced in, and no
    other entry is read (the whole-index rebuild is never asked for)."""
    git(local, "checkout", "-q", "-b", "seal-0001")
    cli(local, "signoff", "ALFA-2026-0001", "--reviewer", "Quality Lead")
    git(local, "commit", "-qam", "Seal ALFA-2026-0001")
    git(local, "checkout", "-q", "main")
    git(local, "merge", "-q", "--no-ff", "-m", "Merge seal-0001", "seal-0001")
    entry = local / "exchange/ledger/entries/ALFA-2026-0002.json"
    doc = json.loads(entry.read_bytes())
    doc["signoff"]["state"] = "sealed"
    entry.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    git(local, "add", "-A")

    def no_rebuild(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("the whole index was rebuilt")

    monkeypatch.setattr(ledger_index, "rebuild_index", no_rebuild)
    monkeypatch.setattr(ledger_index, "index_rows", no_rebuild)
    assert catch_up_entries(Layout(local))  # what `ledger index --default-branch-only` runs
    monkeypatch.undo()
    assert (local / INDEX).read_bytes() == fresh_index(Layout(local))
    said = cli(local, "ledger", "index", "--default-branch-only")
    assert said == "index already current; nothing written\n"


def test_the_hook_form_without_a_commit_of_the_index_rebuilds_it(factory: Path) -> None:
    git(factory, "rm", "-q", "--cached", INDEX)
    git(factory, "commit", "-qm", "Untrack the index")
    (factory / INDEX).unlink()
    assert cli(factory, "ledger", "index", "--default-branch-only") == f"wrote {INDEX}\n"
    assert (factory / INDEX).read_bytes() == fresh_index(Layout(factory))


def _forged_row(repo: Path) -> str:
    doc = json.loads((repo / INDEX).read_text())
    doc["entries"][1]["state"] = "sealed"  # pending, and always was
    (repo / INDEX).write_bytes(render_index(doc["entries"]))
    return "$.entries[1]: ALFA-2026-0002: a row no commit of"


def _forged_count(repo: Path) -> str:
    text = (repo / INDEX).read_text()
    (repo / INDEX).write_text(text.replace('"count": 3', '"count": 4'))
    return "its count, root or layout do not match its own rows"


def _forged_root(repo: Path) -> str:
    doc = json.loads((repo / INDEX).read_text())
    text = (repo / INDEX).read_text()
    (repo / INDEX).write_text(text.replace(doc["root"]["sha256"], "0" * 64))
    return "its count, root or layout do not match its own rows"


@pytest.mark.parametrize("forge", [_forged_row, _forged_count, _forged_root])
def test_a_hand_edit_after_a_lagging_commit_is_caught_by_the_incremental_check(
    local: Path, forge: object
) -> None:
    """The verdicts before were reached incrementally (a store, a one-entry commit); an
    index edited by hand is still a failure, named as a full rebuild names it."""
    git(local, "checkout", "-q", "-b", "seal-0003")
    assert index_check(local)["message"].startswith("index current")
    cli(local, "signoff", "ALFA-2026-0003", "--reviewer", "Quality Lead")
    git(local, "commit", "-qam", "Seal ALFA-2026-0003")
    assert index_check(local)["message"].startswith("index behind by 1 entry")
    assert callable(forge)
    expected = forge(local)
    out = run_cli("readiness", "--no-log", "--format", "json", cwd=local).stdout
    [check] = [c for c in json.loads(out)["checks"] if c["id"] == "ledger-index"]
    assert check["status"] == "fail"
    assert any(expected in line for line in check["details"]), check
    full = run_cli("readiness", "--no-log", "--full", "--format", "json", cwd=local).stdout
    assert [c for c in json.loads(full)["checks"] if c["id"] == "ledger-index"] == [check]
