"""Who may sign off on GitHub: the approvals of a pull request that count, or why none do.

For the PR's head commit, the latest state-bearing review (APPROVED, CHANGES_REQUESTED,
DISMISSED; compared by user ID, never by login) of each reviewer is read. An APPROVED one
counts when it is of the head commit and its reviewer can push to the repository
(``GET /repos/{o}/{r}/collaborators/{u}/permission``: ``user.permissions.push``, or a
permission of write, maintain or admin), is no bot, is not the PR's author and authored or
committed none of the PR's commits (``GET /repos/{o}/{r}/pulls/{n}/commits``, matched by user
ID, and ``Co-authored-by:`` trailers by their GitHub no-reply address). A commit whose author
or committer links to no account, a co-author with another address, or a PR of 250 commits
or more (all the API lists) make the rule fail closed, naming why. The latest
CHANGES_REQUESTED of a reviewer who can push blocks. ``signoff.approvals`` (default 1) counts
are needed, and where the policy has a CODEOWNERS file, one of them must come from an owner
of each evidence path (a team's members are read through the API; a team the token cannot
read is not satisfied, with that reason). The policy is read from the base, never the PR.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from toyfoundry_ci.base.errors import ToyfoundryError
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.ledger import codeowners
from toyfoundry_ci.ledger.policy import SignoffPolicy
from toyfoundry_ci.models.ledger import Approval

if TYPE_CHECKING:
    from github import Github
    from github.PullRequest import PullRequest
    from github.PullRequestReview import PullRequestReview

# Reviews that set a reviewer's verdict; COMMENTED and PENDING leave it as it was (as on GitHub).
VERDICTS = {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}
PUSH_PERMISSIONS = ("admin", "maintain", "write")
COMMITS_LISTED = 250  # GitHub lists no more commits of a pull request than this
_CO_AUTHOR = re.compile(r"^co-authored-by:\s*(.*?)\s*<([^<>]*)>\s*$", re.IGNORECASE | re.MULTILINE)
_NOREPLY = re.compile(r"^(?:\d+\+)?([A-Za-z0-9-]+)@users\.noreply\.github\.com$", re.IGNORECASE)


@dataclass(slots=True)
class Verdict:
    """The approvals of one PR's head that count, and why the rule is (not) met."""

    pull_request: int
    head: str
    approvals: list[Approval] = field(default_factory=list)
    not_counted: list[str] = field(default_factory=list)  # "LOGIN (review N): why"
    reasons: list[str] = field(default_factory=list)  # why the rule is not met; empty: it is
    commits: set[str] = field(default_factory=set)  # the PR's commit IDs, as the API lists them

    @property
    def ok(self) -> bool:
        return not self.reasons

    def explain(self) -> str:
        """The reasons, and which reviews did not count and why, on one line."""
        said = "; ".join(self.reasons)
        if self.not_counted:
            said += "; not counted: " + "; ".join(self.not_counted)
        return said


def judge(
    gh: Github, repository: str, pr: PullRequest, policy: SignoffPolicy, paths: Iterable[str]
) -> Verdict:
    """Rule 1 (module doc) for ``pr``, with ``policy`` read from its base; ``paths`` are
    the evidence paths CODEOWNERS is asked about."""
    verdict = Verdict(int(pr.number), pr.head.sha)
    authors = _authors(pr, verdict)
    permission: dict[int, str | None] = {}

    def can_push(login: str, uid: int) -> str | None:
        if uid not in permission:
            permission[uid] = _permission(gh, repository, login)
        return permission[uid]

    for review in _latest_reviews(pr):
        user = review.user
        uid, login = int(user.id), str(user.login)
        seen = f"{login} (review {review.id})"
        if review.state == "CHANGES_REQUESTED" and can_push(login, uid):
            verdict.reasons.append(f"{seen} requested changes")
        if review.state != "APPROVED":
            continue
        why = _why_not_counted(review, pr, authors)
        pushes = None if why else can_push(login, uid)
        if why is None and pushes is None:
            why = "cannot push to the repository (read access or none)"
        if why is not None:
            verdict.not_counted.append(f"{seen}: {why}")
            continue
        assert pushes is not None  # noqa: S101 - None is refused just above
        approval = Approval(
            reviewer=login,
            reviewer_id=uid,
            review_id=int(review.id),
            commit=review.commit_id,
            permission=pushes,  # type: ignore[arg-type]
        )
        verdict.approvals.append(approval)
    if len(verdict.approvals) < policy.approvals:
        verdict.reasons.append(
            f"{len(verdict.approvals)} of the {plural(policy.approvals, 'qualifying approval')}"
            f" of head commit {verdict.head[:12]} that signoff.approvals at {policy.revision}"
            " requires"
        )
    verdict.reasons += owners_missing(gh, policy, verdict.approvals, paths)
    return verdict


def _latest_reviews(pr: PullRequest) -> list[PullRequestReview]:
    latest: dict[int, PullRequestReview] = {}
    for review in pr.get_reviews():
        if review.state not in VERDICTS or review.user is None:
            continue
        prior = latest.get(review.user.id)
        if prior is None or when(review) >= when(prior):
            latest[review.user.id] = review
    return sorted(latest.values(), key=when)


def when(review: PullRequestReview) -> tuple[datetime, int]:
    at = review.submitted_at or datetime.min.replace(tzinfo=UTC)
    return at, review.id


@dataclass(frozen=True, slots=True)
class _Authors:
    ids: frozenset[int]  # the PR's author and every linked author and committer of its commits
    logins: frozenset[str]  # co-authors named by their no-reply address (casefolded)


def _authors(pr: PullRequest, verdict: Verdict) -> _Authors:
    ids, logins = {int(pr.user.id)}, set()
    if pr.commits >= COMMITS_LISTED:
        verdict.reasons.append(
            f"the pull request has {pr.commits} commits; GitHub lists only {COMMITS_LISTED},"
            " so who wrote them cannot be checked"
        )
    for commit in pr.get_commits():
        verdict.commits.add(commit.sha)
        for role, linked, person in (
            ("author", commit.author, commit.commit.author),
            ("committer", commit.committer, commit.commit.committer),
        ):
            if linked is None:
                verdict.reasons.append(
                    f"the {role} of commit {commit.sha[:12]} ({person.email}) is linked to no"
                    " GitHub account, so it cannot be told apart from a reviewer"
                )
            else:
                ids.add(int(linked.id))
        for name, email in _CO_AUTHOR.findall(commit.commit.message or ""):
            noreply = _NOREPLY.match(email)
            if noreply is None:
                verdict.reasons.append(
                    f"commit {commit.sha[:12]} has a co-author ({name} <{email}>) without a"
                    " GitHub no-reply address, so it cannot be told apart from a reviewer"
                )
            else:
                logins.add(noreply.group(1).casefold())
    return _Authors(frozenset(ids), frozenset(logins))


def _why_not_counted(review: PullRequestReview, pr: PullRequest, authors: _Authors) -> str | None:
    user = review.user
    if review.commit_id != pr.head.sha:
        return f"approved {review.commit_id[:12]}, not the head commit {pr.head.sha[:12]}"
    if user.type == "Bot" or user.login.endswith("[bot]"):
        return "a bot"
    if user.id == pr.user.id:
        return "the pull request's author"
    if user.id in authors.ids:
        return "authored or committed a commit of the pull request"
    if user.login.casefold() in authors.logins:
        return "is a co-author (Co-authored-by) of a commit of the pull request"
    return None


def _permission(gh: Github, repository: str, login: str) -> str | None:
    """The push-level permission of ``login`` (admin, maintain, write), else None."""
    from github import GithubException

    from toyfoundry_ci.github.client import get_json

    try:
        data = get_json(gh, f"/repos/{repository}/collaborators/{login}/permission")
    except GithubException as exc:
        if exc.status == 404:  # not a collaborator, or no such user
            return None
        raise
    role, legacy = data.get("role_name"), data.get("permission")
    flags = (data.get("user") or {}).get("permissions") or {}
    if role in PUSH_PERMISSIONS:
        return str(role)
    if legacy in PUSH_PERMISSIONS:
        return str(legacy)
    return "write" if flags.get("push") is True else None


def owners_missing(
    gh: Github, policy: SignoffPolicy, approvals: list[Approval], paths: Iterable[str]
) -> list[str]:
    """Why CODEOWNERS is not satisfied by ``approvals`` for ``paths``; empty: it is."""
    if policy.codeowners is None:
        return []
    where, data = policy.codeowners
    rules = codeowners.parse(data.decode("utf-8", errors="replace"))
    approvers = {a.reviewer.casefold() for a in approvals}
    members: dict[str, set[str] | str] = {}
    reasons = []
    for path in sorted(set(paths)):
        rule, owners = codeowners.owners_of(rules, path)
        if rule is None or not owners:
            continue
        unread = []
        for owner in owners:
            if owner.startswith("@") and "/" not in owner:
                if owner[1:].casefold() in approvers:
                    break
            elif owner.startswith("@"):
                found = members.setdefault(owner, _team(gh, owner))
                if isinstance(found, str):
                    unread.append(found)
                elif approvers & found:
                    break
        else:
            said = f"no approval by an owner of {path} ({where} at {policy.revision}, line"
            said += f" {rule.line}: {' '.join(owners)})"
            reasons.append(said + "".join(f"; {u}" for u in unread))
    return reasons


def _team(gh: Github, owner: str) -> set[str] | str:
    """The logins of team ``@org/slug`` (casefolded), or why they cannot be read."""
    from github import GithubException

    from toyfoundry_ci.github.client import get_json

    org, _, slug = owner[1:].partition("/")
    logins: set[str] = set()
    page = 1
    try:
        while True:
            found: Any = get_json(gh, f"/orgs/{org}/teams/{slug}/members?per_page=100&page={page}")
            logins |= {str(m["login"]).casefold() for m in found if isinstance(m, dict)}
            if len(found) < 100:  # the page size asked for: a shorter page is the last
                return logins
            page += 1
    except GithubException as exc:
        if exc.status in (403, 404):
            return (
                f"the token cannot read team {owner} ({exc.status}): not satisfied; a"
                " GITHUB_TOKEN cannot read an organisation's teams, a GitHub App token with"
                " members: read can"
            )
        raise


def refused(verdict: Verdict) -> ToyfoundryError:
    """The refusal for a PR whose approvals do not meet the rule."""
    from toyfoundry_ci.base.errors import RefusedError

    return RefusedError(
        f"pull request #{verdict.pull_request}: no sign-off: {verdict.explain()}",
        hint="approve the head commit as a reviewer with write access who wrote none of its"
        " commits (see RUNBOOK.md, sign-off)",
    )
