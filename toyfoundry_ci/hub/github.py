"""The GitHub hub: ``github://OWNER/REPO[@BRANCH]`` through PyGithub and the git data API.

A push is one commit whatever its size: the tree is created with the files' content inline on
top of the branch's tree, then the commit, then the branch ref is moved without force. That is
a constant number of requests (ref, commit, tree, create tree, create commit, update ref, and
an issue as the notification), never one contents-API call per file. Rate limits and server
errors are retried with backoff, honouring ``Retry-After``; a stale ref (someone else pushed)
means refetch and retry. Blobs are content-addressed, so those read once are kept in a cache.
The client (token, API URL, retries, error messages) is ``github.client``'s, target HUB.

The hub's files come from one recursive tree listing; when GitHub cuts it short (100,000
entries or 7 MB) the hub folders are listed one by one instead (``github.trees``). A file
whose size in the tree is above the bound is never downloaded: it is withheld for the caller
to refuse.

Without ``@BRANCH`` the hub is the repository's default branch. A branch or repository that is
not there is an error naming it: a push never starts a branch beside the default.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from github import GithubException, InputGitTreeElement
from github.GitCommit import GitCommit
from github.GitRef import GitRef
from github.GitTree import GitTree
from github.Repository import Repository

from toyfoundry_ci.base.atomic import write_bytes_atomic, write_json_atomic
from toyfoundry_ci.base.errors import HubError
from toyfoundry_ci.base.git import blob_id
from toyfoundry_ci.base.loader import read_artifact
from toyfoundry_ci.base.reader import UnreadableError, read_file
from toyfoundry_ci.github.client import DEFAULT_API, HUB, Connection, shown
from toyfoundry_ci.github.trees import TreeFile, TruncatedTreeError, tree_files
from toyfoundry_ci.hub.protocol import (
    HUB_FOLDERS,
    MAX_HUB_FILE,
    Publication,
    Published,
    Refused,
    Withheld,
    check_hub_path,
    tree_entry,
)

ATTEMPTS = 5


class GitHubHub:
    """A hub that is a branch of a GitHub (or GitHub Enterprise) repository."""

    def __init__(self, owner: str, name: str, branch: str | None, cache_root: Path) -> None:
        self.full_name = f"{owner}/{name}"
        self.named = branch  # None: the repository's default branch, read on first fetch
        self.branch = branch or ""
        self._conn = Connection(HUB, self.full_name)
        self.base_url = self._conn.api_url
        self.display = self._display()
        key = hashlib.sha256(f"{self.base_url}/{self.full_name}".encode()).hexdigest()[:16]
        self.blob_cache = cache_root / f"hub-github-{key}" / "blobs"
        # The issue owed for a publication whose ref may have moved: a crash between the
        # ref update and the issue leaves this behind, and the next fetch opens the issue.
        self.owed_notice = cache_root / f"hub-github-{key}" / "notice-owed.json"
        self._repo: Repository = self._conn.github.get_repo(self.full_name)
        self._head: GitCommit | None = None
        self._ref: GitRef | None = None
        self._base: GitTree | None = None
        self._tree: dict[str, str] = {}
        self._sizes: dict[str, int | None] = {}
        self._refused: dict[str, str] = {}  # hub path -> why (links, submodules, folders)
        self._fetched = False

    # -- reading -------------------------------------------------------------------------

    def listing(self) -> Mapping[str, str]:
        self._fetch()
        return dict(self._tree)

    def refusals(self) -> Mapping[str, str]:
        return dict(self._refused)

    def read(self, paths: Iterable[str]) -> dict[str, bytes]:
        if not self._fetched:
            self._fetch()
        return {path: self._blob(path) for path in paths}

    def _display(self) -> str:
        via = f" via {shown(self.base_url)}" if self.base_url != DEFAULT_API else ""
        return f"github://{self.full_name}" + (f"@{self.branch}" if self.branch else "") + via

    def _default_branch(self) -> str:
        name: str = self._call(lambda: self._repo.default_branch, "read the hub repository")
        return name

    def _blob(self, path: str) -> bytes:
        sha = self._tree.get(path)
        if sha is None:
            raise HubError(f"{self.display}: no file {path}")
        if path in self._refused:
            return Refused(self._refused[path])  # the tree's mode says it is no file
        size = self._sizes.get(path)
        if size is not None and size > MAX_HUB_FILE:
            return Withheld(sha, size)  # the tree says it is too large: never downloaded
        cached = self.blob_cache / sha
        if (hit := _cached(cached)) is not None and blob_id(hit) == sha:
            return hit  # the cache vouches for nothing: a hit is checked against its id
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
        self._head, self._base, self._ref = None, None, None
        self._tree, self._sizes, self._refused = {}, {}, {}
        if not self.branch:
            self.branch = self._default_branch()
            self.display = self._display()
        head_sha = None
        with self._conn.guard(self.display, "read the hub branch"):
            try:
                self._ref = self._repo.get_git_ref(f"heads/{self.branch}")
                head_sha = self._ref.object.sha  # lazy: the request happens here
            except GithubException as exc:
                if exc.status != 404:
                    raise
        if self._ref is None or head_sha is None:
            default = self._default_branch()  # a missing repository is named by this 404
            raise HubError(
                f"{self.display}: the hub has no branch {self.branch}",
                hint=f"use the default branch ({default}): --hub github://{self.full_name}",
            )
        self._head = self._call(lambda: self._repo.get_git_commit(head_sha), "read head")
        self._base = self._head.tree
        for path, found in self._listing(self._base.sha).items():
            listed, why = tree_entry(path, found.mode)
            if listed:
                self._tree[path] = found.sha
                self._sizes[path] = found.size
            if why is not None:
                self._refused[path] = why
        self._fetched = True
        if self.owed_notice.exists():
            self._settle_owed_notice()

    def _listing(self, tree_sha: str) -> dict[str, TreeFile]:
        """The files of the hub folders, walking them when the recursive listing is cut."""
        try:
            found: dict[str, TreeFile] = self._call(
                lambda: tree_files(self._repo, tree_sha, lambda folder: folder in HUB_FOLDERS),
                "read the hub tree",
            )
        except TruncatedTreeError as exc:
            raise HubError(f"{self.display}: {exc.message}", hint=exc.hint) from exc
        return found

    def _settle_owed_notice(self) -> None:
        """Open the issue a crashed push owed, once, if its receipt reached the hub."""
        owed = read_artifact(self.owed_notice)
        if not isinstance(owed, dict) or owed.get("receipt") not in self._tree:
            self.owed_notice.unlink(missing_ok=True)  # the push never landed: nothing owed
            return
        if not self._conn.token:
            return
        title, body = str(owed.get("title")), str(owed.get("body"))
        issues = self._call(lambda: list(self._repo.get_issues(state="all")), "list issues")
        if not any(i.title == title and i.body == body for i in issues):
            self._call(lambda: self._repo.create_issue(title=title, body=body), "open the issue")
        self.owed_notice.unlink(missing_ok=True)

    # -- publishing ----------------------------------------------------------------------

    def publish(self, publication: Publication) -> Published:
        self._conn.require_token(self.display, "pushing")
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
        with self._conn.guard(self.display, "move the hub branch"):
            try:
                self._ref.edit(commit.sha, force=False)
            except GithubException as exc:
                if exc.status in (409, 422):
                    return None
                raise
        return commit

    # -- errors --------------------------------------------------------------------------

    def _call(self, fn: Any, what: str) -> Any:
        return self._conn.call(fn, self.display, what)


def _cached(path: Path) -> bytes | None:
    try:
        return read_file(path, MAX_HUB_FILE)
    except UnreadableError:
        return None
