"""Whether a seal counts under the factory's sign-off policy: its method and its signature.

``ledger verify`` asks this of every seal, ``push`` of every seal it is about to send, both
with the policy and allowed signers read from a commit (``ledger/policy.py``).
"""

from __future__ import annotations

from toyfoundry_ci.ledger import sshsig
from toyfoundry_ci.ledger.policy import SignoffPolicy
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
