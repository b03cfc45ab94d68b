"""``toyfoundry ci pr``: the pull_request entry point.

Readiness, validation of the artifacts the PR changes, the pairing table and the ledger diff
go to the step summary and to the one PR comment; problems become annotations. On a
same-repository PR a stale ``exchange/ledger/index.json`` is rebuilt and committed to the PR
branch as one bot commit through the git data API (a fast-forward, never forced); a fork PR
gets the new index as a suggestion in the comment, since its token cannot write.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from toyfoundry_ci.actions import _git
from toyfoundry_ci.actions.comment import CommentAction, upsert_comment
from toyfoundry_ci.actions.report import cell, readiness_md
from toyfoundry_ci.actions.runner import PullRequestInfo, RunnerContext
from toyfoundry_ci.base.git import blob_id
from toyfoundry_ci.base.kinds import kind_for_path
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import read_artifact
from toyfoundry_ci.ledger.index import fresh_index
from toyfoundry_ci.ledger.pairing import pair
from toyfoundry_ci.ledger.render import PAIRING_RENDERERS
from toyfoundry_ci.readiness import run_readiness
from toyfoundry_ci.validation.checker import FileResult, check_files
from toyfoundry_ci.validation.reporting import report_github

if TYPE_CHECKING:
    from github import Github
    from github.Repository import Repository

INDEX_PATH = "exchange/ledger/index.json"
ENTRIES = "exchange/ledger/entries/"
BOT_MESSAGE = "Rebuild the ledger index for the entries of this pull request"

IndexState = Literal[
    "current", "committed", "already-committed", "suggested", "branch-moved", "no-ledger"
]


@dataclass
class PrOutcome:
    ok: bool
    summary: str
    annotations: str
    index: IndexState
    comment: CommentAction | None = None
    commit: str | None = None
    notes: list[str] = field(default_factory=list)


def run_pr(ctx: RunnerContext, root: Path, gh: Github | None) -> PrOutcome:
    """Report on the PR of ``ctx`` from the checkout at ``root`` (its head commit).

    Run from ``root``: annotations name files relative to it, as GitHub expects.
    """
    pr = ctx.pull_request()
    layout = Layout(root)
    changed = _git.changed_files(root, pr.base_sha, pr.head_sha)
    artifacts = [p for p in changed if kind_for_path(p) and (root / p).is_file()]
    results = check_files(str(root / p) for p in artifacts)
    for result in results:
        result.path = layout.rel(Path(result.path))
    readiness_ok, readiness_md = _readiness(layout)
    fresh = _fresh_index(layout)
    repo = gh.get_repo(ctx.repository) if gh is not None else None
    index, commit, index_md = _keep_index(layout, pr, fresh, repo)
    sections = [
        f"## toyfoundry: pull request #{pr.number}",
        readiness_md,
        _validation_md(results),
        _pairing_md(layout),
        _ledger_diff_md(root, pr, changed),
        index_md,
    ]
    summary = "\n\n".join(s for s in sections if s) + "\n"
    ok = readiness_ok and all(r.ok for r in results)
    outcome = PrOutcome(ok, summary, report_github(results), index, commit=commit)
    if repo is not None:
        outcome.comment = upsert_comment(repo, pr.number, summary)
    return outcome


def _readiness(layout: Layout) -> tuple[bool, str]:
    result = run_readiness(layout, record=False)
    return result.green, readiness_md(result)


def _validation_md(results: list[FileResult]) -> str:
    if not results:
        return "### Changed artifacts\n\nthis pull request changes no artifacts"
    rows = ["### Changed artifacts", "", "| file | kind | result |", "|---|---|---|"]
    for r in results:
        verdict = "valid" if r.ok else "; ".join(f"{p.where}: {p.message}" for p in r.problems)
        rows.append(f"| {cell(r.path)} | {r.kind or '?'} | {cell(verdict)} |")
    return "\n".join(rows)


def _pairing_md(layout: Layout) -> str:
    return "### Pairing\n\n" + PAIRING_RENDERERS["markdown"](pair(layout))


def _ledger_diff_md(root: Path, pr: PullRequestInfo, changed: list[str]) -> str:
    entries = [p for p in changed if p.startswith(ENTRIES) and p.endswith(".json")]
    if not entries:
        return "### Ledger\n\nno ledger entries added or changed"
    rows = ["### Ledger", "", "| order | change | sign-off |", "|---|---|---|"]
    for path in entries:
        change = "changed" if _git.exists_at(root, pr.base_sha, path) else "added"
        value = read_artifact(root / path) if (root / path).is_file() else None
        state = _signoff_state(value) if value is not None else "removed"
        rows.append(f"| {cell(Path(path).stem)} | {change} | {state} |")
    return "\n".join(rows)


def _signoff_state(value: Any) -> str:
    if isinstance(value, dict) and isinstance(value.get("signoff"), dict):
        return cell(str(value["signoff"].get("state", "?")))
    return "unreadable"


def _fresh_index(layout: Layout) -> bytes | None:
    if not layout.ledger_entries.is_dir():
        return None  # no ledger yet: nothing to keep current
    return fresh_index(layout)


def _keep_index(
    layout: Layout, pr: PullRequestInfo, fresh: bytes | None, repo: Repository | None
) -> tuple[IndexState, str | None, str]:
    if fresh is None:
        return "no-ledger", None, ""
    current = layout.ledger_index.read_bytes() if layout.ledger_index.is_file() else None
    if current == fresh:
        return "current", None, "### Ledger index\n\n`exchange/ledger/index.json` is current"
    if not pr.same_repo or repo is None:
        return "suggested", None, _suggestion(fresh)
    state, sha = commit_index(repo, pr, fresh)
    said = {
        "committed": f"rebuilt and committed to `{cell(pr.head_ref)}` as {sha}",
        "already-committed": "already rebuilt on the PR branch by an earlier run; nothing to do",
        "branch-moved": "stale, but the branch moved on; the run for its new head rebuilds it",
    }[state]
    return state, sha, f"### Ledger index\n\n`{INDEX_PATH}` {said}"


def _suggestion(fresh: bytes) -> str:
    return (
        "### Ledger index\n\n"
        f"`{INDEX_PATH}` is stale. This PR comes from a fork, so it cannot be updated for you:"
        " run `toyfoundry ledger index` and commit the result, or replace the file with:\n\n"
        f"<details><summary>{INDEX_PATH}</summary>\n\n```json\n{fresh.decode()}```\n</details>"
    )


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
