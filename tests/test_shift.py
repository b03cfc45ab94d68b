"""`toyfoundry shift --demo` end to end on the embedded hub of its scratch factory, twice."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import committed, git, logged_runs, run_cli


@pytest.mark.slow
def test_demo_shift_graduates_a_lot_then_finds_nothing_new(factory: Path) -> None:
    (factory / "README.md").write_text("# edited, not committed\n", encoding="utf-8")
    before = git(factory, "status", "--porcelain")
    first = run_cli("shift", "--demo", cwd=factory)

    assert first.returncode == 0, first.stdout + first.stderr
    assert "demo batch       done         3" in first.stdout
    assert "promote (push)   done         3" in first.stdout
    assert "demo factory: .toyfoundry/demo/factory" in first.stdout
    # Its stages wrote: the final gate is a gate of its own.
    assert re.search(r"^\s*final gate\s+-\s+0\s+readiness green$", first.stdout, re.M)
    # The factory it was run from is exactly as it was; the demo's copy is of the last commit.
    assert git(factory, "status", "--porcelain", "--ignored=no") == before
    assert not (factory / ".toyfoundry" / "hub").exists()
    factory = factory / ".toyfoundry" / "demo" / "factory"
    assert (factory / "README.md").read_text(encoding="utf-8") != "# edited, not committed\n"
    hub = factory / ".toyfoundry" / "hub"
    (receipt,) = (hub / "receipts").glob("*.json")
    assert len(json.loads(receipt.read_text())["items"]) == 9
    assert len(list((hub / "notifications").glob("*.json"))) == 1
    entries = [json.loads(p.read_text()) for p in (factory / "exchange/ledger/entries").glob("*")]
    demo = [e for e in entries if e["signoff"].get("method") == "demo"]
    assert len(demo) == 3
    assert all(e["signoff"]["reviewer"].startswith("Demo Reviewer") for e in demo)
    assert run_cli("validate", cwd=factory).returncode == 0

    second = run_cli("shift", "--demo", cwd=factory.parent.parent.parent)

    assert second.returncode == 0, second.stdout + second.stderr
    assert "nothing new this shift" in second.stdout
    assert len(list((hub / "receipts").glob("*.json"))) == 1
    runs = logged_runs(factory, "exchange_all")
    assert [(r["direction"], r["result"]) for r in runs][-1] == ("push", "nothing-new")
    # The second pull saw what the first saw: recording it would only dirty the tree.
    assert [r["result"] for r in runs if r["direction"] == "pull"] == ["ok"]
    # Nothing written but log records: the warm start's verdict stands, recorded once.
    assert "final gate       -            0  readiness green, as at the warm start" in second.stdout
    assert [r["verdict"] for r in logged_runs(factory, "ops_readiness")] == ["green"] * 3


def test_demo_needs_a_commit_to_copy_and_refuses_another_hub(tmp_path: Path) -> None:
    bare = tmp_path / "bare"
    assert run_cli("init", str(bare)).returncode == 0
    git(bare, "init", "-q")
    before = sorted(p.relative_to(bare) for p in bare.rglob("*") if ".git" not in p.parts)
    no_commit = run_cli("shift", "--demo", cwd=bare)
    assert no_commit.returncode == 1
    assert "has none" in no_commit.stderr and "git commit" in no_commit.stderr
    assert sorted(p.relative_to(bare) for p in bare.rglob("*") if ".git" not in p.parts) == before

    other = run_cli("shift", "--demo", "--hub", str(tmp_path / "hub"), cwd=bare)
    assert other.returncode == 1 and "drop --hub" in other.stderr


def test_a_committed_demo_folder_or_hub_link_cannot_aim_the_demo_at_real_orders(
    factory: Path, tmp_path: Path
) -> None:
    """A pull request that commits `.toyfoundry/demo/factory -> ../..` or a linked hub."""
    demo = factory / ".toyfoundry" / "demo"
    demo.mkdir(parents=True)
    (demo / "factory").symlink_to(Path("..") / "..")
    git(factory, "add", "-f", ".toyfoundry/demo")
    git(factory, "commit", "-qm", "A scratch factory of my own")
    before = git(factory, "rev-parse", "HEAD:exchange")

    refused = run_cli("shift", "--demo", cwd=factory)
    assert refused.returncode == 1, refused.stdout
    assert ".toyfoundry/demo is committed or a symbolic link" in refused.stderr
    assert "git rm -r --cached .toyfoundry/demo" in refused.stderr
    assert git(factory, "status", "--porcelain") == ""
    assert git(factory, "rev-parse", "HEAD:exchange") == before

    git(factory, "rm", "-rq", "--cached", ".toyfoundry/demo")
    shared = tmp_path / "shared-hub"
    shared.mkdir()
    (demo / "factory").unlink()
    (factory / ".toyfoundry" / "hub").symlink_to(shared)
    shutil.copy2(committed() / ".gitignore", factory / ".gitignore")  # this repository's own
    assert git(factory, "status", "--porcelain", "--", ".toyfoundry/hub") == ""  # ignored
    git(factory, "add", "-f", ".toyfoundry/hub")
    git(factory, "commit", "-qm", "Use the shared hub")
    linked = run_cli("shift", cwd=factory)
    assert linked.returncode == 1
    # The warm start's readiness refuses the committed, linked hub before any hub is opened.
    assert "readiness red: state-untracked" in linked.stderr
    said = run_cli("readiness", cwd=factory).stdout
    assert ".toyfoundry/hub: a symbolic link; writes would land where it points" in said
    pulled = run_cli("pull", cwd=factory)
    assert pulled.returncode == 1
    assert "the embedded hub is a symbolic link; refusing it" in pulled.stderr
    assert list(shared.iterdir()) == []


def test_the_demo_signs_off_only_what_demo_shifts_paraded(factory: Path) -> None:
    first = run_cli("shift", "--demo", cwd=factory)
    assert first.returncode == 0, first.stderr
    scratch = factory / ".toyfoundry" / "demo" / "factory"
    entries = [json.loads(p.read_text()) for p in (scratch / "exchange/ledger/entries").glob("*")]
    sealed = {e["order_id"] for e in entries if e["signoff"]["state"] == "sealed"}
    assert sealed == {e["order_id"] for e in entries if e["lot"].startswith("demo-shift-")}
    assert {
        e["signoff"]["state"] for e in entries if e["order_id"].startswith("ALFA-2026-000")
    } == {"pending"}


def test_a_shift_with_nothing_new_lists_the_hub_once(
    factory: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its push takes the pull's listing (and still sends what was sealed since, and knows
    what the hub holds); a shift that wrote lists the hub again to push."""
    from tests.ledger_helpers import sign_off_locally
    from tests.test_rejected_order import REJECTED, issue_unknown_sku_order
    from toyfoundry_ci.base.layout import Layout
    from toyfoundry_ci.hub.folder import FolderHub
    from toyfoundry_ci.shift import run_shift

    sign_off_locally(factory)
    issue_unknown_sku_order(factory)
    listed: list[int] = []
    listing = FolderHub.listing

    def counted(hub: FolderHub) -> object:
        found = listing(hub)
        listed.append(len(found))
        return found

    monkeypatch.setattr(FolderHub, "listing", counted)
    worked = run_shift(Layout(factory))
    assert worked.ok and not worked.nothing_new, worked.steps
    assert len(listed) == 2  # pull's, and push's after the parade wrote

    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "shift: one order rejected")
    sealed = run_cli("signoff", REJECTED, "--reviewer", "Quality Lead", cwd=factory)
    assert sealed.returncode == 0, sealed.stderr
    listed.clear()
    sends = run_shift(Layout(factory))
    assert len(listed) == 1
    push = next(s for s in sends.steps if s.name == "promote (push)")
    assert push.status == "done" and push.count == 1, sends.steps
    assert (factory / f".toyfoundry/hub/acknowledgements/ACK-{REJECTED}.json").is_file()

    listed.clear()
    quiet = run_shift(Layout(factory))
    assert quiet.nothing_new, quiet.steps
    assert len(listed) == 1
    push = next(s for s in quiet.steps if s.name == "promote (push)")
    assert push.detail == "nothing sealed to send; 1 already on the hub", push.detail
