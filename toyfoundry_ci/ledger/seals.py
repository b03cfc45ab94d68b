"""Whether a seal counts under the factory's sign-off policy: its method, its signature and,
for a github seal, its re-derivation through the API (``ledger/binding.py``).

``ledger verify`` asks this of every seal, ``push`` (``seal_check``, on every push path: the
command, the shift and ``ci merge``) of every seal it is about to send, with the policy and
allowed signers read from a commit (``ledger/policy.py``).
"""

from __future__ import annotations

from collections.abc import Callable

from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger import sshsig
from toyfoundry_ci.ledger.binding import GitHubSeals, github_from_environment
from toyfoundry_ci.ledger.policy import SignoffPolicy, signoff_policy
from toyfoundry_ci.models.ledger import LedgerEntry


def method_problem(method: str | None, policy: SignoffPolicy) -> str | None:
    """Why a new seal made by ``method`` does not count in this factory; None when it does."""
    if method == "demo":
        return "a demo seal is not a review; only the demo's scratch copy makes them"
    if method != policy.method:
        return (
            f"a {method or 'method-less'} seal, but this factory signs off by {policy.method}"
            f" ({policy.describe()})"
        )
    return None


def signature_problem(entry: LedgerEntry, policy: SignoffPolicy) -> str | None:
    """Why the entry's seal fails the signature rules; None when it passes or is pending."""
    seal = entry.signoff
    if seal.state != "sealed":
        return None
    if seal.signature is None:
        if seal.method == "local" and policy.require_signature:
            return (
                "its local seal is unsigned, and signoff.require_signature = true at"
                f" {policy.revision}; sign off with `toyfoundry signoff --key`"
            )
        return None
    signed = seal.signature
    if policy.factory is not None and signed.factory != policy.factory:
        return f"its seal was signed for factory {signed.factory!r}, not {policy.factory!r}"
    if seal.commit is None or seal.reviewer is None:
        return "its signed seal names no commit or no reviewer, so nothing was signed"
    message = sshsig.statement(
        signed.factory,
        entry.order_id,
        [(s.name, s.digest.sha256) for s in entry.subjects],
        seal.commit,
        seal.reviewer,
    )
    why = sshsig.check(message, signed.signature, signed.principal, policy.signers)
    if why is None:
        return None
    return f"{why}; allowed signers: {policy.allowed_signers} at {policy.revision}"


SealCheck = Callable[[LedgerEntry], str | None]


def seal_check(
    layout: Layout,
    revision: str = "HEAD",
    *,
    github: GitHubSeals | None = None,
    demo: bool = False,
) -> SealCheck:
    """The one gate a seal passes before its evidence is pushed: why it does not count, or None.

    The seal's method must be the factory's (policy at ``revision``; a ``demo`` seal counts
    only when ``demo``, in the demo's scratch copy), its signature must verify, and a github
    seal must re-derive through the API (``github``, else ``GITHUB_TOKEN`` on
    ``GITHUB_REPOSITORY``); without a token it is held back, saying what was not checked.
    """
    policy = signoff_policy(layout, revision)
    found: list[GitHubSeals | str] = [github] if github is not None else []

    def check(entry: LedgerEntry) -> str | None:
        seal = entry.signoff
        why = None if demo and seal.method == "demo" else method_problem(seal.method, policy)
        why = why or signature_problem(entry, policy)
        if why is not None or seal.method != "github":
            return why
        if not found:
            found.append(github_from_environment(layout))
        if isinstance(found[0], str):
            return (
                f"its github seal (pull request #{seal.pull_request}, review {seal.review_id})"
                f" was not checked: {found[0]}; a seal that is not re-verified does not count"
            )
        return found[0].problem(entry)

    return check
