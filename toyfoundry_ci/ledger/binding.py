"""A github seal binds content: made from the reviewed commit, re-derived before any push.

``seal_github`` makes a seal for one entry from a PR's verdict (``ledger/approval.py``): the
approving review and the subjects' digests as they are **at the reviewed commit**. ``GitHubSeals``
re-derives a seal that exists, through the API and the clone: the review fetched by its ID is
the reviewer's APPROVED review of the PR's head, and rule 1 still holds (policy read from the
PR's base); the PR merged into the default branch; no commit after the reviewed one changed
the entry's subjects (commits that only record a seal, as the intake PR's, touch none); each
subject's blob in the checkout is the one at the reviewed commit, and so is the entry apart
from its seal. A reviewed commit missing from the clone (a squash merge leaves it out) is
fetched from ``refs/pull/N/head``. Every git call of this check is in this module.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC
from typing import TYPE_CHECKING, Any

from toyfoundry_ci.base.canonical import sha256_bytes
from toyfoundry_ci.base.errors import RefusedError, ToyfoundryError
from toyfoundry_ci.base.git import Git
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import MAX_BYTES, parse_artifact
from toyfoundry_ci.base.reader import read_file
from toyfoundry_ci.ledger.approval import Verdict, judge, owners_missing
from toyfoundry_ci.ledger.policy import SignoffPolicy, signoff_policy
from toyfoundry_ci.models.ledger import LedgerEntry, SealedDigest, SignOff

if TYPE_CHECKING:
    from github import Github
    from github.PullRequest import PullRequest
    from github.Repository import Repository

    from toyfoundry_ci.ledger.verify import GitHubCheck

_FETCH_HINT = "check out with fetch-depth: 0, or fetch the pull request's head"


def evidence_paths(layout: Layout, entry: LedgerEntry) -> list[str]:
    """What an approval covers, and CODEOWNERS is asked about: the entry and its subjects."""
    return [layout.rel(layout.ledger_entry_file(entry.order_id)), *(s.name for s in entry.subjects)]


def pull_base(layout: Layout, pr: PullRequest) -> str:
    """The commit the PR's policy is read from: never one holding any of the PR's changes.

    A merge commit's first parent, or a squash's parent (a merged PR of one commit); a PR
    rebased onto main (or squashed) from several commits could put its own commits there, so
    its base is the base commit GitHub names. Refused when that commit is not in the clone.
    """
    git = Git(layout.root)

    def commit(rev: str) -> str | None:
        ran = git.run("rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}")
        return ran.out.decode().strip() if ran.ok else None

    merged = pr.merge_commit_sha if pr.merged else None
    if merged and commit(merged):
        two_parents = commit(f"{merged}^2") is not None
        if two_parents or pr.commits <= 1:
            found = commit(f"{merged}^1")
            if found:
                return found
    found = commit(pr.base.sha)
    if found:
        return found
    raise RefusedError(
        f"pull request #{pr.number}: its base commit {pr.base.sha[:12]} is not in this clone,"
        " so the sign-off policy cannot be read from it",
        hint=_FETCH_HINT,
    )


def verdict_for(
    layout: Layout, gh: Github, repository: str, pr: PullRequest, paths: list[str]
) -> Verdict:
    return judge(gh, repository, pr, signoff_policy(layout, pull_base(layout, pr)), paths)


def seal_github(layout: Layout, pr: PullRequest, verdict: Verdict, entry: LedgerEntry) -> SignOff:
    """The seal of ``entry`` from ``verdict`` (which must be met), over the reviewed digests."""
    reviewed = _Reviewed(layout, pr.number, verdict.head)
    digests = []
    for subject in entry.subjects:
        at = reviewed.digest(subject.name)
        if at != subject.digest.sha256:
            raise RefusedError(
                f"{entry.order_id}: {subject.name} is not as reviewed: the entry records"
                f" {subject.digest.sha256[:12]}, the reviewed commit {verdict.head[:12]} holds"
                f" {(at or 'no such file')[:12]}",
                hint="parade the order again in a pull request and have that reviewed",
            )
        digests.append(SealedDigest(name=subject.name, digest=subject.digest))
    latest = verdict.approvals[-1]
    review = pr.get_review(latest.review_id)
    return SignOff(
        state="sealed",
        method="github",
        reviewer=latest.reviewer,
        reviewer_id=latest.reviewer_id,
        permission=latest.permission,
        at=review.submitted_at.astimezone(UTC).replace(microsecond=0),
        commit=latest.commit,
        pull_request=int(pr.number),
        review_id=latest.review_id,
        approvals=verdict.approvals,
        digests=digests,
    )


@dataclass
class GitHubSeals:
    """Re-derives github seals for one repository; each PR and its verdict are asked once."""

    layout: Layout
    gh: Github
    repository: str
    _pulls: dict[int, Any] = field(default_factory=dict)
    _verdicts: dict[int, tuple[Verdict, SignoffPolicy]] = field(default_factory=dict)
    _added_by: dict[str, int | None] = field(default_factory=dict)  # commit -> merged PR

    def problem(self, entry: LedgerEntry) -> str | None:
        """Why the entry's github seal does not re-verify; None when it does."""
        try:
            return self._problem(entry)
        except ToyfoundryError as exc:
            return exc.message

    def _problem(self, entry: LedgerEntry) -> str | None:
        from github import GithubException
        from requests import RequestException

        seal = entry.signoff
        missing = [
            name
            for name in ("pull_request", "review_id", "reviewer_id", "commit", "digests")
            if getattr(seal, name) is None
        ]
        if missing:
            return f"its github seal records no {', '.join(missing)}, so it cannot be re-verified"
        assert seal.pull_request is not None and seal.commit is not None  # noqa: S101 - above
        number = seal.pull_request
        try:
            pr, default = self._pull(number)
            why = self._review_problem(pr, default, seal)
            if why is None:
                verdict = self._verdict(pr, evidence_paths(self.layout, entry))
                if not verdict.ok:
                    return f"pull request #{number}: {verdict.explain()}"
                if seal.review_id not in {a.review_id for a in verdict.approvals}:
                    return f"review {seal.review_id} is not among the approvals that count"
                why = _approvals_problem(seal, verdict) or self._origin_problem(entry, pr)
        except GithubException as exc:
            return f"pull request #{number} cannot be read from GitHub ({exc.status})"
        except RequestException as exc:
            return f"GitHub could not be asked about pull request #{number} ({type(exc).__name__})"
        return why or self._content_problem(entry, pr, seal.commit)

    def _origin_problem(self, entry: LedgerEntry, pr: PullRequest) -> str | None:
        """The approval covers an entry only when the cited PR is the merged PR that added
        it (as ``seal_pending`` finds it: the commit that first added the entry file)."""
        rel = self.layout.rel(self.layout.ledger_entry_file(entry.order_id))
        added = Git(self.layout.root).first_added(rel)
        if added is None:
            return f"{rel} is not committed, so no pull request added it"
        if added not in self._added_by:  # a lot's entries share the commit that added them
            self._added_by[added] = merged_pull(self.gh.get_repo(self.repository), added)
        number = self._added_by[added]
        if number != int(pr.number):
            by = f"pull request #{number}" if number else "no merged pull request"
            return (
                f"{rel} was added by commit {added[:12]} ({by}), not by pull request"
                f" #{pr.number}, whose approval the seal cites"
            )
        return None

    def _verdict(self, pr: PullRequest, paths: list[str]) -> Verdict:
        """Rule 1 for ``pr`` and ``paths``: the reviews, commits and permissions read once per
        PR, CODEOWNERS asked per entry."""
        number = int(pr.number)
        if number not in self._verdicts:
            policy = signoff_policy(self.layout, pull_base(self.layout, pr))
            self._verdicts[number] = (judge(self.gh, self.repository, pr, policy, []), policy)
        verdict, policy = self._verdicts[number]
        owners = owners_missing(self.gh, policy, verdict.approvals, paths)
        return replace(verdict, reasons=[*verdict.reasons, *owners])

    def _pull(self, number: int) -> tuple[PullRequest, str]:
        if number not in self._pulls:
            repo = self.gh.get_repo(self.repository)
            self._pulls[number] = (repo.get_pull(number), repo.default_branch)
        found: tuple[PullRequest, str] = self._pulls[number]
        return found

    @staticmethod
    def _review_problem(pr: PullRequest, default: str, seal: SignOff) -> str | None:
        number = pr.number
        if not pr.merged:
            return f"pull request #{number} is not merged"
        if pr.base.ref != default:
            return f"pull request #{number} merged into {pr.base.ref}, not {default}"
        assert seal.review_id is not None  # noqa: S101 - checked by the caller
        review = pr.get_review(seal.review_id)
        if review.user is None or review.user.id != seal.reviewer_id:
            return f"review {seal.review_id} of pull request #{number} is not by {seal.reviewer}"
        if review.state != "APPROVED":
            return f"review {seal.review_id} of pull request #{number} is {review.state}"
        if review.commit_id != seal.commit or seal.commit != pr.head.sha:
            return (
                f"review {seal.review_id} approved {review.commit_id[:12]}; the seal names"
                f" {(seal.commit or '')[:12]} and the pull request's head is {pr.head.sha[:12]}"
            )
        at = review.submitted_at.astimezone(UTC).replace(microsecond=0)
        if seal.reviewer != review.user.login or seal.at != at:
            return (
                f"its seal names {seal.reviewer} at {seal.at:%Y-%m-%dT%H:%M:%SZ}; review"
                f" {seal.review_id} is by {review.user.login} at {at:%Y-%m-%dT%H:%M:%SZ}"
            )
        return None

    def _content_problem(self, entry: LedgerEntry, pr: PullRequest, commit: str) -> str | None:
        seal, number = entry.signoff, int(pr.number)
        reviewed = _Reviewed(self.layout, number, commit)
        names = [s.name for s in entry.subjects]
        later = reviewed.changed_after(names, pr.merge_commit_sha)
        if later is not None:
            return (
                f"its evidence was changed after the reviewed commit {commit[:12]}, by commit"
                f" {later[:12]}, which pull request #{number} did not contain"
            )
        sealed = {d.name: d.digest.sha256 for d in seal.digests or ()}
        if sealed != {s.name: s.digest.sha256 for s in entry.subjects}:
            return "its seal's digests are not the entry's subjects"
        for subject in entry.subjects:
            here = _checkout_digest(self.layout, subject.name)
            if (
                reviewed.digest(subject.name) != subject.digest.sha256
                or here != subject.digest.sha256
            ):
                return f"{subject.name} in the checkout is not the file reviewed at {commit[:12]}"
        rel = self.layout.rel(self.layout.ledger_entry_file(entry.order_id))
        then = parse_artifact(reviewed.blob(rel) or b"")
        now = parse_artifact(read_file(self.layout.root / rel, MAX_BYTES))
        if _unsealed(then) is None or _unsealed(then) != _unsealed(now):
            return f"{rel} is not the entry reviewed at {commit[:12]}"
        return None


def _approvals_problem(seal: SignOff, verdict: Verdict) -> str | None:
    """Every approval the seal lists is one that counts on GitHub now (none made up)."""
    counted = {(a.reviewer_id, a.review_id, a.commit, a.reviewer) for a in verdict.approvals}
    listed = {(a.reviewer_id, a.review_id, a.commit, a.reviewer) for a in seal.approvals or ()}
    if not listed or not listed <= counted:
        return "its seal lists approvals that are not among those that count on GitHub"
    return None


def merged_pull(repo: Repository, sha: str) -> int | None:
    """The merged PR into the default branch that ``sha`` belongs to, if any."""
    from github.PaginatedList import PaginatedList
    from github.PullRequest import PullRequest

    # Straight to the list: Repository.get_commit would first fetch the whole commit.
    url = f"{repo.url}/commits/{sha}/pulls"
    for pr in PaginatedList(PullRequest, repo.requester, url, None):
        if pr.merged_at is not None and pr.base.ref == repo.default_branch:
            return int(pr.number)
    return None


class _Reviewed:
    """The reviewed commit in the clone, fetched from ``refs/pull/N/head`` when missing."""

    def __init__(self, layout: Layout, number: int, commit: str) -> None:
        self.git = Git(layout.root, hint=_FETCH_HINT)
        self.commit = commit
        if not self._present():
            self.git.run("fetch", "--quiet", "--no-tags", "origin", f"refs/pull/{number}/head")
        if not self._present():
            raise RefusedError(
                f"the reviewed commit {commit[:12]} of pull request #{number} is not in this"
                f" clone, and fetching refs/pull/{number}/head from origin did not bring it",
                hint=_FETCH_HINT,
            )

    def _present(self) -> bool:
        return self.git.ok("cat-file", "-e", f"{self.commit}^{{commit}}")

    def blob(self, rel: str) -> bytes | None:
        return self.git.blob(f"{self.commit}:{rel}", MAX_BYTES)

    def digest(self, rel: str) -> str | None:
        data = self.blob(rel)
        return sha256_bytes(data) if data is not None else None

    def changed_after(self, names: list[str], merge: str | None) -> str | None:
        """The last commit of HEAD's history to change ``names``, when it is neither the
        reviewed commit (or before it) nor the PR's own merge commit (a squash merge)."""
        last = self.git.text("log", "-1", "--format=%H", "HEAD", "--", *names).strip()
        if (
            not last
            or last == merge
            or self.git.ok("merge-base", "--is-ancestor", last, self.commit)
        ):
            return None
        return last


def _unsealed(value: Any) -> dict[str, Any] | None:
    """An entry's JSON without its seal, the part a review approves; None: not an entry."""
    return {k: v for k, v in value.items() if k != "signoff"} if isinstance(value, dict) else None


def _checkout_digest(layout: Layout, rel: str) -> str | None:
    try:
        return sha256_bytes(read_file(layout.root / rel, MAX_BYTES))
    except (OSError, ToyfoundryError):
        return None


def github_from_environment(layout: Layout, repository: str | None = None) -> GitHubSeals | str:
    """The re-deriver for ``repository`` (default ``GITHUB_REPOSITORY``) with ``GITHUB_TOKEN``,
    or why there is none."""
    import os

    from toyfoundry_ci.github.client import REPOSITORY, Connection

    repository = repository or os.environ.get("GITHUB_REPOSITORY", "")
    if repository.count("/") != 1:
        return "GITHUB_REPOSITORY (owner/name of this factory's repository) is not set"
    conn = Connection(REPOSITORY, repository)
    if not conn.token:
        return f"re-verifying a review needs the GitHub API, and {conn.token_variable} is not set"
    return GitHubSeals(layout, conn.github, repository)


def entry_check(seals: GitHubSeals) -> GitHubCheck:
    """``seals`` as ``check_against_base`` asks: (entry path, seal) -> why it does not count."""
    from toyfoundry_ci.ledger.store import read_entry

    def check(rel: str, _seal: dict[str, Any]) -> str | None:
        entry = read_entry(seals.layout, rel.rsplit("/", 1)[-1].removesuffix(".json"))
        return seals.problem(entry) if entry is not None else f"{rel} cannot be read"

    return check


def github_check(layout: Layout, repository: str | None = None) -> GitHubCheck | None:
    """``ledger verify --base``'s re-verifier of github seals, when ``GITHUB_TOKEN`` and the
    repository (``repository``, else ``GITHUB_REPOSITORY``) are there; None: it says what it
    could not check."""
    seals = github_from_environment(layout, repository)
    return None if isinstance(seals, str) else entry_check(seals)
