"""Sign-off: sealing pending ledger entries, locally by a named reviewer or from a PR's reviews.

A pull request cannot contain its own approval, so sealing happens after the fact: from the
PR's approvals that count under the rule of ``ledger/approval.py`` (write access, not a bot,
not an author or committer of the PR, the head commit approved), over the digests of the
reviewed commit (``ledger/binding.py``), or, in a factory whose committed
policy says ``signoff.method = "local"``, as an explicit act by a reviewer who is not the
author of the commit that added the evidence. A local seal signed with an SSH key the
allowed-signers file lists (``ledger/sshsig.py``) can be verified by anyone.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toyfoundry_ci.base.clock import now
from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.git import Git
from toyfoundry_ci.base.ids import check_order_id
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.hub.config import settings
from toyfoundry_ci.ledger import sshsig
from toyfoundry_ci.ledger.index import keep_index
from toyfoundry_ci.ledger.policy import signing_key, signoff_policy
from toyfoundry_ci.ledger.store import read_entry, write_entry
from toyfoundry_ci.models.ledger import LedgerEntry, SignOff, SshSignature

if TYPE_CHECKING:
    from pathlib import Path

    from github import Github

_ENTRY_PATH = re.compile(r"^exchange/ledger/entries/(ALFA-[0-9]{4}-[0-9]{4,6})\.json$")


@dataclass(frozen=True, slots=True)
class SealResult:
    order_id: str
    sealed: bool  # False: it already was, nothing written
    signoff: SignOff


def seal_local(
    layout: Layout,
    order_ids: list[str],
    reviewer: str,
    *,
    key: Path | None = None,
    commit: str | None = None,
) -> list[SealResult]:
    """Seal the orders' entries as reviewed by ``reviewer`` at ``commit`` (default HEAD).

    With ``key`` (or git's ``user.signingkey`` for ``gpg.format = ssh``) each seal carries an
    SSH signature over its statement, by a key the allowed-signers file committed at HEAD
    lists; without one the seal is unsigned, which the policy may refuse.
    """
    policy = signoff_policy(layout, "HEAD")
    if policy.method != "local":
        raise RefusedError(
            f"this factory signs off on GitHub ({policy.describe()}); a local seal would not count",
            hint="approve the pull request on GitHub; a factory without GitHub sets"
            ' signoff.method = "local" under [tool.toyfoundry] in pyproject.toml',
        )
    key = key or signing_key(layout)
    if key is None and policy.require_signature:
        raise RefusedError(
            f"signoff.require_signature = true at {policy.revision}, and no signing key is set",
            hint="pass --key PATH to your SSH key, or set git config user.signingkey",
        )
    reviewed = commit or Git(layout.root).text("rev-parse", "HEAD").strip()
    factory = policy.factory or settings(layout).factory

    def not_the_author(order_id: str) -> None:
        author = _evidence_author(layout, order_id)
        if reviewer.casefold() in {a.casefold() for a in author}:
            raise RefusedError(
                f"{order_id}: {reviewer} wrote the commit that added its evidence and cannot"
                " sign it off",
                hint="ask someone who did not write the evidence to review and sign off",
            )

    def seal_for(entry: LedgerEntry) -> SignOff:
        not_the_author(entry.order_id)
        seal = SignOff(state="sealed", method="local", reviewer=reviewer, at=now(), commit=reviewed)
        if key is None:
            return seal
        subjects = [(s.name, s.digest.sha256) for s in entry.subjects]
        message = sshsig.statement(factory, entry.order_id, subjects, reviewed, reviewer)
        signature = sshsig.sign(message, key)
        principal = sshsig.principal_of(signature, policy.signers)
        if principal is None:
            raise RefusedError(
                f"{key} is not in the allowed-signers file {policy.allowed_signers} at"
                f" {policy.revision}, so its signature would not count",
                hint=f"add `PRINCIPAL {{key type and key of the .pub}}` to {policy.allowed_signers}"
                " in a reviewed change, or pass another key with --key",
            )
        signed = SshSignature(principal=principal, factory=factory, signature=signature)
        return seal.model_copy(update={"signature": signed})

    return _seal(layout, order_ids, seal_for)


def seal_demo(layout: Layout, order_ids: list[str], reviewer: str) -> list[SealResult]:
    """Seal pending entries as the demo's explicit reviewer (method ``demo``).

    Only for the embedded demo, where no pull request exists; the method is recorded so no
    one mistakes a demo seal for a review.
    """
    signoff = SignOff(state="sealed", method="demo", reviewer=reviewer, at=now())
    return _seal(layout, order_ids, lambda _entry: signoff)


def seal_from_pull_request(
    layout: Layout, repo: str, pr_number: int, gh: Github, order_ids: list[str] | None = None
) -> list[SealResult]:
    """Seal ``order_ids`` (default: every entry the PR adds) from the PR's approvals.

    The approvals must meet the rule (``ledger/approval.py``) with the policy read from the
    PR's base, and each entry's subjects must be, byte for byte, as at the reviewed commit:
    the seal records them. Refused when the PR does not add an order asked for; nothing but
    the orders asked for is sealed, and nothing at all when the rule is not met.
    """
    from toyfoundry_ci.ledger.approval import refused
    from toyfoundry_ci.ledger.binding import evidence_paths, seal_github, verdict_for

    pr = gh.get_repo(repo).get_pull(pr_number)
    added = sorted({m.group(1) for f in pr.get_files() if (m := _ENTRY_PATH.match(f.filename))})
    if not added:
        raise RefusedError(f"pull request #{pr_number} adds no ledger entries; nothing to seal")
    foreign = sorted(set(order_ids or ()) - set(added))
    if foreign:
        raise RefusedError(
            f"pull request #{pr_number} does not add the ledger entry of {', '.join(foreign)}",
            hint="seal each order from the pull request that added its entry",
        )
    order_ids = sorted(set(order_ids)) if order_ids is not None else added
    entries = [e for o in order_ids if (e := read_entry(layout, check_order_id(o))) is not None]
    paths = [p for e in entries for p in evidence_paths(layout, e)]
    verdict = verdict_for(layout, gh, repo, pr, paths)
    if not verdict.ok:
        raise refused(verdict)
    # Every seal is made before any is written: one that cannot be made refuses them all.
    seals = {
        e.order_id: seal_github(layout, pr, verdict, e)
        for e in entries
        if e.signoff.state == "pending"
    }
    return _seal(layout, order_ids, lambda entry: seals[entry.order_id])


def seal_from_github(
    layout: Layout, repo: str, pr_number: int, order_ids: list[str] | None = None
) -> list[SealResult]:
    """``seal_from_pull_request`` through the one client for the repository (``GITHUB_TOKEN``)."""
    from toyfoundry_ci.github.client import REPOSITORY, Connection

    conn = Connection(REPOSITORY, repo)
    conn.require_token(conn.place, "reading a pull request's reviews")
    with conn.guard(conn.place, f"read pull request #{pr_number}"):
        return seal_from_pull_request(layout, repo, pr_number, conn.github, order_ids)


def _seal(
    layout: Layout, order_ids: list[str], seal_for: Callable[[LedgerEntry], SignOff]
) -> list[SealResult]:
    """Seal each order's pending entry with ``seal_for(entry)``; re-index the entries sealed
    (on the default branch: ``keep_index``).

    ``seal_for`` runs before each pending entry is sealed and refuses by raising.
    """
    results = []
    for order_id in order_ids:
        entry = _pending_entry(layout, order_id)
        if entry is None:
            results.append(_already(layout, order_id))
            continue
        signoff = seal_for(entry)
        write_entry(layout, entry.model_copy(update={"signoff": signoff}))
        results.append(SealResult(order_id, True, signoff))
    sealed = [layout.ledger_entry_file(r.order_id) for r in results if r.sealed]
    if sealed:
        keep_index(layout, sealed)
    return results


def _pending_entry(layout: Layout, order_id: str) -> LedgerEntry | None:
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
