"""``toyfoundry ci gate``: the required check of every pull request and merge group.

``ledger verify --base`` against the merge base (the entries the change touches: added ones
pending, changed ones only pending -> sealed by a seal that re-verifies, under the base's
policy) and readiness, on the checkout of the head. The workflow runs this with the base
branch's code installed, never the head's, so a change cannot edit the verifier that checks
it. The intake run, whose commits start no workflow, runs the same gate on the head it wrote
and posts the result as the commit status GitHub's branch protection asks for
(:func:`post_status`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from toyfoundry_ci.actions import _git
from toyfoundry_ci.actions.base_store import base_store_md, restore_base_store
from toyfoundry_ci.actions.report import readiness_md
from toyfoundry_ci.actions.runner import RunnerContext, RunnerError, sha_field
from toyfoundry_ci.base.markdown import cell, code, table
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.ledger.render import PROBLEM_RENDERERS
from toyfoundry_ci.ledger.scope import change_scope
from toyfoundry_ci.ledger.verify import GitHubCheck, verify
from toyfoundry_ci.readiness import run_readiness

if TYPE_CHECKING:
    from pathlib import Path

    from github.Repository import Repository

    from toyfoundry_ci.base.layout import Layout

# The required check's name: the workflow job's name, and the status the intake run posts.
GATE_CONTEXT = "gate"
_EVENTS = ("pull_request", "merge_group")


@dataclass(frozen=True, slots=True)
class GateRange:
    """The commits one gate run compares: the event's base and head."""

    base: str
    head: str


@dataclass
class GateOutcome:
    ok: bool
    summary: str
    annotations: str
    merge_base: str
    problems: int
    readiness_green: bool

    @property
    def description(self) -> str:
        """The status line GitHub shows beside the check (at most 140 characters)."""
        if self.ok:
            return f"ledger verified against {self.merge_base[:12]}; readiness green"
        red = [plural(self.problems, "ledger problem")] if self.problems else []
        red += [] if self.readiness_green else ["readiness red"]
        return f"red: {', '.join(red)}; see the run's summary"


def gate_range(ctx: RunnerContext) -> GateRange:
    """Base and head of a ``pull_request`` or ``merge_group`` event."""
    if ctx.event_name == "merge_group":
        group = ctx.event.get("merge_group")
        if not isinstance(group, Mapping):
            raise RunnerError("the merge_group event carries no merge group")
        return GateRange(sha_field(group, "base_sha"), sha_field(group, "head_sha"))
    if ctx.event_name == "pull_request":
        pr = ctx.pull_request()
        return GateRange(pr.base_sha, pr.head_sha)
    raise RunnerError(
        f"the gate runs on {' and '.join(_EVENTS)} events, not {ctx.event_name!r}",
        hint="run `toyfoundry ledger verify --base REV` and `toyfoundry readiness` by hand",
    )


def run_gate(
    layout: Layout,
    base: str,
    *,
    head: str | None = None,
    github_check: GitHubCheck | None = None,
    base_store: Path | None = None,
) -> GateOutcome:
    """Verify the change against the merge base of ``base`` and HEAD, then readiness.

    The merge base's committed state is trusted (the protected branch's gate passed it):
    ``ledger verify --base`` reads what the change touched (``ledger.scope``) and the index
    by its splice; readiness starts from ``base_store``, the base's units from the default
    branch's run (``actions.base_store``), and checks every unit without one.

    ``head``, when given, is the commit the checkout must be at (the event's head); the
    intake run gates its work tree, which holds what it committed through the API.
    """
    git = _git.checkout(layout.root)
    if head is not None:
        at = git.text("rev-parse", "HEAD").strip()
        if at != head:
            raise RunnerError(
                f"the checkout is at {at}, not at the head being gated ({head})",
                hint="check out the event's head: actions/checkout with `ref:` the head SHA",
            )
    merge_base = git.text("merge-base", base, "HEAD").strip()
    # The policy of the branch the change lands on (its tip), never an older merge base's.
    # A runner's checkout of the event's head holds exactly that commit: its tree is compared.
    scope = change_scope(layout, merge_base, work_tree=head is None)
    problems = verify(
        layout, base=merge_base, github_check=github_check, policy_at=base, scope=scope
    )
    restored = restore_base_store(layout, base_store, merge_base)
    readiness = run_readiness(layout, record=False, checkout=head is not None)
    ok = not problems and readiness.green
    verdict = "green" if ok else "red"
    lines = [
        f"## toyfoundry gate: {verdict}",
        "",
        f"`ledger verify --base {merge_base[:12]}` (the merge base of {code(base[:12])})"
        f" over the {plural(len(scope.paths), 'file')} the change touches and the"
        " index, and readiness, run with the base branch's code.",
        "",
        "### Ledger",
        "",
    ]
    if problems:
        rows = [[cell(p.file), cell(p.where), cell(p.message)] for p in problems]
        lines.append(table(["file", "where", "problem"], rows))
    else:
        lines.append("verified: the entries changed since the merge base follow the rules")
    lines += ["", readiness_md(readiness), "", base_store_md(restored)]
    annotations = PROBLEM_RENDERERS["github"](problems, ()) if problems else ""
    summary = "\n".join(lines) + "\n"
    return GateOutcome(ok, summary, annotations, merge_base, len(problems), readiness.green)


def post_status(repo: Repository, sha: str, outcome: GateOutcome, *, again: bool = False) -> None:
    """The gate's result on ``sha`` as the commit status named like the required check.

    ``again``: a head posted to before; nothing is written when its latest ``gate`` status
    already says the same (a re-run after a crash between commit and status still posts).
    """
    from github import GithubException, RateLimitExceededException

    state = "success" if outcome.ok else "failure"
    if again and _latest_state(repo, sha) == state:
        return
    status = {"state": state, "description": outcome.description, "context": GATE_CONTEXT}
    try:  # straight to the endpoint: Repository.get_commit would first fetch the commit
        repo.requester.requestJsonAndCheck("POST", f"{repo.url}/statuses/{sha}", input=status)
    except GithubException as exc:
        if exc.status != 403 or isinstance(exc, RateLimitExceededException):
            raise
        raise RunnerError(
            f"GitHub refused the {GATE_CONTEXT!r} status on {sha} (403): this run's token may"
            " not write commit statuses, so branch protection sees no required check there",
            hint="give the job `permissions: statuses: write` (a GitHub App token needs the"
            " Commit statuses write permission), then run the workflow again",
        ) from None


def _latest_state(repo: Repository, sha: str) -> str | None:
    """The state of the newest ``gate`` status on ``sha`` (GitHub lists newest first)."""
    from github.CommitStatus import CommitStatus
    from github.PaginatedList import PaginatedList

    url = f"{repo.url}/commits/{sha}/statuses"
    for status in PaginatedList(CommitStatus, repo.requester, url, None):
        if status.context == GATE_CONTEXT:
            return str(status.state)
    return None
