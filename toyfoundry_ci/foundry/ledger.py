"""The ledger writes of ``ledger sign-off`` and ``ledger index ENTRY``, under the repository lock.

The domain (``ledger/``) only reads and writes files; holding the lock is the work layer's,
once per command. Code that already holds it (parade, a shift's sign-off, a CI run) calls the
domain functions directly: the lock is re-entrant, but there is nothing to take twice.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.lock import SHORT_WAIT, holds_lock, repository_lock

if TYPE_CHECKING:
    from toyfoundry_ci.ledger.signoff import SealResult


@holds_lock("sign-off")
def sign_off(
    layout: Layout,
    order_ids: list[str],
    reviewer: str | None,
    *,
    repo: str,
    pr_number: int | None,
    key: Path | None = None,
) -> list[SealResult]:
    """Seal from pull request ``pr_number``'s reviews (only ``order_ids``, when named), else
    locally as ``reviewer``, signed with ``key`` when there is one."""
    from toyfoundry_ci.ledger import signoff as so

    if pr_number is not None:
        return so.seal_from_github(layout, repo, pr_number, order_ids or None)
    return so.seal_local(layout, order_ids, str(reviewer), key=key)


def off_default_branch(layout: Layout) -> str | None:
    """What ``ledger index --default-branch-only`` says off the default branch, where it
    writes nothing (None on the default branch)."""
    from toyfoundry_ci.base.git import on_default_branch
    from toyfoundry_ci.ledger.lag import CATCH_UP

    if on_default_branch(layout.root):
        return None
    return f"not the default branch: the index is left to lag ({CATCH_UP})"


def index_entries(layout: Layout, changed: Iterable[Path | str]) -> bool:
    """``update_index`` for ``ledger index ENTRY``: under the lock, which it waits for.

    The in-place update reads the index and writes it back, so two at once could lose a
    row; a shift or a parade holding the lock is waited for (up to 30 s).
    """
    from toyfoundry_ci.ledger.index import update_index

    with repository_lock(layout.root, purpose="ledger index", wait=SHORT_WAIT):
        return update_index(layout, changed)


def catch_up_entries(layout: Layout, *, staged: bool = False) -> bool:
    """``catch_up_index`` for ``ledger index --default-branch-only`` (``staged``: for the
    commit hook, the entries the commit holds): under the lock, as ``index_entries``."""
    from toyfoundry_ci.ledger.index import catch_up_index

    with repository_lock(layout.root, purpose="ledger index", wait=SHORT_WAIT):
        return catch_up_index(layout, staged=staged)
