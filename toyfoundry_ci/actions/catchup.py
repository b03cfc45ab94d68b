"""Sign-off after the fact: pending entries on main, the merged PRs that added them, their seals.

Nothing is committed to main by a bot (DESIGN §8), so on main every entry stays pending until
an intake PR records its seal. A merge run seals, in its own checkout only, the pending
entries whose evidence the hub does not hold yet; an intake run seals those the hub does hold,
so the intake PR carries them into the repository. Either way the seal is the same: the
approvals that count of the merged PR that added the entry (``seal_from_pull_request``), found
through ``GET /repos/{o}/{r}/commits/{sha}/pulls`` for the commit that added the entry. A run
that was dropped is caught up by the next one, since the hub's receipts say what arrived.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from toyfoundry_ci.actions import _git
from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.ids import is_order_id
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.exchange.push import evidence_paths
from toyfoundry_ci.hub.protocol import Inventory
from toyfoundry_ci.ledger.signoff import SealResult, seal_from_pull_request
from toyfoundry_ci.ledger.store import read_entry

if TYPE_CHECKING:
    from github import Github
    from github.Repository import Repository


@dataclass(slots=True)
class SealReport:
    sealed: list[tuple[int, SealResult]] = field(default_factory=list)  # (PR, result)
    refused: list[tuple[str, str]] = field(default_factory=list)  # (order ID, why)


def pending_orders(layout: Layout) -> list[str]:
    """Order IDs whose ledger entry is still pending sign-off."""
    found = []
    for path in sorted(layout.ledger_entries.glob("*.json")):
        if is_order_id(path.stem):
            entry = read_entry(layout, path.stem)
            if entry is not None and entry.signoff.state == "pending":
                found.append(path.stem)
    return found


def on_hub(layout: Layout, held: Inventory, order_id: str) -> str | None:
    """The receipt that holds the order's current evidence, or None when any file is missing."""
    paths = evidence_paths(layout, order_id)
    receipt = held.receipt_for(order_id, paths) if paths is not None else None
    return receipt.receipt_id if receipt else None


def merged_pull(repo: Repository, sha: str) -> int | None:
    """The merged PR into the default branch that ``sha`` belongs to, if any."""
    from github.PaginatedList import PaginatedList
    from github.PullRequest import PullRequest

    # Straight to the list: Repository.get_commit would first fetch the whole commit.
    url = f"{repo.url}/commits/{sha}/pulls"
    for pr in PaginatedList(PullRequest, repo.requester, url, None):
        if pr.merged_at is not None and pr.base.ref == repo.default_branch:
            return int(pr.number)
    return None


def seal_pending(layout: Layout, gh: Github, repository: str, order_ids: list[str]) -> SealReport:
    """Seal ``order_ids`` from the approvals of the merged PRs that added their entries.

    Each commit and each PR is asked once. A PR without a qualifying approval leaves its
    entries pending, with the reason.
    """
    report = SealReport()
    if not order_ids:
        return report
    repo = gh.get_repo(repository)
    by_commit: dict[str, int | None] = {}
    numbers: dict[int, list[str]] = {}
    for order_id in order_ids:
        rel = layout.rel(layout.ledger_entry_file(order_id))
        sha = _git.checkout(layout.root).first_added(rel)
        if sha is None:
            report.refused.append((order_id, "its ledger entry is not committed"))
            continue
        if sha not in by_commit:
            by_commit[sha] = merged_pull(repo, sha)
        number = by_commit[sha]
        if number is None:
            report.refused.append((order_id, f"commit {sha[:12]} came in without a merged PR"))
            continue
        numbers.setdefault(number, []).append(order_id)
    for number in sorted(numbers):
        try:
            results = seal_from_pull_request(layout, repository, number, gh, numbers[number])
        except RefusedError as exc:
            report.refused.extend((o, exc.message) for o in numbers[number])
            continue
        report.sealed.extend((number, r) for r in results)
    return report
