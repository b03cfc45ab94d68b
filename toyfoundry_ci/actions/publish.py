"""``toyfoundry ci pr-publish``: the one write of the pull_request workflow, in a job that
runs no PR code.

It reads the report ``ci pr`` handed over (a file the PR's code wrote, so bounded and
checked here) and the PR from its own event payload, and creates or edits the one report
comment. It commits nothing: the PR branch carries only what its author pushed, so a review
is never dismissed by a bot commit, and the ledger index is the readiness report's to
describe. A fork's PR is left alone: its report is in ``ci pr``'s step summary. A token that
may not write (a Dependabot PR's is read-only) gets a notice instead of a comment: the job
stays green.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from toyfoundry_ci.actions.comment import CommentAction, bot_logins, upsert_comment
from toyfoundry_ci.actions.pr import HANDOFF_REPORT
from toyfoundry_ci.actions.runner import RunnerContext, RunnerError
from toyfoundry_ci.base.markdown import SUMMARY_LIMIT
from toyfoundry_ci.base.reader import MISSING, UnreadableError, read_file

if TYPE_CHECKING:
    from github import Github

READ_ONLY_NOTICE = (
    "this run's token is read-only (a fork's or Dependabot's PR):"
    " the report is in the step summary, not in a comment"
)
MAX_REPORT = SUMMARY_LIMIT  # what the pr job's summary holds; the comment is cut to its own


@dataclass
class PublishOutcome:
    summary: str
    comment: CommentAction | None = None


def run_publish(ctx: RunnerContext, handoff: Path, gh: Github) -> PublishOutcome:
    """Keep the one report comment for the PR of ``ctx``."""
    pr = ctx.pull_request()
    report = _read(handoff / HANDOFF_REPORT, MAX_REPORT)
    if report is None:
        raise RunnerError(
            f"{handoff / HANDOFF_REPORT} is missing: the pr job hands it over",
            hint="run `toyfoundry ci pr --handoff DIR` first and download its artifact to DIR",
        )
    if not pr.same_repo:
        said = "a fork's PR: nothing written; the report is in the pr job's step summary"
        return PublishOutcome(f"### PR comment\n\n{said}\n")
    repo = gh.get_repo(ctx.repository)
    body = report.decode("utf-8", errors="replace").rstrip()
    comment = upsert_comment(repo, pr.number, body, bot_logins(ctx.bot_login))
    return PublishOutcome(f"### PR comment\n\n{comment}\n", comment)


def _read(path: Path, bound: int) -> bytes | None:
    """A handed-over file (written by the PR's code): a regular file within ``bound``."""
    try:
        return read_file(path, bound)
    except UnreadableError as exc:
        if exc.reason == MISSING:
            return None
        raise RunnerError(f"{path}: {exc.reason}; refusing to publish it") from None
