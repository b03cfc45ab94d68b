"""Sign-off: sealing pending ledger entries, locally by a named reviewer or from a PR's reviews.

A pull request cannot contain its own approval, so sealing happens after the fact: from the
PR's reviews (the latest state-bearing review per reviewer is APPROVED, by someone who is not
the PR's author and not a bot, for the PR's head commit), or, without GitHub, as an explicit
act by a reviewer who is not the author of the commit that added the evidence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from toyfoundry_ci.base.clock import now
from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.git import Git
from toyfoundry_ci.base.ids import check_order_id
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import update_index
from toyfoundry_ci.ledger.store import read_entry, write_entry
from toyfoundry_ci.models.ledger import SignOff

if TYPE_CHECKING:
    from github import Github
    from github.PullRequest import PullRequest
    from github.PullRequestReview import PullRequestReview

# Reviews that set a reviewer's verdict; COMMENTED and PENDING leave it as it was (as on GitHub).
_VERDICTS = {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}
_ENTRY_PATH = re.compile(r"^exchange/ledger/entries/(ALFA-[0-9]{4}-[0-9]{4,6})\.json$")


@dataclass(frozen=True, slots=True)
class SealResult:
    order_id: str
    sealed: bool  # False: it already was, nothing written
    signoff: SignOff


def seal_local(
    layout: Layout, order_ids: list[str], reviewer: str, *, commit: str | None = None
) -> list[SealResult]:
    """Seal the orders' entries as reviewed by ``reviewer`` at ``commit`` (default HEAD)."""
    reviewed = commit or Git(layout.root).text("rev-parse", "HEAD").strip()

    def not_the_author(order_id: str) -> None:
        author = _evidence_author(layout, order_id)
        if reviewer.casefold() in {a.casefold() for a in author}:
            raise RefusedError(
                f"{order_id}: {reviewer} wrote the commit that added its evidence and cannot"
                " sign it off",
                hint="ask someone who did not write the evidence to review and sign off",
            )

    signoff = SignOff(state="sealed", method="local", reviewer=reviewer, at=now(), commit=reviewed)
    return _seal(layout, order_ids, signoff, check=not_the_author)


def seal_demo(layout: Layout, order_ids: list[str], reviewer: str) -> list[SealResult]:
    """Seal pending entries as the demo's explicit reviewer (method ``demo``).

    Only for the embedded demo, where no pull request exists; the method is recorded so no
    one mistakes a demo seal for a review.
    """
    signoff = SignOff(state="sealed", method="demo", reviewer=reviewer, at=now())
    return _seal(layout, order_ids, signoff)


def approving_review(pr: PullRequest) -> PullRequestReview | None:
    """The latest qualifying approval of the PR's head commit, or None (see module doc)."""
    author = pr.user.login
    head = pr.head.sha
    latest: dict[str, PullRequestReview] = {}
    for review in pr.get_reviews():
        if review.state not in _VERDICTS or review.user is None:
            continue
        login = review.user.login
        prior = latest.get(login)
        if prior is None or _when(review) >= _when(prior):
            latest[login] = review
    approvals = [
        r
        for login, r in latest.items()
        if r.state == "APPROVED"
        and login != author
        and not _is_bot(r.user.type, login)
        and r.commit_id == head
    ]
    return max(approvals, key=_when, default=None)


def seal_from_pull_request(
    layout: Layout, repo: str, pr_number: int, gh: Github
) -> list[SealResult]:
    """Seal the pending entries the PR added, from its approving review; refuse without one."""
    pr = gh.get_repo(repo).get_pull(pr_number)
    order_ids = sorted({m.group(1) for f in pr.get_files() if (m := _ENTRY_PATH.match(f.filename))})
    if not order_ids:
        raise RefusedError(f"pull request #{pr_number} adds no ledger entries; nothing to seal")
    review = approving_review(pr)
    if review is None:
        raise RefusedError(
            f"pull request #{pr_number} has no approval of its head commit {pr.head.sha[:12]}"
            " by a reviewer who is not its author and not a bot",
            hint="the latest review of at least one such reviewer must be APPROVED",
        )
    signoff = SignOff(
        state="sealed",
        method="github",
        reviewer=review.user.login,
        at=review.submitted_at.astimezone(UTC).replace(microsecond=0),
        commit=review.commit_id,
        pull_request=pr_number,
        review_id=review.id,
    )
    return _seal(layout, order_ids, signoff)


def seal_from_github(layout: Layout, repo: str, pr_number: int) -> list[SealResult]:
    """``seal_from_pull_request`` through the one client for the repository (``GITHUB_TOKEN``)."""
    from toyfoundry_ci.github.client import REPOSITORY, Connection

    conn = Connection(REPOSITORY, repo)
    conn.require_token(conn.place, "reading a pull request's reviews")
    with conn.guard(conn.place, f"read pull request #{pr_number}"):
        return seal_from_pull_request(layout, repo, pr_number, conn.github)


def _seal(
    layout: Layout,
    order_ids: list[str],
    signoff: SignOff,
    *,
    check: Callable[[str], None] | None = None,
) -> list[SealResult]:
    """Seal each order's pending entry with ``signoff``; re-index the entries sealed.

    ``check`` runs before each pending entry is sealed and refuses by raising.
    """
    results = []
    for order_id in order_ids:
        entry = _pending_entry(layout, order_id)
        if entry is None:
            results.append(_already(layout, order_id))
            continue
        if check is not None:
            check(order_id)
        write_entry(layout, entry.model_copy(update={"signoff": signoff}))
        results.append(SealResult(order_id, True, signoff))
    sealed = [layout.ledger_entry_file(r.order_id) for r in results if r.sealed]
    if sealed:
        update_index(layout, sealed)
    return results


def _pending_entry(layout: Layout, order_id: str) -> Any:
    entry = read_entry(layout, check_order_id(order_id))
    if entry is None:
        raise RefusedError(
            f"{order_id} has no ledger entry to sign off",
            hint="an entry is written when the order is paraded",
        )
    return entry if entry.signoff.state == "pending" else None


def _already(layout: Layout, order_id: str) -> SealResult:
    entry = read_entry(layout, order_id)
    assert entry is not None  # noqa: S101 - checked by _pending_entry just before
    return SealResult(order_id, False, entry.signoff)


def _evidence_author(layout: Layout, order_id: str) -> set[str]:
    """Name and e-mail of the author of the commit that added the order's entry."""
    rel = layout.rel(layout.ledger_entry_file(order_id))
    added = Git(layout.root).first_added(rel, "%an%x00%ae")
    if added is None:
        raise RefusedError(
            f"{order_id}: its ledger entry is not committed yet",
            hint="commit the paraded evidence first; the sign-off records the commit reviewed",
        )
    name, _, email = added.partition("\x00")
    return {name, email}


def _is_bot(user_type: str | None, login: str) -> bool:
    return user_type == "Bot" or login.endswith("[bot]")


def _when(review: PullRequestReview) -> tuple[datetime, int]:
    at = review.submitted_at or datetime.min.replace(tzinfo=UTC)
    return at, review.id
