"""``toyfoundry ci intake``: the schedule / workflow_dispatch entry point.

Pull new directives from the hub; seal the pending entries whose evidence the hub already
holds (pushed by a merge run: each file at its path with the same bytes, under one of this
factory's valid receipts; a receipt alone is never enough) and record their receipts in
the exchange log; bring the ledger index current and fold the logs' record files into
their frozen files (this run is a serialized writer of both); then
commit whatever the lot changed under the exchange folders to the one intake branch through
the git data API, run the gate on that head (its commits start no workflow) and post the
result as the ``gate`` commit status branch protection requires, and open the one intake PR
or update it. Re-running with nothing new, or with the same result already on the branch
and its status, changes nothing and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from toyfoundry_ci.actions import _git
from toyfoundry_ci.actions.catchup import SealReport, on_hub, pending_orders, seal_pending
from toyfoundry_ci.actions.gate import GATE_CONTEXT, post_status, run_gate
from toyfoundry_ci.actions.hub_choice import ci_hub, no_hub_notice
from toyfoundry_ci.actions.merge import seals_md
from toyfoundry_ci.actions.report import annotation
from toyfoundry_ci.actions.runner import RunnerContext
from toyfoundry_ci.base.canonical import sha256_file
from toyfoundry_ci.base.git import blob_id
from toyfoundry_ci.base.ids import is_order_id
from toyfoundry_ci.base.kinds import kind_for_path, max_bytes_for
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.lock import repository_lock
from toyfoundry_ci.base.markdown import (
    COMMENT_LIMIT,
    TABLE_ROWS,
    cell,
    checked_id,
    code,
    fit,
    table,
)
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.base.reader import read_present
from toyfoundry_ci.exchange.log import append_run, fold_log, read_log
from toyfoundry_ci.exchange.pull import PullResult, pull
from toyfoundry_ci.hub.config import open_hub
from toyfoundry_ci.hub.protocol import Hub, Inventory, inventory
from toyfoundry_ci.ledger.index import entry_names, rebuild_index
from toyfoundry_ci.readiness import require_not_halted
from toyfoundry_ci.readiness.log import fold_runs

if TYPE_CHECKING:
    from github import Github
    from github.Repository import Repository

    from toyfoundry_ci.ledger.verify import GitHubCheck

BRANCH = "toyfoundry/intake"
MARKER = "<!-- toyfoundry:intake -->"
# What an intake may change; anything else in the checkout is left out of the PR.
INTAKE_PATHS = (
    "exchange",
    "outbox",
    "planning/storyboard",
    ".toyfoundry/telemetry/quilt/exports",
    "logs/exchange_all.json",
    "logs/exchange_all.d",
    "logs/ops_readiness.json",
    "logs/ops_readiness.d",
)
# The logs (and their folding): not a reason for a commit by itself.
LOG_PATHS = INTAKE_PATHS[-4:]

BranchState = Literal["committed", "unchanged", "nothing-to-do", "no-hub"]
PullRequestState = Literal["created", "updated", "unchanged", "none"]


@dataclass
class IntakeOutcome:
    summary: str
    annotations: str
    branch: BranchState
    pull_request: PullRequestState
    number: int | None = None
    commit: str | None = None
    paths: list[str] = field(default_factory=list)
    gate_ok: bool = True  # the gate on the head written (always green when nothing was)


def run_intake(ctx: RunnerContext, root: Path, gh: Github, hub: str | None = None) -> IntakeOutcome:
    """Pull, seal what the hub holds, and keep the one intake PR for the checkout at ``root``."""
    with repository_lock(root, purpose="ci intake"):
        return _intake(ctx, root, gh, hub)


def _intake(ctx: RunnerContext, root: Path, gh: Github, hub: str | None) -> IntakeOutcome:
    layout = Layout(root)
    require_not_halted(layout, "pull")
    cfg = ci_hub(layout, hub)
    if cfg is None:
        said = no_hub_notice("nothing was pulled")
        return IntakeOutcome(f"{code(said)}\n", annotation("notice", said), "no-hub", "none")
    source = open_hub(layout, cfg.spec)
    pulled = pull(layout, source)
    held = inventory(source, factory=cfg.factory)
    pushed = [o for o in pending_orders(layout) if on_hub(layout, held, o)]
    seals = seal_pending(layout, gh, ctx.repository, pushed)
    _record_receipts(layout, source, held, seals)
    # The serialized writers' part: the index brought current, the logs' records folded.
    if layout.ledger_index.exists() or entry_names(layout):
        rebuild_index(layout)
    fold_log(layout)
    fold_runs(layout)
    paths = _git.status_paths(root, INTAKE_PATHS)
    body = _body(pulled, seals, paths, held.refused)
    repo = gh.get_repo(ctx.repository)
    if not [p for p in paths if not _is_log(p)]:
        summary = f"{body}\n\nNothing new from the hub and nothing to record: nothing to do.\n"
        return IntakeOutcome(summary, "", "nothing-to-do", "none")
    branch, tip = commit_intake(repo, root, ctx.sha, paths)
    # Its commits start no workflow: the gate runs here, on what was committed, and its
    # result is posted where branch protection looks for the required check.
    gate = run_gate(layout, ctx.sha, github_check=_sealed_here(layout, seals))
    post_status(repo, tip, gate, again=branch == "unchanged")
    state, number = open_or_update(repo, ctx.repository, _title(pulled, seals), body)
    commit = tip if branch == "committed" else None
    said = {"committed": f"committed {commit}", "unchanged": "already holds this intake"}[branch]
    summary = (
        f"{body}\n\nBranch `{BRANCH}` {said}; intake PR #{number} {state}; status"
        f" `{GATE_CONTEXT}` on {tip}: {'success' if gate.ok else 'failure'}.\n\n{gate.summary}"
    )
    notes = [annotation("notice", f"intake PR #{number} {state}")]
    if not gate.ok:
        said = f"the gate is red on the intake head {tip}: the intake PR shows why"
        notes.append(annotation("warning", said))
    return IntakeOutcome(summary, "\n".join(notes), branch, state, number, commit, paths, gate.ok)


def _sealed_here(layout: Layout, seals: SealReport) -> GitHubCheck:
    """The github seals this run derived from GitHub's reviews count; any other does not."""
    made = {
        layout.rel(layout.ledger_entry_file(r.order_id)): r.signoff
        for _, r in seals.sealed
        if r.sealed
    }

    def check(rel: str, seal: dict[str, Any]) -> str | None:
        ours = made.get(rel)
        if ours is not None and ours.model_dump(mode="json", exclude_none=True) == {
            k: v for k, v in seal.items() if v is not None
        }:
            return None
        return "a github seal this intake run did not derive from the pull request's reviews"

    return check


def _record_receipts(layout: Layout, hub: Hub, held: Inventory, seals: SealReport) -> None:
    """Log each receipt that covers a newly sealed order and the log does not name yet."""
    logged = {run.receipt_id for run in read_log(layout).runs if run.receipt_id}
    by_receipt: dict[str, list[tuple[str, str]]] = {}
    for _number, result in seals.sealed:
        receipt = on_hub(layout, held, result.order_id)
        if receipt is not None and receipt not in logged:
            digest = sha256_file(layout.order_file(result.order_id))
            by_receipt.setdefault(receipt, []).append((result.order_id, digest))
    for receipt, orders in sorted(by_receipt.items()):
        append_run(
            layout,
            direction="push",
            hub=hub.display,
            orders=orders,
            result="ok",
            receipt_id=receipt,
            detail="recorded by intake from the hub's receipt (pushed by the merge run)",
        )


def _title(pulled: PullResult, seals: SealReport) -> str:
    parts = []
    if pulled.new or pulled.changed:
        parts.append(f"{plural(len(pulled.new) + len(pulled.changed), 'directive')} from the hub")
    if seals.sealed:
        parts.append(f"{plural(len(seals.sealed), 'sign-off')} recorded")
    return "Intake: " + ("; ".join(parts) or "exchange records")


def _body(
    pulled: PullResult, seals: SealReport, paths: list[str], refused: list[tuple[str, str]]
) -> str:
    lines = [MARKER, f"## toyfoundry intake from {code(pulled.hub)}: {pulled.result}", ""]
    rows = [[checked_id(o, is_order_id), "new"] for o, _ in pulled.new]
    rows += [[checked_id(o, is_order_id), "changed"] for o, _ in pulled.changed]
    rows += [[cell(q.hub_path), f"quarantined: {cell(q.reason)}"] for q in pulled.quarantined]
    rows += [[cell(path), f"receipt refused: {cell(why)}"] for path, why in refused]
    seen = {path for path, _ in refused}
    rows += [[cell(p), f"refused: {cell(why)}"] for p, why in pulled.refused if p not in seen]
    lines.append(table(["directive", "pulled"], rows) if rows else "no new directives")
    lines += ["", seals_md(seals), "", f"### Files ({len(paths)})", ""]
    lines += [f"- {code(p)}" for p in paths[:TABLE_ROWS]]
    if len(paths) > TABLE_ROWS:
        lines.append(f"- … and {len(paths) - TABLE_ROWS} more")
    return fit("\n".join(lines), COMMENT_LIMIT, "the intake branch holds every file")


def commit_intake(
    repo: Repository, root: Path, base: str, paths: list[str]
) -> tuple[Literal["committed", "unchanged"], str]:
    """One commit on ``base`` with ``paths`` as in the checkout, on the intake branch; the
    branch's head after it is returned.

    When the branch already holds every path as it is here (the log aside), nothing is
    written. Otherwise the branch is reset to the new commit: it belongs to this workflow,
    is rebuilt from main on every run, and is reviewed only through its PR.
    """
    from github import GithubException, InputGitTreeElement

    try:
        ref = repo.get_git_ref(f"heads/{BRANCH}")
    except GithubException as exc:
        if exc.status != 404:
            raise
        ref = None
    if ref is not None:
        from toyfoundry_ci.github.trees import tree_files

        folders = {p.rsplit("/", 1)[0] for p in paths}
        listed = tree_files(
            repo, ref.object.sha, lambda f: any(g == f or g.startswith(f"{f}/") for g in folders)
        )
        there = {path: found.sha for path, found in listed.items()}
        if all(there.get(p) == _local_blob(root, p) for p in paths if not _is_log(p)):
            return "unchanged", ref.object.sha
    elements = []
    for rel in paths:
        data = _local(root, rel)
        if data is None:
            elements.append(InputGitTreeElement(rel, "100644", "blob", sha=None))
            continue
        try:
            elements.append(InputGitTreeElement(rel, "100644", "blob", content=data.decode()))
        except UnicodeDecodeError:
            import base64

            blob = repo.create_git_blob(base64.b64encode(data).decode(), "base64")
            elements.append(InputGitTreeElement(rel, "100644", "blob", sha=blob.sha))
    head = repo.get_git_commit(base)
    tree = repo.create_git_tree(elements, base_tree=head.tree)
    commit = repo.create_git_commit(f"Intake from the hub onto {base[:12]}", tree, [head])
    if ref is None:
        repo.create_git_ref(f"refs/heads/{BRANCH}", commit.sha)
    else:
        ref.edit(commit.sha, force=True)  # the bot's own branch, rebuilt on main (see doc)
    return "committed", commit.sha


def _local(root: Path, rel: str) -> bytes | None:
    return read_present(root / rel, max_bytes_for(kind_for_path(rel)))


def _local_blob(root: Path, rel: str) -> str | None:
    data = _local(root, rel)
    return None if data is None else blob_id(data)


def _is_log(path: str) -> bool:
    return any(path == log or path.startswith(f"{log}/") for log in LOG_PATHS)


def open_or_update(
    repo: Repository, repository: str, title: str, body: str
) -> tuple[PullRequestState, int]:
    """The one open intake PR: created when there is none, else edited in place."""
    owner = repository.split("/", maxsplit=1)[0]
    base = repo.default_branch
    for pr in repo.get_pulls(state="open", head=f"{owner}:{BRANCH}", base=base):
        if pr.title == title and (pr.body or "") == body:
            return "unchanged", int(pr.number)
        pr.edit(title=title, body=body)
        return "updated", int(pr.number)
    created = repo.create_pull(base=base, head=BRANCH, title=title, body=body)
    return "created", int(created.number)
