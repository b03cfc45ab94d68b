"""Journey: from `toyfoundry init`, as the README walks it, to a pushed lot and a local merge.

A person with the Quick start's clone (its venv never on PATH) scaffolds a factory, commits it
through the hooks, points it at High Command's `git init --bare` hub, runs a shift on a lot
with one order the catalogue cannot make, commits everything the shift wrote through the
hooks, signs off as a second person, pushes, and finds the push on the hub and in `status`.
A colleague clones the factory, and two branches that each parade an order merge locally;
the index, which neither branch wrote, is regenerated on main.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, git
from tests.exchange_kit import directive
from tests.fixtures_hooks import venv_stub
from tests.journeys.kit import high_command, sh

pytestmark = pytest.mark.slow

KITE = [{"line": 1, "sku": "TOY-KITE-03", "qty": 12}]  # the starter catalogue's toy
UNKNOWN = [{"line": 1, "sku": "TOY-YOYO-99", "qty": 5}]  # a toy no blueprint makes


def walkthrough() -> str:
    """The README's `toyfoundry init` walkthrough, as the lines a person types."""
    text = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("### Scaffolding a factory: `toyfoundry init`", 1)[1]
    block = section.split("```console\n", 1)[1].split("```", 1)[0]
    return "\n".join(line[2:] for line in block.splitlines() if line.startswith("$ "))


def orders(*pairs: tuple[str, list[dict[str, object]]]) -> dict[str, bytes]:
    return {f"orders/{oid}.json": directive(oid, lines=lines) for oid, lines in pairs}


def test_init_to_a_pushed_lot_with_a_rejected_order_then_a_local_merge(tmp_path: Path) -> None:
    quick_start = tmp_path / "toyfoundry-ci"
    toyfoundry = str(venv_stub(quick_start) / "toyfoundry")

    walked = sh(quick_start, "sh", "-ec", walkthrough())
    factory = tmp_path / "iron-works"
    hooks = walked.stdout + walked.stderr
    assert re.search(r"^toyfoundry commit check\.+Passed$", hooks, re.MULTILINE), hooks
    assert git(factory, "log", "--format=%s") == "Scaffold the factory\n"
    assert git(factory, "status", "--porcelain") == ""  # the hooks left nothing behind
    again = sh(quick_start, toyfoundry, "init", "../iron-works")
    assert (
        "already scaffolded; nothing to do" in again.stdout and "hooks install" not in again.stdout
    )

    # High Command's hub: a bare repository on git's own default branch, no #BRANCH needed.
    hub = tmp_path / "alfa-hub.git"
    git(tmp_path, "init", "-q", "--bare", str(hub))
    desk = tmp_path / "high-command"
    high_command(
        hub,
        desk,
        orders(("ALFA-2027-0001", KITE), ("ALFA-2027-0002", UNKNOWN)),
        "Alfa batch 1",
    )
    config = factory / ".toyfoundry" / "config.toml"
    text = config.read_text(encoding="utf-8").replace('".toyfoundry/hub"', f'"{hub}"')
    config.write_text(text, encoding="utf-8")
    sh(factory, "git", "commit", "-qam", "Exchange with High Command's hub")

    # A shift: the kite is made, the unknown toy is rejected; neither stops the factory.
    shifted = sh(factory, toyfoundry, "shift")
    assert re.search(r"intake \(pull\)\s+done\s+2", shifted.stdout), shifted.stdout
    assert re.search(r"parade\s+done\s+2", shifted.stdout), shifted.stdout
    assert re.search(r"sign-off\s+waiting\s+2", shifted.stdout), shifted.stdout
    rejected = json.loads(
        (factory / "exchange/acknowledgements/ACK-ALFA-2027-0002.json").read_text()
    )
    assert rejected["disposition"] == "reject"
    assert "readiness: GREEN" in sh(factory, toyfoundry, "readiness").stdout

    # Everything the shift wrote commits through the installed hooks, with no SKIP.
    sh(factory, "git", "add", "-A")
    staged = git(factory, "diff", "--cached", "--name-only").split()
    assert ".toyfoundry/telemetry/quilt/exports/ALFA-2027-0001.quilt.json" in staged
    committed = sh(factory, "git", "commit", "-m", "Shift: parade ALFA-2027-0001, -0002")
    assert "Failed" not in committed.stdout + committed.stderr

    # A second person signs off, the seals commit through the hooks, and the lot goes out.
    sh(factory, toyfoundry, "signoff", "ALFA-2027-0001", "ALFA-2027-0002", "--reviewer",
       "Quality Lead")  # fmt: skip
    sh(factory, "git", "commit", "-qam", "Sign off ALFA-2027-0001, -0002")
    pushed = sh(factory, toyfoundry, "push")
    assert "pushed 2 orders" in pushed.stdout, pushed.stdout
    git(desk, "pull", "-q")
    assert (desk / "acknowledgements/ACK-ALFA-2027-0002.json").is_file()
    assert (desk / "reports/RPT-ALFA-2027-0001.json").is_file()
    assert not (desk / "reports/RPT-ALFA-2027-0002.json").exists()  # rejected: nothing made
    assert len(list((desk / "receipts").glob("*.json"))) == 1
    stages = {r["order_id"]: r["stage"] for r in json.loads(
        sh(factory, toyfoundry, "status", "--format", "json").stdout)}  # fmt: skip
    assert stages == {"ALFA-2027-0001": "promoted", "ALFA-2027-0002": "promoted"}
    sh(factory, "git", "add", "-A")
    sh(factory, "git", "commit", "-qm", "Record the push")
    assert git(factory, "status", "--porcelain") == ""

    # A colleague's clone: green at once; after its one `hooks install`, branches merge.
    high_command(hub, desk, orders(("ALFA-2027-0003", KITE), ("ALFA-2027-0004", KITE)), "Batch 2")
    sh(tmp_path, "git", "clone", "-q", str(factory), "colleague")
    clone = tmp_path / "colleague"
    assert "readiness: GREEN" in sh(clone, toyfoundry, "readiness").stdout
    sh(clone, toyfoundry, "hooks", "install")
    sh(clone, toyfoundry, "pull")
    sh(clone, "git", "add", "-A")
    sh(clone, "git", "commit", "-qm", "Pull batch 2")
    for branch, oid in (("left", "ALFA-2027-0003"), ("right", "ALFA-2027-0004")):
        sh(clone, "git", "checkout", "-q", "-b", branch, "main")
        for stage in ("forge", "drill", "parade"):
            sh(clone, toyfoundry, stage, oid)
        sh(clone, "git", "add", "-A")
        sh(clone, "git", "commit", "-qm", f"Parade {oid}")
    sh(clone, "git", "checkout", "-q", "main")
    sh(clone, "git", "merge", "-q", "--no-edit", "left")
    merged = sh(clone, "git", "merge", "--no-edit", "right")
    assert "CONFLICT" not in merged.stdout + merged.stderr
    # The branches left the index alone: main's lags by their two entries, and says so.
    gate = sh(clone, toyfoundry, "readiness").stdout
    assert "readiness: GREEN" in gate and "index behind by 2 entries" in gate
    assert git(clone, "status", "--porcelain") == ""
    sh(clone, toyfoundry, "ledger", "index")  # on main: regenerated, never merged
    index = (clone / "exchange/ledger/index.json").read_text(encoding="utf-8")
    assert "ALFA-2027-0003" in index and "ALFA-2027-0004" in index
    sh(clone, toyfoundry, "ledger", "index", "--check")
    sh(clone, "git", "commit", "-qam", "Regenerate the ledger index")
    assert "index current" in sh(clone, toyfoundry, "readiness").stdout
