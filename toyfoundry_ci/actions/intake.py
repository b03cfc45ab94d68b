"""``toyfoundry ci intake``: the schedule / workflow_dispatch entry point.

Pull new directives from the hub; seal the pending entries whose evidence the hub already
holds (pushed by a merge run: each file at its path with the same bytes, under one of this
factory's valid receipts; a receipt alone is never enough) and record their receipts in
``logs/exchange_all.json``; then
commit whatever the lot changed under the exchange folders to the one intake branch through
the git data API, and open the one intake PR or update it. Re-running with nothing new, or
with the same result already on the branch, changes nothing and says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from toyfoundry_ci.actions import _git
from toyfoundry_ci.actions.catchup import SealReport, on_hub, pending_orders, seal_pending
from toyfoundry_ci.actions.hub_choice import ci_hub, no_hub_notice
from toyfoundry_ci.actions.merge import seals_md
from toyfoundry_ci.actions.report import annotation
from toyfoundry_ci.actions.runner import RunnerContext
from toyfoundry_ci.base.canonical import sha256_file
from toyfoundry_ci.base.git import blob_id
from toyfoundry_ci.base.ids import is_order_id
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
from toyfoundry_ci.exchange.log import append_run, read_log
from toyfoundry_ci.exchange.pull import PullResult, pull
from toyfoundry_ci.hub.config import open_hub
from toyfoundry_ci.hub.protocol import Hub, Inventory, inventory
from toyfoundry_ci.readiness import require_not_halted

if TYPE_CHECKING:
    from github import Github
    from github.Repository import Repository

BRANCH = "toyfoundry/intake"
MARKER = "<!-- toyfoundry:intake -->"
# What an intake may change; anything else in the checkout is left out of the PR.
INTAKE_PATHS = (
    "exchange",
    "outbox",
    "planning/storyboard",
    ".toyfoundry/telemetry/quilt/exports",
    "logs/exchange_all.json",
)
# Appended by every pull, even one with nothing new: not a reason for a commit by itself.
LOG_PATH = "logs/exchange_all.json"

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
    paths = _git.status_paths(root, INTAKE_PATHS)
    body = _body(pulled, seals, paths, held.refused)
    repo = gh.get_repo(ctx.repository)
    if not [p for p in paths if p != LOG_PATH]:
        summary = f"{body}\n\nNothing new from the hub and nothing to record: nothing to do.\n"
        return IntakeOutcome(summary, "", "nothing-to-do", "none")
    branch, commit = commit_intake(repo, root, ctx.sha, paths)
    state, number = open_or_update(repo, ctx.repository, _title(pulled, seals), body)
    said = {"committed": f"committed {commit}", "unchanged": "already holds this intake"}[branch]
    summary = f"{body}\n\nBranch `{BRANCH}` {said}; intake PR #{number} {state}.\n"
    note = annotation("notice", f"intake PR #{number} {state}")
    return IntakeOutcome(summary, note, branch, state, number, commit, paths)


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
        # The publication commit is a head this factory saw: the next run, on any runner,
        # refuses the hub if its branch no longer descends from it.
        publication = held.receipts[receipt].publication
        append_run(
            layout,
            direction="push",
            hub=hub.display,
            orders=orders,
            result="ok",
            receipt_id=receipt,
            detail="recorded by intake from the hub's receipt (pushed by the merge run)"
            + (f", publication {publication}" if publication else ""),
            head=publication,
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
    lines.append(table(["directive", "pulled"], rows) if rows else "no new directives")
    lines += ["", seals_md(seals), "", f"### Files ({len(paths)})", ""]
    lines += [f"- {code(p)}" for p in paths[:TABLE_ROWS]]
    if len(paths) > TABLE_ROWS:
        lines.append(f"- … and {len(paths) - TABLE_ROWS} more")
    return fit("\n".join(lines), COMMENT_LIMIT, "the intake branch holds every file")


def commit_intake(
    repo: Repository, root: Path, base: str, paths: list[str]
) -> tuple[Literal["committed", "unchanged"], str | None]:
    """One commit on ``base`` with ``paths`` as in the checkout, on the intake branch.

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
        if all(there.get(p) == _local_blob(root / p) for p in paths if p != LOG_PATH):
            return "unchanged", None
    elements = []
    for rel in paths:
        path = root / rel
        if not path.is_file():
            elements.append(InputGitTreeElement(rel, "100644", "blob", sha=None))
            continue
        data = path.read_bytes()
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


def _local_blob(path: Path) -> str | None:
    return blob_id(path.read_bytes()) if path.is_file() else None


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
