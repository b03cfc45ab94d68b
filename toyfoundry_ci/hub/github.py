"""The GitHub hub: ``github://OWNER/REPO[@BRANCH]`` through PyGithub and the git data API.

A push is one commit whatever its size: the tree is created with the files' content inline on
top of the branch's tree, then the commit, then the branch ref is moved without force. That is
a constant number of requests (ref, commit, tree, create tree, create commit, update ref, and
an issue as the notification), never one contents-API call per file. Rate limits and server
errors are retried with backoff, honouring ``Retry-After``; a stale ref (someone else pushed)
means refetch and retry. Blobs are content-addressed, so those read once are kept in a cache.

Without ``@BRANCH`` the hub is the repository's default branch. A branch or repository that is
not there is an error naming it: a push never starts a branch beside the default.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import requests
import urllib3
from github import Auth, Github, GithubException, GithubRetry, InputGitTreeElement
from github.GitCommit import GitCommit
from github.GitRef import GitRef
from github.GitTree import GitTree
from github.Repository import Repository
from urllib3.util.retry import Retry

from toyfoundry_ci.base import progress
from toyfoundry_ci.base.atomic import write_bytes_atomic, write_json_atomic
from toyfoundry_ci.base.errors import HubError
from toyfoundry_ci.base.git import blob_id
from toyfoundry_ci.base.loader import read_artifact
from toyfoundry_ci.hub.protocol import (
    HUB_FOLDERS,
    MAX_HUB_FILE,
    Publication,
    Published,
    check_hub_path,
)

DEFAULT_API = "https://api.github.com"
ATTEMPTS = 5
TOKEN_VARIABLES = ("TOYFOUNDRY_HUB_TOKEN", "GITHUB_TOKEN")
API_VARIABLES = ("TOYFOUNDRY_GITHUB_API_URL", "GITHUB_API_URL")
TIMEOUT_VARIABLE = "TOYFOUNDRY_GITHUB_TIMEOUT"  # seconds per request, default 30
CONNECT_RETRIES = 2


def api_url() -> str:
    """The API base URL: GitHub.com, or an Enterprise server named in the environment."""
    for name in API_VARIABLES:
        if os.environ.get(name):
            return os.environ[name].rstrip("/")
    return DEFAULT_API


def hub_token() -> str | None:
    for name in TOKEN_VARIABLES:
        if os.environ.get(name):
            return os.environ[name]
    return None


class _SaidRetry(GithubRetry):
    """GithubRetry that says each retry and when it comes (``base.progress``): no silence."""

    def increment(  # type: ignore[override]
        self,
        method: str | None = None,
        url: str | None = None,
        response: Any = None,
        error: Exception | None = None,
        _pool: Any = None,
        _stacktrace: Any = None,
    ) -> Retry:
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        if response is not None:
            why = f"HTTP {response.status}"
            wait = retry.get_retry_after(response) or retry.get_backoff_time()
        else:
            why = _why(error)
            wait = retry.get_backoff_time()
        tries = len(retry.history) + 1
        limits = [retry.total]
        if isinstance(error, urllib3.exceptions.ConnectTimeoutError):  # refused ones too
            limits.append(retry.connect)
        left = min((n for n in limits if isinstance(n, int)), default=0)
        path = (url or "").split("?", 1)[0]
        progress.notice(
            f"hub request {method} {path}: {why}; try {tries} of {tries + left} in {wait:.0f} s"
        )
        return retry


def _why(error: Exception | None) -> str:
    if isinstance(error, urllib3.exceptions.NewConnectionError):  # before its base class
        return "cannot connect (refused or unreachable)"
    if isinstance(error, urllib3.exceptions.ConnectTimeoutError):
        return "no connection within the timeout"
    if isinstance(error, urllib3.exceptions.ReadTimeoutError):
        return "no answer within the timeout"
    return type(error).__name__ if error else "failed"


def _retry() -> GithubRetry:
    return _SaidRetry(
        total=6,
        # No connection at all is not a busy server: try twice more, then say so.
        connect=CONNECT_RETRIES,
        backoff_factor=float(os.environ.get("TOYFOUNDRY_GITHUB_BACKOFF", "1.0")),
        status_forcelist=[429, *range(500, 600)],
        allowed_methods=frozenset({"GET", "POST", "PATCH", "PUT", "DELETE"}),
        secondary_rate_wait=60,
        max_rate_limit_wait=900,
    )


def _timeout() -> int:
    try:
        return max(1, int(os.environ.get(TIMEOUT_VARIABLE, "30")))
    except ValueError:
        raise HubError(f"{TIMEOUT_VARIABLE} must be a whole number of seconds") from None


class GitHubHub:
    """A hub that is a branch of a GitHub (or GitHub Enterprise) repository."""

    def __init__(self, owner: str, name: str, branch: str | None, cache_root: Path) -> None:
        self.full_name = f"{owner}/{name}"
        self.named = branch  # None: the repository's default branch, read on first fetch
        self.branch = branch or ""
        self.base_url = api_url()
        self.display = self._display()
        key = hashlib.sha256(f"{self.base_url}/{self.full_name}".encode()).hexdigest()[:16]
        self.blob_cache = cache_root / f"hub-github-{key}" / "blobs"
        # The issue owed for a publication whose ref may have moved: a crash between the
        # ref update and the issue leaves this behind, and the next fetch opens the issue.
        self.owed_notice = cache_root / f"hub-github-{key}" / "notice-owed.json"
        self._token = hub_token()
        auth = Auth.Token(self._token) if self._token else None
        self._gh = Github(
            auth=auth,
            base_url=self.base_url,
            retry=_retry(),
            seconds_between_requests=None,
            seconds_between_writes=None,
            timeout=_timeout(),
            lazy=True,
        )
        self._repo: Repository = self._gh.get_repo(self.full_name)
        self._head: GitCommit | None = None
        self._ref: GitRef | None = None
        self._base: GitTree | None = None
        self._tree: dict[str, str] = {}
        self._fetched = False

    # -- reading -------------------------------------------------------------------------

    def listing(self) -> Mapping[str, str]:
        self._fetch()
        return dict(self._tree)

    def read(self, paths: Iterable[str]) -> dict[str, bytes]:
        if not self._fetched:
            self._fetch()
        return {path: self._blob(path) for path in paths}

    def _display(self) -> str:
        shown = f"github://{self.full_name}" + (f"@{self.branch}" if self.branch else "")
        return shown + (f" via {self.base_url}" if self.base_url != DEFAULT_API else "")

    def _default_branch(self) -> str:
        name: str = self._call(lambda: self._repo.default_branch, "read the hub repository")
        return name

    def _blob(self, path: str) -> bytes:
        sha = self._tree.get(path)
        if sha is None:
            raise HubError(f"{self.display}: no file {path}")
        cached = self.blob_cache / sha
        if cached.is_file():
            return cached.read_bytes()
        blob = self._call(lambda: self._repo.get_git_blob(sha), f"read {path}")
        data = base64.b64decode(blob.content) if blob.encoding == "base64" else blob.content
        data = data if isinstance(data, bytes) else data.encode()
        if blob.size > MAX_HUB_FILE or len(data) > MAX_HUB_FILE:
            return data[: MAX_HUB_FILE + 1]  # for the caller to refuse; never cached
        if blob_id(data) != sha:
            raise HubError(f"{self.display}: {path} does not match its blob id {sha}")
        write_bytes_atomic(cached, data)
        return data

    def _fetch(self) -> None:
        self._head, self._base, self._tree, self._ref = None, None, {}, None
        if not self.branch:
            self.branch = self._default_branch()
            self.display = self._display()
        try:
            ref = self._repo.get_git_ref(f"heads/{self.branch}")
            head_sha = ref.object.sha
            self._ref = ref
        except GithubException as exc:
            if exc.status != 404:
                raise self._error(exc, "read the hub branch") from exc
            default = self._default_branch()  # a missing repository is named by this 404
            raise HubError(
                f"{self.display}: the hub has no branch {self.branch}",
                hint=f"use the default branch ({default}): --hub github://{self.full_name}",
            ) from exc
        except requests.RequestException as exc:
            raise self._error(exc, "read the hub branch") from exc
        else:
            self._head = self._call(lambda: self._repo.get_git_commit(head_sha), "read head")
            tree_sha = self._head.tree.sha
            self._base = self._call(
                lambda: self._repo.get_git_tree(tree_sha, recursive=True), "read tree"
            )
            if self._base.raw_data.get("truncated"):
                raise HubError(f"{self.display}: the hub tree is too large to list in one call")
            for element in self._base.tree:
                folder, _, name = element.path.partition("/")
                if (
                    element.type == "blob"
                    and element.mode in ("100644", "100755")
                    and folder in HUB_FOLDERS
                    and name
                    and "/" not in name
                ):
                    self._tree[element.path] = element.sha
        self._fetched = True
        if self.owed_notice.exists():
            self._settle_owed_notice()

    def _settle_owed_notice(self) -> None:
        """Open the issue a crashed push owed, once, if its receipt reached the hub."""
        owed = read_artifact(self.owed_notice)
        if not isinstance(owed, dict) or owed.get("receipt") not in self._tree:
            self.owed_notice.unlink(missing_ok=True)  # the push never landed: nothing owed
            return
        if not self._token:
            return
        title, body = str(owed.get("title")), str(owed.get("body"))
        issues = self._call(lambda: list(self._repo.get_issues(state="all")), "list issues")
        if not any(i.title == title and i.body == body for i in issues):
            self._call(lambda: self._repo.create_issue(title=title, body=body), "open the issue")
        self.owed_notice.unlink(missing_ok=True)

    # -- publishing ----------------------------------------------------------------------

    def publish(self, publication: Publication) -> Published:
        if not self._token:
            raise HubError(
                f"{self.display}: pushing needs a token",
                hint="set TOYFOUNDRY_HUB_TOKEN (or GITHUB_TOKEN) to a token allowed to write",
            )
        for item in publication.all_files():
            check_hub_path(item.path)
        for _attempt in range(ATTEMPTS):
            if not self._fetched:
                self._fetch()
            changes = [f for f in publication.all_files() if self._tree.get(f.path) != f.blob]
            if not changes:
                return Published(publication=self._head.sha if self._head else "", changed=0)
            if publication.notice_title:
                owed = {
                    "receipt": publication.receipt.path,
                    "title": publication.notice_title,
                    "body": publication.notice_body,
                }
                write_json_atomic(self.owed_notice, owed)
            commit = self._commit(changes, publication.message)
            if commit is not None:
                self._head = commit
                self._tree.update({f.path: f.blob for f in changes})
                self._fetched = False
                if publication.notice_title:
                    self._call(
                        lambda: self._repo.create_issue(
                            title=publication.notice_title, body=publication.notice_body
                        ),
                        "open the notification issue",
                    )
                    self.owed_notice.unlink(missing_ok=True)
                return Published(publication=commit.sha, changed=len(changes))
            self._fetched = False  # the branch moved: refetch and commit again on its head
        raise HubError(
            f"{self.display}: branch {self.branch} kept moving; gave up after {ATTEMPTS} attempts",
            hint="run the push again; what already reached the hub is not sent twice",
        )

    def _commit(self, changes: list[Any], message: str) -> GitCommit | None:
        elements = [
            InputGitTreeElement(f.path, "100644", "blob", content=f.data.decode("utf-8"))
            for f in changes
        ]
        base = self._base
        tree = self._call(
            lambda: (
                self._repo.create_git_tree(elements, base)
                if base is not None
                else self._repo.create_git_tree(elements)
            ),
            "create the tree",
        )
        parents = [self._head] if self._head is not None else []
        commit: GitCommit = self._call(
            lambda: self._repo.create_git_commit(message, tree, parents), "create the commit"
        )
        if self._ref is None:  # never reached: a fetch without the branch is an error
            raise HubError(f"{self.display}: the hub has no branch {self.branch}")
        try:
            self._ref.edit(commit.sha, force=False)
        except GithubException as exc:
            if exc.status in (409, 422):
                return None
            raise self._error(exc, "move the hub branch") from exc
        except requests.RequestException as exc:
            raise self._error(exc, "move the hub branch") from exc
        return commit

    # -- errors --------------------------------------------------------------------------

    def _call(self, fn: Any, what: str) -> Any:
        try:
            return fn()
        except (GithubException, requests.RequestException) as exc:
            raise self._error(exc, what) from exc

    def _error(self, exc: GithubException | requests.RequestException, what: str) -> HubError:
        if isinstance(exc, requests.RequestException):
            return self._transport_error(exc, what)
        data = exc.data if isinstance(exc.data, dict) else {}
        detail = str(data.get("message", "")) or "no message"
        hint = None
        if exc.status == 401:
            hint = "set TOYFOUNDRY_HUB_TOKEN (or GITHUB_TOKEN) to a valid token"
        elif exc.status == 404:
            hint = f"check that {self.full_name} exists and the token may read it"
        elif exc.status == 409:
            hint = "an empty repository cannot be a hub yet: add a first commit (e.g. a README)"
        return HubError(f"{self.display}: cannot {what}: {exc.status} {detail}", hint=hint)

    def _transport_error(self, exc: requests.RequestException, what: str) -> HubError:
        """Retries exhausted, a timeout or no connection: say which, without the URL's query."""
        reason = getattr(exc.args[0], "reason", None) if exc.args else None
        if isinstance(reason, urllib3.exceptions.NewConnectionError):  # a TimeoutError too
            why = "cannot connect to the API server (refused or unreachable), after retries"
        elif isinstance(exc, requests.Timeout) or isinstance(
            reason, urllib3.exceptions.TimeoutError
        ):
            why = f"no answer within {_timeout()} s, after retries"
        elif isinstance(exc, requests.exceptions.RetryError):
            why = f"gave up after retries ({reason or 'the server kept failing'})"
        elif isinstance(exc, requests.ConnectionError):
            why = "cannot connect to the API server"
        else:
            why = type(exc).__name__
        return HubError(
            f"{self.display}: cannot {what}: {why}",
            hint="check the hub's status and run again; what already reached it is not sent twice",
        )
