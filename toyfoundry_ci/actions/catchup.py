"""Sign-off after the fact: pending entries on main, the merged PRs that added them, their seals.

Nothing is committed to main by a bot (DESIGN §8), so on main every entry stays pending until
an intake PR records its seal. A merge run seals, in its own checkout only, the pending
entries whose evidence the hub does not hold yet; an intake run seals those the hub does hold,
so the intake PR carries them into the repository. Either way the seal is the same: the
approvals that count of the merged PR that added the entry (``seal_from_pull_request``), found
through ``GET /repos/{o}/{r}/commits/{sha}/pulls`` for the commit that added the entry. A run
that was dropped is caught up by the next one, since the hub's receipts say what arrived.

Before it seals or pushes, a merge run verifies every ledger change since the source commit
of this factory's newest receipt on the hub (``ledger_since``), not since the push event's
``before``: the changes a dropped run never checked are checked by the next. Without any
receipt the range is the whole history (every entry must have arrived pending).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from toyfoundry_ci.actions import _git
from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.ids import is_order_id
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.exchange.push import evidence_paths
from toyfoundry_ci.hub.protocol import Inventory, ReceiptFacts
from toyfoundry_ci.ledger.binding import GitHubSeals, entry_check, merged_pull
from toyfoundry_ci.ledger.policy import signoff_policy
from toyfoundry_ci.ledger.signoff import SealResult, seal_from_pull_request
from toyfoundry_ci.ledger.store import read_entry
from toyfoundry_ci.ledger.verify import Problem, check_against_base

if TYPE_CHECKING:
    from github import Github


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


@dataclass(slots=True)
class RangeCheck:
    """The ledger changes since ``since`` (a commit, or None: the whole history) that fail."""

    since: str | None
    receipt: str | None  # the receipt whose source commit starts the range
    problems: list[Problem] = field(default_factory=list)

    @property
    def blocked(self) -> set[str]:
        """The orders whose entries fail; a problem naming no order blocks every order."""
        names = {p.file.rsplit("/", 1)[-1].removesuffix(".json") for p in self.problems}
        return {n if is_order_id(n) else "*" for n in names}

    def passes(self, order_id: str) -> bool:
        blocked = self.blocked
        return "*" not in blocked and order_id not in blocked

    def allowed(self, layout: Layout) -> list[str] | None:
        """The orders a push may consider: every one (None) unless some are blocked."""
        blocked = self.blocked
        if not blocked:
            return None
        return [] if "*" in blocked else [
            p.stem for p in sorted(layout.orders.glob("*.json")) if p.stem not in blocked
        ]  # fmt: skip


def last_receipt(held: Inventory) -> ReceiptFacts | None:
    """This factory's newest receipt on the hub that names the commit it was pushed from."""
    sourced = [r for r in held.receipts.values() if r.source]
    return max(sourced, key=lambda r: (r.pushed_at, r.receipt_id), default=None)


def ledger_since(layout: Layout, held: Inventory, github: GitHubSeals) -> RangeCheck:
    """Verify every ledger change since the source commit of the hub's last receipt; a github
    seal among them is re-derived by ``github`` (the push gate's own re-deriver)."""
    receipt = last_receipt(held)
    git = _git.checkout(layout.root)
    out = RangeCheck(receipt.source, receipt.path) if receipt else RangeCheck(None, None)
    if out.since is not None and not git.ok("merge-base", "--is-ancestor", out.since, "HEAD"):
        out.problems.append(
            Problem(
                str(out.receipt),
                "$.source",
                f"the commit {out.since[:12]} this receipt was pushed from is not in this"
                " checkout's history, so the changes since it cannot be verified; check out"
                " with fetch-depth: 0 (a rewritten main must be restored)",
            )
        )
        return out
    base = out.since or git.text("hash-object", "-t", "tree", "/dev/null").strip()
    policy = signoff_policy(layout, out.since or "HEAD")
    out.problems = check_against_base(
        layout, base, policy, entry_check(github), through_history=True
    )
    return out
