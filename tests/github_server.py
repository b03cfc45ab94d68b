"""A GitHub REST API server on loopback that PyGithub talks to unmodified.

In-memory state (repositories with refs, commits, trees and blobs; pull requests with reviews
and files; issues with comments), GitHub-shaped JSON and status codes: 401 without a token,
403 to any write with the read-only token (``read_only_token``, a fork's),
404 for what is not there, 422 on a non-fast-forward ref update, canned failures (rate limits
403/429 with their headers, 409, 5xx, a hang past the client's timeout) queued with
``fail_next`` or appended to ``faults``, pagination through ``Link`` headers, tree listings
(recursive or one folder) cut at ``tree_limit`` entries or ``tree_bytes`` with
``truncated: true`` as GitHub cuts them at 100,000 / 7 MB, a collaborator's permission
(``roles``), a pull request's commits (``add_pull_commit``, 250 listed at most), one review
by its ID, an organisation's team members (``teams``; only ``app_token`` may read them, a
repository's ``GITHUB_TOKEN`` gets GitHub's 403), commit statuses (``statuses``; 403 for a
token without ``statuses: write``, ``withheld``), every
absolute URL pointing back at this server, every request recorded.

    with GitHubServer() as server:
        repo = server.add_repo("hq/factory")
        gh = Github(base_url=server.url, auth=Auth.Token(server.token))

Extend it by adding a ``(method, regex, handler)`` row to ``ROUTES``; handlers get the
request and the regex groups and return ``(status, json)`` or raise ``ApiError``.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

TOKEN = "ghs_loopback-test-token"  # noqa: S105 - a fake token for a fake server
# A fork's or Dependabot's pull_request token: it reads, and every write answers 403.
READ_ONLY_TOKEN = "ghs_loopback-read-only-token"  # noqa: S105 - as above
# A GitHub App's installation token with members: read: the one that may read an org's teams.
APP_TOKEN = "ghs_loopback-app-token"  # noqa: S105 - as above
TREE_LIMIT, TREE_BYTES = 100_000, 7_000_000


class ApiError(Exception):
    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.message, self.headers = status, message, headers or {}


@dataclass
class Fault:
    """A canned failure answered instead of the next request matching ``method``/``path``."""

    status: int
    message: str = "injected failure"
    headers: dict[str, str] = field(default_factory=dict)
    method: str | None = None
    path: str | None = None  # a regex searched in the request path
    delay: float = 0.0  # seconds to hang before answering (a server past the client's timeout)

    def matches(self, method: str, path: str) -> bool:
        return (self.method in (None, method)) and (
            self.path is None or re.search(self.path, path) is not None
        )


@dataclass(frozen=True)
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    body: Any
    authorized: bool
    status: int


@dataclass
class Repo:
    owner: str
    name: str
    default_branch: str = "main"
    refs: dict[str, str] = field(default_factory=dict)  # "heads/main" -> commit sha
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, dict[str, str]]] = field(default_factory=dict)  # path -> entry
    commits: dict[str, dict[str, Any]] = field(default_factory=dict)
    pulls: dict[int, dict[str, Any]] = field(default_factory=dict)
    reviews: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    pull_files: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    issues: dict[int, dict[str, Any]] = field(default_factory=dict)  # plain issues, not PRs
    commit_pulls: dict[str, list[int]] = field(default_factory=dict)  # commit -> its PRs
    roles: dict[str, str] = field(default_factory=dict)  # login -> admin|maintain|write|…
    pull_commits: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    # name -> deployment_branch_policy (None: any branch may deploy, as GitHub creates them)
    environments: dict[str, dict[str, bool] | None] = field(default_factory=dict)
    statuses: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # commit -> posted

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.name}"


def user(login: str, kind: str = "User") -> dict[str, Any]:
    uid = int(hashlib.sha256(login.encode()).hexdigest()[:6], 16)
    return {"login": login, "id": uid, "type": kind, "site_admin": False}


def _stamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(tz=UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sha1(kind: str, data: bytes) -> str:
    return hashlib.sha1(f"{kind} {len(data)}\0".encode() + data, usedforsecurity=False).hexdigest()


class GitHubServer:
    """The server and its state; start with ``with`` or ``start()``/``stop()``."""

    def __init__(self, token: str = TOKEN, per_page: int = 30) -> None:
        self.token = token
        self.read_only_token = READ_ONLY_TOKEN
        # Permissions the main token lacks (a job without `statuses: write`): {"statuses"}.
        self.withheld: set[str] = set()
        self.app_token = APP_TOKEN
        self.teams: dict[str, list[str]] = {}  # "org/slug" -> member logins
        self.per_page = per_page
        # GitHub stops a tree listing at 100,000 entries or 7 MB and says ``truncated``.
        self.tree_limit = TREE_LIMIT
        self.tree_bytes = TREE_BYTES
        self.repos: dict[str, Repo] = {}
        self.faults: deque[Fault] = deque()
        self.requests: list[Recorded] = []
        self.lock = threading.RLock()
        self._ids = itertools.count(1000)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def start(self) -> GitHubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> GitHubServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- state set-up for tests -------------------------------------------------------

    def next_id(self) -> int:
        return next(self._ids)

    def add_repo(
        self, full_name: str, default_branch: str = "main", files: dict[str, bytes] | None = None
    ) -> Repo:
        """A repository whose default branch holds ``files`` (none: an empty tree)."""
        owner, name = full_name.split("/")
        repo = Repo(owner, name, default_branch)
        tree = self.put_tree(repo, self._entries(repo, files or {}))
        root = self.put_commit(repo, "initial commit", tree, [])
        repo.refs[f"heads/{default_branch}"] = root
        self.repos[full_name] = repo
        return repo

    def push_files(self, repo: Repo, files: dict[str, bytes], branch: str = "main") -> str:
        """Someone else commits ``files`` on ``branch`` (as High Command does on a hub)."""
        head = repo.refs[f"heads/{branch}"]
        entries = {**repo.trees[repo.commits[head]["tree"]["sha"]], **self._entries(repo, files)}
        sha = self.put_commit(repo, "other", self.put_tree(repo, entries), [head])
        repo.refs[f"heads/{branch}"] = sha
        return sha

    def push_links(
        self, repo: Repo, links: dict[str, str], submodules: dict[str, str] | None = None,
        branch: str = "main",
    ) -> str:  # fmt: skip
        """Someone commits symbolic links (path -> target) and submodules (path -> commit).

        As in git, a link is a blob of mode 120000 holding its target; a submodule is a
        ``commit`` entry of mode 160000 naming a commit of another repository.
        """
        head = repo.refs[f"heads/{branch}"]
        entries = dict(repo.trees[repo.commits[head]["tree"]["sha"]])
        for path, target in links.items():
            entries[path] = {"mode": "120000", "type": "blob",
                             "sha": self.put_blob(repo, target.encode())}  # fmt: skip
        for path, commit in (submodules or {}).items():
            entries[path] = {"mode": "160000", "type": "commit", "sha": commit}
        sha = self.put_commit(repo, "links", self.put_tree(repo, entries), [head])
        repo.refs[f"heads/{branch}"] = sha
        return sha

    def add_commit(
        self, repo: Repo, files: dict[str, bytes], *, sha: str, parents: tuple[str, ...] = (),
        ref: str | None = None,
    ) -> str:  # fmt: skip
        """Mirror a local git commit under its own ``sha`` (as pushing it to GitHub would)."""
        tree = self.put_tree(repo, self._entries(repo, files))
        made = self.put_commit(repo, f"mirror of {sha}", tree, list(parents))
        repo.commits[sha] = {**repo.commits.pop(made), "sha": sha}
        if ref is not None:
            repo.refs[f"heads/{ref}"] = sha
        return sha

    def _entries(self, repo: Repo, files: dict[str, bytes]) -> dict[str, dict[str, str]]:
        return {p: {"mode": "100644", "type": "blob", "sha": self.put_blob(repo, data)}
                for p, data in files.items()}  # fmt: skip

    def merge_pull(self, repo: Repo, number: int, commits: list[str]) -> dict[str, Any]:
        """Mark PR ``number`` merged; ``commits`` (its own and the merge commit) now list it."""
        pull = repo.pulls[number]
        pull.update(state="closed", merged=True, merged_at=_stamp(), merge_commit_sha=commits[-1])
        for sha in commits:
            repo.commit_pulls.setdefault(sha, []).append(number)
        return pull

    def count(self, method: str | None = None) -> int:
        """Requests received so far (of one ``method``)."""
        with self.lock:
            return sum(1 for r in self.requests if method in (None, r.method))

    def add_pull(
        self, repo: Repo, number: int, author: str, head_sha: str, files: list[str],
        *, title: str = "Parade", head_ref: str = "parade",
    ) -> dict[str, Any]:  # fmt: skip
        pull = {
            "id": self.next_id(), "number": number, "state": "open", "title": title,
            "user": user(author), "merged": False, "draft": False,
            "head": {"sha": head_sha, "ref": head_ref, "label": f"{repo.owner}:{head_ref}",
                     "repo": {"full_name": repo.full_name}},
            "base": {"sha": repo.refs[f"heads/{repo.default_branch}"],
                     "ref": repo.default_branch, "repo": {"full_name": repo.full_name}},
            "merged_at": None, "body": "",
            "created_at": _stamp(), "updated_at": _stamp(),
        }  # fmt: skip
        repo.pulls[number] = pull
        repo.reviews[number] = []
        repo.pull_files[number] = [
            {"sha": "0" * 40, "filename": f, "status": "added", "additions": 1, "deletions": 0,
             "changes": 1}
            for f in files
        ]  # fmt: skip
        return pull

    def add_review(
        self, repo: Repo, number: int, login: str, state: str, commit_id: str,
        *, kind: str = "User", at: datetime | None = None,
    ) -> dict[str, Any]:  # fmt: skip
        review = {
            "id": self.next_id(), "user": user(login, kind), "body": "", "state": state,
            "commit_id": commit_id, "submitted_at": _stamp(at),
            "author_association": "MEMBER",
        }  # fmt: skip
        repo.reviews[number].append(review)
        return review

    def add_pull_commit(
        self, repo: Repo, number: int, sha: str, author: str | None,
        *, committer: str | None = None, message: str = "Parade",
    ) -> dict[str, Any]:  # fmt: skip
        """A commit of PR ``number``; ``author`` None: its email links to no account."""

        def who(login: str | None) -> dict[str, str]:
            email = f"{login}@users.noreply.github.com" if login else "someone@elsewhere.test"
            return {"name": login or "Someone", "email": email, "date": _stamp()}

        commit = {
            "sha": sha, "commit": {"message": message, "author": who(author),
                                   "committer": who(committer or author)},
            "author": user(author) if author else None,
            "committer": user(committer or author) if (committer or author) else None,
            "parents": [],
        }  # fmt: skip
        repo.pull_commits.setdefault(number, []).append(commit)
        return commit

    def add_environment(
        self, repo: Repo, name: str, *, protected_branches: bool | None = None
    ) -> None:
        """An environment; ``protected_branches`` None: no branch policy (GitHub's default)."""
        policy = None
        if protected_branches is not None:
            policy = {
                "protected_branches": protected_branches,
                "custom_branch_policies": not protected_branches,
            }
        repo.environments[name] = policy

    def fail_next(self, status: int, message: str = "injected failure", **kw: Any) -> None:
        """Queue one canned failure; see ``rate_limited`` for the usual headers."""
        self.faults.append(Fault(status, message, **kw))

    def rate_limited(self, status: int = 403, retry_after: int | None = None) -> None:
        headers = {"X-RateLimit-Limit": "5000", "X-RateLimit-Remaining": "0",
                   "X-RateLimit-Reset": str(int(datetime.now(tz=UTC).timestamp()) + 1),
                   "X-RateLimit-Used": "5000", "X-RateLimit-Resource": "core"}  # fmt: skip
        if retry_after is not None:
            headers["Retry-After"] = str(retry_after)
        self.fail_next(status, "API rate limit exceeded for installation.", headers=headers)

    # --- git objects --------------------------------------------------------------------

    def put_blob(self, repo: Repo, data: bytes) -> str:
        sha = _sha1("blob", data)
        repo.blobs[sha] = data
        return sha

    def put_tree(self, repo: Repo, entries: dict[str, dict[str, str]]) -> str:
        sha = _sha1("tree", json.dumps(entries, sort_keys=True).encode())
        repo.trees[sha] = dict(entries)
        return sha

    def put_commit(self, repo: Repo, message: str, tree: str, parents: list[str]) -> str:
        who = {"name": "Factory Bot", "email": "bot@factory.test", "date": _stamp()}
        body = {"message": message, "tree": {"sha": tree}, "parents": [{"sha": p} for p in parents],
                "author": who, "committer": who}  # fmt: skip
        sha = _sha1("commit", json.dumps(body, sort_keys=True).encode())
        repo.commits[sha] = {"sha": sha, **body}
        return sha

    def files_at(self, repo: Repo, ref: str) -> dict[str, bytes]:
        """Every file of ``ref`` (a branch name or a commit sha) and its bytes."""
        sha = repo.refs.get(f"heads/{ref}", ref)
        tree = repo.trees[repo.commits[sha]["tree"]["sha"]]
        return {path: repo.blobs[e["sha"]] for path, e in tree.items() if e["type"] == "blob"}

    def is_ancestor(self, repo: Repo, old: str, new: str) -> bool:
        todo, seen = [new], set()
        while todo:
            sha = todo.pop()
            if sha == old:
                return True
            if sha in seen or sha not in repo.commits:
                continue
            seen.add(sha)
            todo.extend(p["sha"] for p in repo.commits[sha]["parents"])
        return False


# ------------------------------------------------------------------------------ routes

Request = dict[str, Any]  # method, path, query, body, server
Handler = Callable[[GitHubServer, Request, tuple[str, ...]], tuple[int, Any]]


def _repo(server: GitHubServer, owner: str, name: str) -> Repo:
    repo = server.repos.get(f"{owner}/{name}")
    if repo is None:
        raise ApiError(404, "Not Found")
    return repo


def _repo_url(server: GitHubServer, repo: Repo) -> str:
    return f"{server.url}/repos/{repo.full_name}"


def get_repo(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    return 200, {
        "id": abs(hash(repo.full_name)) % 10**8, "name": repo.name, "full_name": repo.full_name,
        "owner": user(repo.owner, "Organization"), "private": True,
        "default_branch": repo.default_branch, "url": _repo_url(s, repo),
        "html_url": f"{s.url}/{repo.full_name}",
    }  # fmt: skip


def _pull_json(s: GitHubServer, repo: Repo, pull: dict[str, Any]) -> dict[str, Any]:
    url = f"{_repo_url(s, repo)}/pulls/{pull['number']}"
    commits = len(repo.pull_commits.get(pull["number"], []))
    return {**pull, "url": url, "commits": commits,
            "merge_commit_sha": pull.get("merge_commit_sha"),
            "html_url": f"{s.url}/{repo.full_name}/pull/{pull['number']}",
            "issue_url": f"{_repo_url(s, repo)}/issues/{pull['number']}",
            "comments_url": f"{_repo_url(s, repo)}/issues/{pull['number']}/comments"}  # fmt: skip


def get_pull(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    pull = repo.pulls.get(int(g[2]))
    if pull is None:
        raise ApiError(404, "Not Found")
    return 200, _pull_json(s, repo, pull)


def list_pulls(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    q = {k: v[0] for k, v in r["query"].items()}
    state = q.get("state", "open")
    found = [
        p for _, p in sorted(repo.pulls.items(), reverse=True)
        if state in ("all", p["state"])
        and ("head" not in q or p["head"]["label"] == q["head"])
        and ("base" not in q or p["base"]["ref"] == q["base"])
    ]  # fmt: skip
    return 200, [_pull_json(s, repo, p) for p in found]


def create_pull(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    head, base = _field(r, "head", str), _field(r, "base", str)
    ref = head.split(":", 1)[-1]
    if f"heads/{ref}" not in repo.refs or f"heads/{base}" not in repo.refs:
        raise ApiError(422, "Validation Failed: head or base does not exist")
    label = f"{repo.owner}:{ref}"
    if any(p["state"] == "open" and p["head"]["label"] == label for p in repo.pulls.values()):
        raise ApiError(422, f"Validation Failed: A pull request already exists for {label}.")
    pull = s.add_pull(repo, _number(repo), "github-actions[bot]", repo.refs[f"heads/{ref}"], [],
                      title=_field(r, "title", str), head_ref=ref)  # fmt: skip
    pull.update(body=r["body"].get("body") or "", user=user("github-actions[bot]", "Bot"))
    pull["base"].update(ref=base, sha=repo.refs[f"heads/{base}"])
    return 201, _pull_json(s, repo, pull)


def edit_pull(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    pull = repo.pulls.get(int(g[2]))
    if pull is None:
        raise ApiError(404, "Not Found")
    pull.update({k: r["body"][k] for k in ("title", "body", "state") if k in r["body"]})
    pull["updated_at"] = _stamp()
    return 200, _pull_json(s, repo, pull)


def commit_pulls(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    numbers = repo.commit_pulls.get(g[2], [])
    return 200, [_pull_json(s, repo, repo.pulls[n]) for n in numbers]


def list_reviews(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    if int(g[2]) not in repo.pulls:
        raise ApiError(404, "Not Found")
    url = f"{_repo_url(s, repo)}/pulls/{g[2]}"
    return 200, [{**rv, "pull_request_url": url} for rv in repo.reviews[int(g[2])]]


def get_review(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    url = f"{_repo_url(s, repo)}/pulls/{g[2]}"
    for review in repo.reviews.get(int(g[2]), []):
        if review["id"] == int(g[3]):
            return 200, {**review, "pull_request_url": url}
    raise ApiError(404, "Not Found")


def team_members(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    """GitHub answers a repository's ``GITHUB_TOKEN`` 403 here: it cannot read org teams."""
    if r["token"] != s.app_token:
        raise ApiError(403, "Resource not accessible by integration")
    members = s.teams.get(f"{g[0]}/{g[1]}")
    if members is None:
        raise ApiError(404, "Not Found")
    return 200, [user(login) for login in members]


PERMISSIONS = {  # role -> the legacy ``permission`` and ``user.permissions``, as GitHub answers
    "admin": ("admin", {"admin": True, "maintain": True, "push": True, "triage": True}),
    "maintain": ("write", {"admin": False, "maintain": True, "push": True, "triage": True}),
    "write": ("write", {"admin": False, "maintain": False, "push": True, "triage": True}),
    "triage": ("read", {"admin": False, "maintain": False, "push": False, "triage": True}),
    "read": ("read", {"admin": False, "maintain": False, "push": False, "triage": False}),
    "none": ("none", {"admin": False, "maintain": False, "push": False, "triage": False}),
}
PULL_COMMITS_LISTED = 250  # GitHub lists at most this many commits of a pull request


def collaborator_permission(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    role = repo.roles.get(g[2], "none")
    permission, flags = PERMISSIONS[role]
    flags = {**flags, "pull": role != "none"}
    return 200, {"permission": permission, "role_name": role,
                 "user": {**user(g[2]), "permissions": flags}}  # fmt: skip


def list_pull_commits(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    if int(g[2]) not in repo.pulls:
        raise ApiError(404, "Not Found")
    return 200, repo.pull_commits.get(int(g[2]), [])[:PULL_COMMITS_LISTED]


def list_pull_files(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    if int(g[2]) not in repo.pulls:
        raise ApiError(404, "Not Found")
    return 200, repo.pull_files[int(g[2])]


def _number(repo: Repo) -> int:
    return max([0, *repo.pulls, *repo.issues]) + 1


def _issue_json(s: GitHubServer, repo: Repo, issue: dict[str, Any]) -> dict[str, Any]:
    url = f"{_repo_url(s, repo)}/issues/{issue['number']}"
    count = len(repo.comments.get(issue["number"], []))
    out = {"id": issue["id"], "number": issue["number"], "title": issue["title"],
           "body": issue.get("body"), "state": issue["state"], "user": issue["user"],
           "url": url, "comments": count, "comments_url": f"{url}/comments",
           "html_url": f"{s.url}/{repo.full_name}/issues/{issue['number']}"}  # fmt: skip
    if issue["number"] in repo.pulls:
        out["pull_request"] = {"url": url.replace("/issues/", "/pulls/")}
    return out


def _issue_or_pull(repo: Repo, number: str) -> dict[str, Any]:
    found = repo.pulls.get(int(number)) or repo.issues.get(int(number))
    if found is None:
        raise ApiError(404, "Not Found")
    return found


def get_issue(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    return 200, _issue_json(s, repo, _issue_or_pull(repo, g[2]))


def list_issues(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    state = r["query"].get("state", ["open"])[0]
    items = [i for _, i in sorted({**repo.issues, **repo.pulls}.items(), reverse=True)]
    return 200, [_issue_json(s, repo, i) for i in items if state in ("all", i["state"])]


def create_issue(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    issue = {"id": s.next_id(), "number": _number(repo), "title": _field(r, "title", str),
             "body": r["body"].get("body"), "state": "open",
             "user": user("github-actions[bot]", "Bot")}  # fmt: skip
    repo.issues[issue["number"]] = issue
    return 201, _issue_json(s, repo, issue)


def _comment_json(s: GitHubServer, repo: Repo, c: dict[str, Any]) -> dict[str, Any]:
    return {**c, "url": f"{_repo_url(s, repo)}/issues/comments/{c['id']}"}


def list_comments(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    _issue_or_pull(repo, g[2])
    return 200, [_comment_json(s, repo, c) for c in repo.comments.get(int(g[2]), [])]


def create_comment(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    _issue_or_pull(repo, g[2])
    body = _field(r, "body", str)
    comment = {"id": s.next_id(), "body": body, "user": user("github-actions[bot]", "Bot"),
               "created_at": _stamp(), "updated_at": _stamp()}  # fmt: skip
    repo.comments.setdefault(int(g[2]), []).append(comment)
    return 201, _comment_json(s, repo, comment)


def edit_comment(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    for comment in itertools.chain.from_iterable(repo.comments.values()):
        if comment["id"] == int(g[2]):
            comment.update(body=_field(r, "body", str), updated_at=_stamp())
            return 200, _comment_json(s, repo, comment)
    raise ApiError(404, "Not Found")


def _ref_json(s: GitHubServer, repo: Repo, ref: str) -> dict[str, Any]:
    sha = repo.refs[ref]
    return {"ref": f"refs/{ref}", "url": f"{_repo_url(s, repo)}/git/refs/{ref}",
            "object": {"type": "commit", "sha": sha,
                       "url": f"{_repo_url(s, repo)}/git/commits/{sha}"}}  # fmt: skip


def get_ref(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    if g[2] not in repo.refs:
        raise ApiError(404, "Not Found")
    return 200, _ref_json(s, repo, g[2])


def create_ref(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    ref, sha = _field(r, "ref", str).removeprefix("refs/"), _field(r, "sha", str)
    if ref in repo.refs:
        raise ApiError(422, "Reference already exists")
    if sha not in repo.commits:
        raise ApiError(422, "Object does not exist")
    repo.refs[ref] = sha
    return 201, _ref_json(s, repo, ref)


def update_ref(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    ref, sha = g[2], _field(r, "sha", str)
    if ref not in repo.refs:
        raise ApiError(422, "Reference does not exist")
    if sha not in repo.commits:
        raise ApiError(422, "Object does not exist")
    if not r["body"].get("force") and not s.is_ancestor(repo, repo.refs[ref], sha):
        raise ApiError(422, "Update is not a fast forward")
    repo.refs[ref] = sha
    return 200, _ref_json(s, repo, ref)


def create_blob(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    content = _field(r, "content", str)
    data = base64.b64decode(content) if r["body"].get("encoding") == "base64" else content.encode()
    sha = s.put_blob(repo, data)
    return 201, {"sha": sha, "url": f"{_repo_url(s, repo)}/git/blobs/{sha}"}


def get_blob(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    data = repo.blobs.get(g[2])
    if data is None:
        raise ApiError(404, "Not Found")
    return 200, {"sha": g[2], "size": len(data), "encoding": "base64",
                 "content": base64.b64encode(data).decode(),
                 "url": f"{_repo_url(s, repo)}/git/blobs/{g[2]}"}  # fmt: skip


def _tree_json(s: GitHubServer, repo: Repo, sha: str, recursive: bool = False) -> dict[str, Any]:
    """A tree as GitHub lists it: its own entries, or with ``recursive`` every entry below
    (folders too), cut at the server's limits with ``truncated: true``."""
    entries: list[dict[str, Any]] = []
    folders: dict[str, dict[str, dict[str, str]]] = {}
    for path, e in sorted(repo.trees[sha].items()):
        parts = path.split("/")
        for depth in range(1, len(parts) if recursive else min(2, len(parts))):
            folder = "/".join(parts[:depth])
            folders.setdefault(folder, {})[path[len(folder) + 1 :]] = e
        if recursive or len(parts) == 1:
            # As GitHub does: a blob's size is stated, a submodule's (a commit) is not.
            size_of = {"size": len(repo.blobs[e["sha"]])} if e["type"] == "blob" else {}
            entries.append({"path": path, **e, **size_of})
    for folder, below in folders.items():
        entries.append({"path": folder, "mode": "040000", "type": "tree",
                        "sha": s.put_tree(repo, below)})  # fmt: skip
    entries.sort(key=lambda e: e["path"])
    kept, size = [], 0
    for entry in entries:
        size += len(json.dumps(entry))
        if len(kept) == s.tree_limit or size > s.tree_bytes:
            break
        kept.append(entry)
    return {"sha": sha, "url": f"{_repo_url(s, repo)}/git/trees/{sha}", "tree": kept,
            "truncated": len(kept) < len(entries)}  # fmt: skip


def create_tree(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    base = r["body"].get("base_tree")
    if base is not None and base not in repo.trees:
        raise ApiError(422, "base_tree is not a valid tree")
    entries = dict(repo.trees[base]) if base else {}
    for item in _field(r, "tree", list):
        path = item["path"]
        if item.get("sha", "") is None:
            entries.pop(path, None)
            continue
        sha = item.get("sha") or s.put_blob(repo, item["content"].encode())
        if sha not in repo.blobs:
            raise ApiError(422, f"tree.sha {sha} is not a valid blob")
        entries[path] = {"mode": item.get("mode", "100644"), "type": "blob", "sha": sha}
    return 201, _tree_json(s, repo, s.put_tree(repo, entries))


def get_tree(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    sha = repo.commits[g[2]]["tree"]["sha"] if g[2] in repo.commits else g[2]
    if sha not in repo.trees:
        raise ApiError(404, "Not Found")
    return 200, _tree_json(s, repo, sha, recursive="recursive" in r["query"])


def _commit_json(s: GitHubServer, repo: Repo, sha: str) -> dict[str, Any]:
    c = repo.commits[sha]
    base = _repo_url(s, repo)
    return {**c, "url": f"{base}/git/commits/{sha}",
            "tree": {"sha": c["tree"]["sha"], "url": f"{base}/git/trees/{c['tree']['sha']}"},
            "parents": [{"sha": p["sha"], "url": f"{base}/git/commits/{p['sha']}"}
                        for p in c["parents"]]}  # fmt: skip


def create_commit(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    tree, parents = _field(r, "tree", str), r["body"].get("parents", [])
    if tree not in repo.trees or any(p not in repo.commits for p in parents):
        raise ApiError(422, "Tree or parent SHA does not exist")
    sha = s.put_commit(repo, _field(r, "message", str), tree, parents)
    return 201, _commit_json(s, repo, sha)


def get_commit(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    if g[2] not in repo.commits:
        raise ApiError(404, "Not Found")
    return 200, _commit_json(s, repo, g[2])


_STATUS_STATES = ("error", "failure", "pending", "success")


def create_status(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    """POST /repos/{o}/{r}/statuses/{sha}: 201 with the status; 422 for an unknown commit."""
    repo = _repo(s, *g[:2])
    if "statuses" in s.withheld:
        raise ApiError(403, _READ_ONLY["message"])
    if g[2] not in repo.commits:
        raise ApiError(422, f"No commit found for SHA: {g[2]}")
    state = _field(r, "state", str)
    if state not in _STATUS_STATES:
        raise ApiError(422, f"Validation Failed: state {state!r}")
    body = r["body"]
    status = {
        "id": s.next_id(),
        "url": f"{_repo_url(s, repo)}/statuses/{g[2]}",
        "state": state,
        "description": body.get("description"),
        "target_url": body.get("target_url"),
        "context": body.get("context") or "default",
        "created_at": _stamp(),
        "updated_at": _stamp(),
        "creator": user("github-actions[bot]", "Bot"),
    }
    repo.statuses.setdefault(g[2], []).append(status)
    return 201, status


def list_statuses(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    """GET /repos/{o}/{r}/commits/{ref}/statuses: newest first, as GitHub lists them."""
    repo = _repo(s, *g[:2])
    return 200, list(reversed(repo.statuses.get(g[2], [])))


def get_contents(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    ref = r["query"].get("ref", [repo.default_branch])[0]
    if f"heads/{ref}" not in repo.refs and ref not in repo.commits:
        raise ApiError(404, f"No commit found for the ref {ref}")
    files = s.files_at(repo, ref)
    path = g[2].strip("/")
    if path in files:
        data = files[path]
        return 200, {"type": "file", "encoding": "base64", "size": len(data), "name":
                     path.rsplit("/", 1)[-1], "path": path, "sha": _sha1("blob", data),
                     "content": base64.b64encode(data).decode(),
                     "url": f"{_repo_url(s, repo)}/contents/{path}?ref={ref}"}  # fmt: skip
    below = sorted({p[len(path) + 1 :].split("/")[0] for p in files if p.startswith(path + "/")})
    if not below:
        raise ApiError(404, "Not Found")
    return 200, [{"type": "file" if f"{path}/{n}" in files else "dir", "name": n,
                  "path": f"{path}/{n}", "sha": "0" * 40,
                  "url": f"{_repo_url(s, repo)}/contents/{path}/{n}?ref={ref}"}
                 for n in below]  # fmt: skip


def get_environment(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    repo = _repo(s, *g[:2])
    name = unquote(g[2])
    if name not in repo.environments:
        raise ApiError(404, "Not Found")
    stamp = _stamp()
    return 200, {
        "id": abs(hash((repo.full_name, name))) % 10**8, "node_id": "EN_loopback", "name": name,
        "url": f"{_repo_url(s, repo)}/environments/{name}",
        "html_url": f"{s.url}/{repo.full_name}/deployments/activity_log?environments_filter={name}",
        "created_at": stamp, "updated_at": stamp, "protection_rules": [],
        "deployment_branch_policy": repo.environments[name],
    }  # fmt: skip


def get_user(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    return 200, {**user("factory-operator"), "url": f"{s.url}/users/factory-operator"}


def get_rate_limit(s: GitHubServer, r: Request, g: tuple[str, ...]) -> tuple[int, Any]:
    core = {"limit": 5000, "remaining": 4999, "reset": 0, "used": 1}
    return 200, {"resources": {"core": core}, "rate": core}


def _field(r: Request, name: str, kind: type) -> Any:
    value = r["body"].get(name) if isinstance(r["body"], dict) else None
    if not isinstance(value, kind):
        raise ApiError(422, f"Invalid request.\n\n{name!r} is missing or not a {kind.__name__}")
    return value


_R = r"/repos/([^/]+)/([^/]+)"
ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", rf"{_R}", get_repo),
    ("GET", rf"{_R}/pulls", list_pulls),
    ("POST", rf"{_R}/pulls", create_pull),
    ("GET", rf"{_R}/pulls/(\d+)", get_pull),
    ("PATCH", rf"{_R}/pulls/(\d+)", edit_pull),
    ("GET", rf"{_R}/commits/([0-9a-f]{{40}})/pulls", commit_pulls),
    ("GET", rf"{_R}/issues", list_issues),
    ("POST", rf"{_R}/issues", create_issue),
    ("GET", rf"{_R}/pulls/(\d+)/reviews", list_reviews),
    ("GET", rf"{_R}/pulls/(\d+)/reviews/(\d+)", get_review),
    ("GET", r"/orgs/([^/]+)/teams/([^/]+)/members", team_members),
    ("GET", rf"{_R}/pulls/(\d+)/files", list_pull_files),
    ("GET", rf"{_R}/pulls/(\d+)/commits", list_pull_commits),
    ("GET", rf"{_R}/collaborators/([^/]+)/permission", collaborator_permission),
    ("GET", rf"{_R}/issues/(\d+)", get_issue),
    ("GET", rf"{_R}/issues/(\d+)/comments", list_comments),
    ("POST", rf"{_R}/issues/(\d+)/comments", create_comment),
    ("PATCH", rf"{_R}/issues/comments/(\d+)", edit_comment),
    ("GET", rf"{_R}/git/refs?/(.+)", get_ref),
    ("POST", rf"{_R}/git/refs", create_ref),
    ("PATCH", rf"{_R}/git/refs/(.+)", update_ref),
    ("POST", rf"{_R}/git/blobs", create_blob),
    ("GET", rf"{_R}/git/blobs/([0-9a-f]+)", get_blob),
    ("POST", rf"{_R}/git/trees", create_tree),
    ("GET", rf"{_R}/git/trees/([0-9a-f]+)", get_tree),
    ("POST", rf"{_R}/git/commits", create_commit),
    ("GET", rf"{_R}/git/commits/([0-9a-f]+)", get_commit),
    ("GET", rf"{_R}/contents/(.*)", get_contents),
    ("POST", rf"{_R}/statuses/([0-9a-f]{{40}})", create_status),
    ("GET", rf"{_R}/commits/([0-9a-f]{{40}})/statuses", list_statuses),
    ("GET", rf"{_R}/environments/([^/]+)", get_environment),
    ("GET", r"/user", get_user),
    ("GET", r"/rate_limit", get_rate_limit),
]


_READ_ONLY = {
    "message": "Resource not accessible by integration",
    "documentation_url": "https://docs.github.com/rest",
}


def _handler_for(server: GitHubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return  # quiet: requests are recorded in server.requests

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PATCH(self) -> None:
            self._serve("PATCH")

        def do_PUT(self) -> None:
            self._serve("PUT")

        def do_DELETE(self) -> None:
            self._serve("DELETE")

        def _serve(self, method: str) -> None:
            split = urlsplit(self.path)
            query = parse_qs(split.query)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            try:
                body = json.loads(raw) if raw else {}
            except ValueError:
                body = None
            auth = self.headers.get("Authorization", "")
            tokens = {
                t: t == server.read_only_token
                for t in (server.token, server.read_only_token, server.app_token)
            }
            scheme, _, given = auth.partition(" ")
            given = given if scheme in ("token", "Bearer") else ""
            authorized = given in tokens
            if authorized and tokens[given] and method != "GET":
                status, payload, headers, delay = 403, _READ_ONLY, {}, 0.0
            else:
                status, payload, headers, delay = self._answer(
                    method, split.path, query, body, authorized
                )
            with server.lock:
                server.requests.append(
                    Recorded(method, split.path, query, body, authorized, status)
                )
            if delay:
                time.sleep(delay)  # outside the lock: other requests are still answered
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client gave up waiting (a hang fault)

        def _token(self) -> str:
            return self.headers.get("Authorization", "").partition(" ")[2]

        def _answer(
            self, method: str, path: str, query: dict[str, list[str]], body: Any, ok: bool
        ) -> tuple[int, Any, dict[str, str], float]:
            """Status, JSON, headers, and seconds to hang first (only a fault hangs)."""
            docs = {"documentation_url": "https://docs.github.com/rest"}
            if not ok:
                return 401, {"message": "Bad credentials", **docs}, {}, 0.0
            with server.lock:
                fault = next((f for f in server.faults if f.matches(method, path)), None)
                if fault is not None:
                    server.faults.remove(fault)
                    message = {"message": fault.message, **docs}
                    return fault.status, message, fault.headers, fault.delay
                return (*self._route(method, path, query, body), 0.0)

        def _route(
            self, method: str, path: str, query: dict[str, list[str]], body: Any
        ) -> tuple[int, Any, dict[str, str]]:
            docs = {"documentation_url": "https://docs.github.com/rest"}
            if body is None:
                return 400, {"message": "Problems parsing JSON", **docs}, {}
            for verb, pattern, handler in ROUTES:
                m = re.fullmatch(pattern, path.rstrip("/"))
                if verb == method and m:
                    request = {"method": method, "path": path, "query": query, "body": body,
                               "token": self._token()}  # fmt: skip
                    try:
                        status, payload = handler(server, request, m.groups())
                    except ApiError as exc:
                        return exc.status, {"message": exc.message, **docs}, exc.headers
                    return _paginate(server, path, query, status, payload)
            return 404, {"message": "Not Found", **docs}, {}

    return Handler


def _paginate(
    server: GitHubServer, path: str, query: dict[str, list[str]], status: int, payload: Any
) -> tuple[int, Any, dict[str, str]]:
    if not isinstance(payload, list) or status != 200:
        return status, payload, {}
    per_page = min(int(query.get("per_page", [server.per_page])[0]), 100)
    page = max(int(query.get("page", ["1"])[0]), 1)
    last = max((len(payload) + per_page - 1) // per_page, 1)
    links = []
    for rel, number in (("next", page + 1), ("last", last), ("prev", page - 1), ("first", 1)):
        if (rel in ("next", "last") and page < last) or (rel in ("prev", "first") and page > 1):
            links.append(f'<{server.url}{path}?per_page={per_page}&page={number}>; rel="{rel}"')
    headers = {"Link": ", ".join(links)} if links else {}
    return status, payload[(page - 1) * per_page : page * per_page], headers
