"""Journey: two people, two PRs, merge button.

The factory lives in an origin repository (``git init --bare``, as GitHub holds it). Two people
clone it, install the hooks, and each works on a branch of their own: one runs a shift that
parades the order High Command issued, the other pulls the next order and parades it stage by
stage. Both commit through the hooks and push their branch. The two pull requests are merged
on the origin as GitHub's merge button merges them: git's own merge, no merge driver. Neither
conflicts; afterwards main is green, says how far its index is behind and what brings it
current, and the next shift on main is green too.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.conftest import git, log_files, make_factory, merge_button
from tests.exchange_kit import directive
from tests.fixtures_hooks import venv_stub
from tests.journeys.kit import high_command, sh

pytestmark = pytest.mark.slow

ADA, BO = "ALFA-2027-0001", "ALFA-2027-0002"


def test_two_people_two_prs_merge_button(tmp_path: Path) -> None:
    toyfoundry = str(venv_stub(tmp_path / "toyfoundry-ci") / "toyfoundry")
    origin = tmp_path / "iron-works.git"
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(origin))
    seed = make_factory(tmp_path / "seed")
    git(seed, "push", "-q", str(origin), "main")
    hub = tmp_path / "alfa-hub.git"
    git(tmp_path, "init", "-q", "--bare", str(hub))
    desk = tmp_path / "high-command"

    def person(name: str) -> Path:
        git(tmp_path, "clone", "-q", str(origin), name)
        clone = tmp_path / name
        sh(clone, toyfoundry, "hooks", "install")
        sh(clone, "git", "checkout", "-q", "-b", f"{name}/parade")
        return clone

    # Ada runs a shift on her branch; the hook leaves the index alone there.
    high_command(hub, desk, {f"orders/{ADA}.json": directive(ADA)}, "Alfa batch 1")
    ada = person("ada")
    shifted = sh(ada, toyfoundry, "shift", "--hub", str(hub))
    assert re.search(r"parade\s+done\s+1", shifted.stdout), shifted.stdout
    # Bo pulls the next order (and Ada's, the same bytes) and parades his own, step by step.
    high_command(hub, desk, {f"orders/{BO}.json": directive(BO)}, "Alfa batch 2")
    bo = person("bo")
    sh(bo, toyfoundry, "pull", "--hub", str(hub))
    for stage in ("forge", "drill", "parade"):
        sh(bo, toyfoundry, stage, BO)
    sh(bo, toyfoundry, "readiness", "--record")
    for clone, oid in ((ada, ADA), (bo, BO)):
        sh(clone, "git", "add", "-A")
        committed = sh(clone, "git", "commit", "-m", f"Parade {oid}")
        assert "Failed" not in committed.stdout + committed.stderr
        assert "exchange/ledger/index.json" not in git(clone, "show", "--name-only", "HEAD")
        sh(clone, "git", "push", "-q", "origin", "HEAD")

    merge_button(origin, "ada/parade")
    merge_button(origin, "bo/parade")

    sh(ada, "git", "checkout", "-q", "main")
    sh(ada, "git", "pull", "-q", "--ff-only")
    assert len(log_files(ada, "ops_readiness")) == 3  # Ada's shift: two gates; Bo: one
    gate = sh(ada, toyfoundry, "readiness").stdout
    assert "readiness: GREEN" in gate
    assert "index behind by 2 entries (changed since" in gate
    assert "brought current by the next intake PR or `toyfoundry ledger index`" in gate
    verified = sh(ada, toyfoundry, "ledger", "verify").stdout
    assert "note: index behind by 2 entries" in verified and "ok: ledger verified" in verified

    # The next shift on main: green from warm start to final gate.
    again = sh(ada, toyfoundry, "shift", "--hub", str(hub))
    assert re.search(r"final gate\s+-\s+0\s+readiness green", again.stdout), again.stdout
    sh(ada, toyfoundry, "ledger", "index")  # on main, what the next intake PR does
    assert "index current" in sh(ada, toyfoundry, "readiness").stdout
