"""A git hub whose branch was rewritten is refused, by the rule of the hub protocol.

The last head a factory saw is the one its exchange log records (the log reaches the
repository through intake PRs, so a fresh runner has it too); a hub whose branch does not
descend from it is refused by pull, push and status. The hub backends answer the
``Lineage`` questions; the git backend answers them from its fetched cache clone.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import git, run_cli
from tests.exchange_kit import directive, sealed_factory
from tests.test_exchange_git import bare_hub
from toyfoundry_ci.base.errors import HubError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.exchange.log import read_log
from toyfoundry_ci.exchange.pull import pull
from toyfoundry_ci.exchange.push import push
from toyfoundry_ci.hub.git import GitRemoteHub
from toyfoundry_ci.hub.protocol import Lineage


def fresh_runner(bare: Path, tmp_path: Path, name: str) -> GitRemoteHub:
    """The hub as a new machine opens it: an empty cache of its own."""
    return GitRemoteHub(str(bare), None, tmp_path / name, display=str(bare))


def pushed(tmp_path: Path) -> tuple[Layout, Path, str]:
    layout, (oid,) = sealed_factory(tmp_path / "factory", 1)
    bare = bare_hub(tmp_path, [oid])
    out = push(layout, fresh_runner(bare, tmp_path, "cache-a"), "factory", gate=False)
    assert out.sent and out.publication
    assert read_log(layout).runs[-1].head == out.publication
    return layout, bare, out.publication


def test_a_force_pushed_hub_is_refused_by_pull_push_and_status(tmp_path: Path) -> None:
    layout, bare, publication = pushed(tmp_path)
    assert isinstance(fresh_runner(bare, tmp_path, "x"), Lineage)
    rewrite = tmp_path / "rewrite"
    git(tmp_path, "clone", "-q", str(bare), str(rewrite))
    git(rewrite, "reset", "-q", "--hard", "HEAD~1")  # our publication dropped
    git(rewrite, "commit", "-q", "--allow-empty", "-m", "High Command: history rewritten")
    git(rewrite, "push", "-q", "--force", "origin", "HEAD:main")
    for act in (
        lambda hub: pull(layout, hub),
        lambda hub: push(layout, hub, "factory", gate=False),
    ):
        with pytest.raises(HubError) as refused:
            act(fresh_runner(bare, tmp_path, "cache-b"))
        assert "the hub's branch was rewritten" in refused.value.message
        assert publication[:12] in refused.value.message
        assert "logs/exchange_all.json" in refused.value.message
        assert refused.value.hint and "git push --force" in refused.value.hint
    assert git(bare, "rev-list", "--count", "main").strip() == "2"  # nothing was sent
    # status opens the hub as a user names it: the real git backend answers the same.
    shown = run_cli("status", "--hub", str(bare), cwd=layout.root)
    assert "the hub's branch was rewritten" in shown.stdout + shown.stderr
    assert publication[:12] in shown.stdout + shown.stderr


def test_a_hub_that_moved_on_is_read_as_before(tmp_path: Path) -> None:
    layout, bare, _ = pushed(tmp_path)
    more = tmp_path / "more"
    git(tmp_path, "clone", "-q", str(bare), str(more))
    (more / "orders" / "ALFA-2027-0002.json").write_bytes(directive("ALFA-2027-0002"))
    git(more, "add", "-A")
    git(more, "commit", "-q", "-m", "High Command: another directive")
    git(more, "push", "-q", "origin", "HEAD:main")
    result = pull(layout, fresh_runner(bare, tmp_path, "cache-c"))
    assert [o for o, _ in result.new] == ["ALFA-2027-0002"]
