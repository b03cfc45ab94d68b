"""``toyfoundry ci merge``: the push-to-main entry point.

Final readiness gate; the pending entries whose evidence the hub does not hold yet are sealed
from the approvals of the merged PRs that added them (in this checkout only: no bot commits to
main, DESIGN §8); every seal about to be pushed is re-derived from GitHub (``seal_check``), and
one that fails is held back, named with the reason, while the hub gets everything else
sealed and unsent; the receipt goes to the step
summary and the step outputs. Because what is "unsent" is read from the hub's receipts, a run
that was dropped or cancelled is caught up by the next one, and a re-delivered event finds
nothing new. The seals reach the repository through the next intake PR.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from toyfoundry_ci.actions.catchup import (
    SealReport,
    merged_pull,
    on_hub,
    pending_orders,
    seal_pending,
)
from toyfoundry_ci.actions.hub_choice import ci_hub, environment_warning, no_hub_notice
from toyfoundry_ci.actions.report import annotation, readiness_md
from toyfoundry_ci.actions.runner import RunnerContext
from toyfoundry_ci.base.ids import is_order_id
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.lock import repository_lock
from toyfoundry_ci.base.markdown import cell, checked_id, code, table
from toyfoundry_ci.exchange.push import PushResult, push
from toyfoundry_ci.hub.config import open_hub
from toyfoundry_ci.hub.protocol import inventory
from toyfoundry_ci.ledger.binding import GitHubSeals
from toyfoundry_ci.ledger.seals import seal_check
from toyfoundry_ci.readiness import require_not_halted, run_readiness

if TYPE_CHECKING:
    from github import Github


@dataclass
class MergeOutcome:
    ok: bool
    summary: str
    annotations: str
    result: str  # the push's result, or "gate-red"
    receipt_id: str | None = None


def run_merge(
    ctx: RunnerContext,
    root: Path,
    gh: Github,
    hub: str | None = None,
    *,
    environment: str | None = None,
    hub_token: bool = False,
) -> MergeOutcome:
    """Gate, seal and push for the push to main at ``ctx.sha`` (checked out at ``root``).

    ``hub`` is the workflow's (never the checkout's); ``environment`` names the GitHub
    environment holding the hub token, whose branch policy is checked when ``hub_token``.
    """
    with repository_lock(root, purpose="ci merge"):
        return _merge(ctx, root, gh, hub, environment=environment, hub_token=hub_token)


def _merge(
    ctx: RunnerContext,
    root: Path,
    gh: Github,
    hub: str | None,
    *,
    environment: str | None,
    hub_token: bool,
) -> MergeOutcome:
    layout = Layout(root)
    require_not_halted(layout, "push")
    cfg = ci_hub(layout, hub)
    gate = run_readiness(layout, record=False)
    header = f"## toyfoundry: merge of {ctx.sha[:12]}"
    if not gate.green:
        notes = [annotation("error", f"readiness {c.id}: {c.message}") for c in gate.failed]
        summary = "\n\n".join([header, readiness_md(gate), "Nothing was pushed."]) + "\n"
        return MergeOutcome(False, summary, "\n".join(notes), "gate-red")
    if cfg is None:
        said = no_hub_notice("nothing was pushed")
        summary = "\n\n".join([header, readiness_md(gate), code(said)]) + "\n"
        return MergeOutcome(True, summary, annotation("notice", said), "no-hub")
    fence = environment_warning(gh, ctx.repository, environment) if hub_token else None
    target = open_hub(layout, cfg.spec)
    held = inventory(target, factory=cfg.factory)
    unsent = [o for o in pending_orders(layout) if on_hub(layout, held, o) is None]
    seals = seal_pending(layout, gh, ctx.repository, unsent)
    # Every seal about to be pushed is re-derived from GitHub; one that fails is held back.
    check = seal_check(layout, "HEAD", github=GitHubSeals(layout, gh, ctx.repository))
    pushed = push(layout, target, cfg.factory, gate=False, seals=check)
    merged = merged_pull(gh.get_repo(ctx.repository), ctx.sha)
    sections = [
        header + (f" (pull request #{merged})" if merged else ""),
        readiness_md(gate),
        seals_md(seals),
        _push_md(pushed),
    ]
    if fence:
        sections.insert(1, f"**Warning**: {code(fence)}")
    notes = [annotation("warning", fence)] if fence else []
    notes += [annotation("warning", f"{o} not signed off: {why}") for o, why in seals.refused]
    notes += [annotation("error", f"{o} held back: {why}") for o, why in pushed.held]
    if pushed.receipt_id:
        notes.append(annotation("notice", f"pushed to {pushed.hub}: {pushed.receipt_id}"))
    summary = "\n\n".join(sections) + "\n"
    ok = not pushed.held
    return MergeOutcome(ok, summary, "\n".join(notes), pushed.result, pushed.receipt_id)


def seals_md(seals: SealReport) -> str:
    """The sign-off table: what was sealed from which review, and what could not be."""
    if not seals.sealed and not seals.refused:
        return "### Sign-off\n\nno pending entries to seal"
    rows = []
    for number, r in seals.sealed:
        s = r.signoff
        of = (s.commit or "")[:12]
        said = f"sealed by {cell(s.reviewer or '?')} ({s.permission or '?'} access;"
        said += f" review {s.review_id} of {cell(of)})"
        rows.append([_order(r.order_id), f"#{number}", said])
    rows += [[_order(o), "", f"**pending**: {cell(why)}"] for o, why in seals.refused]
    return "### Sign-off\n\n" + table(["order", "pull request", "sign-off"], rows)


def _order(order_id: str) -> str:
    return checked_id(order_id, is_order_id)


def _push_md(pushed: PushResult) -> str:
    lines = [f"### Push to {code(pushed.hub)}: {pushed.result}", ""]
    if pushed.receipt_id:
        receipt, publication = code(pushed.receipt_id), code(pushed.publication or "")
        lines.append(f"Receipt {receipt} (publication {publication}).")
        lines.append("")
    rows = [(o.order_id, "sent") for o in pushed.sent]
    rows += [(o, "already on the hub") for o in pushed.already]
    rows += [(o, f"waiting: {cell(why)}") for o, why in pushed.waiting]
    rows += [(o, f"**held**: {cell(why)}") for o, why in pushed.held]
    rows += [(o, f"not sent: {cell(why)}") for o, why in pushed.elsewhere]
    if not rows:
        return "\n".join([*lines, "no paraded orders"])
    lines.append(table(["order", "result"], [[_order(o), what] for o, what in rows]))
    return "\n".join(lines)
