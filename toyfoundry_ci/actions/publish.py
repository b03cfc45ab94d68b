"""``toyfoundry ci pr-publish``: the writes of the pull_request workflow, in a job that runs
no PR code.

It reads what ``ci pr`` handed over (the report and, when stale, the rebuilt index: files the
PR's code wrote, so bounded and checked here) and the PR from its own event payload, commits
the index to a same-repository PR branch as one bot commit through the git data API (a
fast-forward onto the head the report was made for, never forced), and creates or edits the
one report comment. A fork's PR is left alone: its report and suggestion are in ``ci pr``'s
step summary. A token that may not write (a Dependabot PR's is read-only) gets the index as a
suggestion instead of a commit, and a notice instead of a comment: the job stays green.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from toyfoundry_ci.actions.comment import CommentAction, bot_logins, upsert_comment
from toyfoundry_ci.actions.pr import (
    BOT_MESSAGE,
    HANDOFF_INDEX,
    HANDOFF_REPORT,
    INDEX_PATH,
    IndexState,
    suggestion,
)
from toyfoundry_ci.actions.runner import PullRequestInfo, RunnerContext, RunnerError
from toyfoundry_ci.base.git import blob_id
from toyfoundry_ci.base.markdown import SUMMARY_LIMIT, code
from toyfoundry_ci.base.reader import MISSING, UnreadableError, read_file

if TYPE_CHECKING:
    from github import Github
    from github.Repository import Repository

READ_ONLY_NOTICE = (
    "this run's token is read-only (a fork's or Dependabot's PR):"
    " the report is in the step summary, not in a comment"
)
MAX_REPORT = SUMMARY_LIMIT  # what the pr job's summary holds; the comment is cut to its own
MAX_INDEX = 8 * 1024 * 1024


@dataclass
class PublishOutcome:
    summary: str
    index: IndexState
    comment: CommentAction | None = None
    commit: str | None = None


def run_publish(ctx: RunnerContext, handoff: Path, gh: Github) -> PublishOutcome:
    """Commit the handed-over index and keep the one comment for the PR of ``ctx``."""
    pr = ctx.pull_request()
    report = _read(handoff / HANDOFF_REPORT, MAX_REPORT)
    if report is None:
        raise RunnerError(
            f"{handoff / HANDOFF_REPORT} is missing: the pr job hands it over",
            hint="run `toyfoundry ci pr --handoff DIR` first and download its artifact to DIR",
        )
    fresh = _read(handoff / HANDOFF_INDEX, MAX_INDEX)
    if fresh is not None:
        _require_json(handoff / HANDOFF_INDEX, fresh)
    if not pr.same_repo:
        said = "a fork's PR: nothing written; the report is in the pr job's step summary"
        return PublishOutcome(f"### Ledger index\n\n{said}\n", "suggested")
    repo = gh.get_repo(ctx.repository)
    index: IndexState = "current"
    commit: str | None = None
    index_md = "### Ledger index\n\nnothing to commit: the PR's index is current"
    if fresh is not None:
        index, commit, index_md = _keep_index(repo, pr, fresh)
    body = report.decode("utf-8", errors="replace").rstrip() + f"\n\n{index_md}"
    comment = upsert_comment(repo, pr.number, body, bot_logins(ctx.bot_login))
    return PublishOutcome(index_md + "\n", index, comment, commit)


def _keep_index(
    repo: Repository, pr: PullRequestInfo, fresh: bytes
) -> tuple[IndexState, str | None, str]:
    """Commit the rebuilt index; a token that may not write gets it as a suggestion."""
    from github import GithubException, RateLimitExceededException

    try:
        state, commit = commit_index(repo, pr, fresh)
    except GithubException as exc:
        if exc.status != 403 or isinstance(exc, RateLimitExceededException):
            raise
        said = "This run's token is read-only, so it cannot be updated for you:"
        return "suggested", None, suggestion(fresh, said)
    said = {
        "committed": f"rebuilt and committed to {code(pr.head_ref)} as {commit}",
        "already-committed": "already rebuilt on the PR branch by an earlier run",
        "branch-moved": "stale, but the branch moved on; the run for its new head rebuilds it",
    }[state]
    return state, commit, f"### Ledger index\n\n`{INDEX_PATH}` {said}"


def _read(path: Path, bound: int) -> bytes | None:
    """A handed-over file (written by the PR's code): a regular file within ``bound``."""
    try:
        return read_file(path, bound)
    except UnreadableError as exc:
        if exc.reason == MISSING:
            return None
        raise RunnerError(f"{path}: {exc.reason}; refusing to publish it") from None


def _require_json(path: Path, data: bytes) -> None:
    try:
        value = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RunnerError(f"{path} is not JSON ({exc}); refusing to commit it") from exc
    if not isinstance(value, dict):
        raise RunnerError(f"{path} is not a JSON object; refusing to commit it")


def commit_index(
    repo: Repository, pr: PullRequestInfo, fresh: bytes
) -> tuple[Literal["committed", "already-committed", "branch-moved"], str | None]:
    """One bot commit with the rebuilt index on the PR branch, fast-forward only."""
    from github import GithubException, InputGitTreeElement

    ref = repo.get_git_ref(f"heads/{pr.head_ref}")
    tip = ref.object.sha
    if _index_blob_at(repo, tip) == blob_id(fresh):
        return "already-committed", None
    if tip != pr.head_sha:
        return "branch-moved", None
    head = repo.get_git_commit(tip)
    blob = repo.create_git_blob(fresh.decode("utf-8"), "utf-8")
    tree = repo.create_git_tree(
        [InputGitTreeElement(INDEX_PATH, "100644", "blob", sha=blob.sha)], base_tree=head.tree
    )
    commit = repo.create_git_commit(BOT_MESSAGE, tree, [head])
    try:
        ref.edit(commit.sha, force=False)
    except GithubException as exc:
        if exc.status == 422:  # someone pushed meanwhile: their run takes over
            return "branch-moved", None
        raise
    return "committed", commit.sha


def _index_blob_at(repo: Repository, sha: str) -> str | None:
    from github import GithubException

    try:
        contents = repo.get_contents(INDEX_PATH, ref=sha)
    except GithubException as exc:
        if exc.status == 404:
            return None
        raise
    return None if isinstance(contents, list) else contents.sha
