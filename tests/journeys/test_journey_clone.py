"""Journey: a newcomer clones the repository and runs the README's Quick start, then looks."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT, git
from tests.fixtures_hooks import venv_stub
from tests.journeys.kit import sh

pytestmark = pytest.mark.slow


def test_quick_start_demo_leaves_the_clone_clean_and_looking_changes_nothing(
    tmp_path: Path,
) -> None:
    clone = tmp_path / "toyfoundry-ci"
    git(tmp_path, "clone", "-q", str(REPO_ROOT), clone.name)
    venv_stub(clone)  # what `python3 -m venv .venv && .venv/bin/pip install -e .` leaves
    assert git(clone, "status", "--porcelain") == ""  # .venv/ is ignored

    first = sh(clone, ".venv/bin/toyfoundry", "shift", "--demo")
    assert "promote (push)   done         3" in first.stdout
    assert "demo factory: .toyfoundry/demo/factory" in first.stdout
    assert git(clone, "status", "--porcelain") == ""

    again = sh(clone, ".venv/bin/toyfoundry", "shift", "--demo")
    assert "nothing new this shift" in again.stdout
    assert git(clone, "status", "--porcelain") == ""

    # Looking at the gate, the ledger and the stages, from the top or from a subfolder.
    assert "readiness: GREEN" in sh(clone, ".venv/bin/toyfoundry", "readiness").stdout
    top = sh(clone, ".venv/bin/toyfoundry", "status", "--format", "json").stdout
    deep = sh(clone / "exchange" / "orders", "../../.venv/bin/toyfoundry", "status", "--format",
              "json")  # fmt: skip
    assert deep.stdout == top
    sh(clone / "planning", "../.venv/bin/toyfoundry", "ledger", "verify")
    assert git(clone, "status", "--porcelain") == ""
