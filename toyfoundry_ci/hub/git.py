"""The git hub: any URL git can push to (a bare repository path, ``file://``, ``git://``,
``ssh://``, ``https://``).

A bare cache clone, kept inside the factory's git directory where no pull request can plant
one (``toyfoundry/hub-git-*.git``), is fetched from the hub, always through
``base.git.Git.hub_cache``: no hooks, no configuration of its own, only the hub transports.
A publication becomes one commit built with ``git fast-import`` on top of the hub's branch
and pushed without force. When someone else moved the branch meanwhile, the push is refused
as non-fast-forward: the cache is refetched and the same files are committed again on the
new head.

The branch is the one named, else the hub's default: what its ``HEAD`` points at, as
``git ls-remote --symref`` reports it. A branch that is not there is an error naming it, with
one exception: the branch an unborn ``HEAD`` points at (a fresh ``git init --bare``) is an
empty hub, and the first push creates it. So a push never starts a branch beside the default.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path

from toyfoundry_ci.base.clock import now
from toyfoundry_ci.base.errors import HubError
from toyfoundry_ci.base.git import Git, not_an_option, said
from toyfoundry_ci.hub.protocol import (
    HUB_FOLDERS,
    MAX_HUB_FILE,
    HubFile,
    Publication,
    Published,
    Refused,
    check_hub_path,
    tree_entry,
)

ATTEMPTS = 5
_REJECTED = ("non-fast-forward", "fetch first", "[rejected]", "failed to update ref")
_LOCAL_REF = "refs/toyfoundry/hub"
_SCRATCH_REF = "refs/toyfoundry/publish"
_COMMIT = re.compile(r"[0-9a-f]{40}(?:[0-9a-f]{24})?")
_HINT = "name the hub as URL#BRANCH with --hub, or `hub = ...` in pyproject.toml [tool.toyfoundry]"


class GitRemoteHub:
    """A hub that is a branch of a git repository reachable by URL."""

    def __init__(self, url: str, branch: str | None, cache_root: Path, display: str) -> None:
        self.url = not_an_option(url, "hub URL", _HINT)
        # None: the hub's default branch, resolved on first fetch
        self.named = branch if branch is None else not_an_option(branch, "hub branch", _HINT)
        self.branch = branch or "HEAD"
        self.display = display
        key = hashlib.sha256(f"{url}#{self.branch}".encode()).hexdigest()[:16]
        self.cache = cache_root / f"hub-git-{key}.git"
        self._head: str | None = None
        self._fetched = False
        self._tree: dict[str, str] = {}
        self._refused: dict[str, str] = {}  # hub path -> why (links, submodules, folders)
        self._cache: Git | None = None

    # -- reading -------------------------------------------------------------------------

    def listing(self) -> Mapping[str, str]:
        self._fetch()
        return dict(self._tree)

    def refusals(self) -> Mapping[str, str]:
        return dict(self._refused)

    def read(self, paths: Iterable[str]) -> dict[str, bytes]:
        wanted = list(paths)
        if not self._fetched:
            self._fetch()
        missing = [p for p in wanted if p not in self._tree]
        if missing:
            raise HubError(f"{self.display}: no file {missing[0]} on branch {self.branch}")
        out: dict[str, bytes] = {p: Refused(self._refused[p]) for p in wanted if p in self._refused}
        blobs = [p for p in wanted if p not in out]
        found = self._hub().blobs([self._tree[p] for p in blobs], MAX_HUB_FILE)
        out.update({p: _bounded(found.data, found.too_big, self._tree[p]) for p in blobs})
        return out

    # -- lineage (hub.protocol.Lineage) -------------------------------------------------

    def head(self) -> str | None:
        return self._head

    def descends_from(self, commit: str) -> bool:
        if self._head is None or not _COMMIT.fullmatch(commit):
            return False
        return self._hub().ok("merge-base", "--is-ancestor", commit, self._head)

    # -- publishing ----------------------------------------------------------------------

    def publish(self, publication: Publication) -> Published:
        for item in publication.all_files():
            check_hub_path(item.path)
        for _attempt in range(ATTEMPTS):
            if not self._fetched:
                self._fetch()
            changes = [f for f in publication.all_files() if self._tree.get(f.path) != f.blob]
            if not changes:
                return Published(publication=self._head or "", changed=0)
            commit = self._commit(changes, publication.message)
            if self._push(commit):
                self._head = commit
                self._tree.update({f.path: f.blob for f in changes})
                for item in changes:
                    self._refused.pop(item.path, None)
                return Published(publication=commit, changed=len(changes))
            self._fetched = False  # someone moved the branch: refetch and commit again
        raise HubError(
            f"{self.display}: branch {self.branch} kept moving; gave up after {ATTEMPTS} attempts",
            hint="run the push again; what already reached the hub is not sent twice",
        )

    def _commit(self, files: list[HubFile], message: str) -> str:
        stamp = int(now().timestamp())
        name = os.environ.get("GIT_COMMITTER_NAME", "toyfoundry")
        email = os.environ.get("GIT_COMMITTER_EMAIL", "toyfoundry@localhost")
        msg = message.encode()
        chunks = [
            f"commit {_SCRATCH_REF}\n".encode(),
            f"committer {name} <{email}> {stamp} +0000\n".encode(),
            b"data %d\n" % len(msg),
            msg + b"\n",
        ]
        if self._head:
            chunks.append(f"from {self._head}\n".encode())
        for item in files:
            chunks.append(f"M 100644 inline {item.path}\ndata {len(item.data)}\n".encode())
            chunks.extend((item.data, b"\n"))
        chunks.append(b"done\n")
        self._git("fast-import", "--quiet", "--force", "--done", stdin=b"".join(chunks))
        return self._git("rev-parse", _SCRATCH_REF).decode().strip()

    def _push(self, commit: str) -> bool:
        refspec = f"{commit}:refs/heads/{self.branch}"
        ran = self._hub().run("push", "--quiet", "--porcelain", "--", self.url, refspec)
        if ran.ok:
            return True
        text = ran.err.decode(errors="replace") + ran.out.decode(errors="replace")
        if any(word in text for word in _REJECTED):
            return False
        raise self._hub().error("push", ran)

    # -- plumbing ------------------------------------------------------------------------

    def _fetch(self) -> None:
        if not self._resolve_branch():  # the unborn default branch: an empty hub
            self._hub().run("update-ref", "-d", _LOCAL_REF)
            self._head, self._tree, self._refused = None, {}, {}
            self._fetched = True
            return
        ran = self._hub().run(
            "fetch", "--quiet", "--no-tags", "--force", "--", self.url,
            f"+refs/heads/{self.branch}:{_LOCAL_REF}",
        )  # fmt: skip
        if not ran.ok:
            raise HubError(
                f"{self.display}: cannot fetch branch {self.branch}: {self._said(ran.err)}",
                hint="check the hub URL and that this machine may read it",
            )
        self._head = self._git("rev-parse", _LOCAL_REF).decode().strip()
        self._tree, self._refused = self._ls_tree(self._head)
        self._fetched = True

    def _resolve_branch(self) -> bool:
        """Settle ``self.branch``; True when it holds commits, False when it is unborn."""
        ran = self._hub().run("ls-remote", "--symref", "--", self.url, "HEAD", "refs/heads/*")
        if not ran.ok:
            raise HubError(
                f"{self.display}: no git repository can be read there: {self._said(ran.err)}",
                hint="check the hub URL; a new hub is made with `git init --bare PATH`",
            )
        heads, default = [], None
        for line in ran.out.decode(errors="replace").splitlines():
            left, _, name = line.partition("\t")
            if left.startswith("ref: refs/heads/") and name == "HEAD":
                default = left.removeprefix("ref: refs/heads/")
            elif name.startswith("refs/heads/"):
                heads.append(name.removeprefix("refs/heads/"))
        if default is None and not heads:
            default = self._unborn_head()  # an empty repository: HEAD names its first branch
        known = ", ".join(sorted(heads)[:10]) or "none"
        base = self.display.partition("#")[0]
        if self.named is None:
            if default is None:  # HEAD is detached, or names a branch that has no commits
                raise HubError(
                    f"{self.display}: the hub's HEAD names no branch with commits"
                    f" (its branches: {known})",
                    hint=f"name the branch: --hub {base}#{sorted(heads)[0] if heads else 'BRANCH'}",
                )
            self.branch = default
        if self.branch in heads:
            return True
        if self.branch == default and not heads:
            return False
        raise HubError(
            f"{self.display}: the hub has no branch {self.branch} (its branches: {known})",
            hint=f"use the hub's default branch: --hub {base} (that is #{default})"
            if default
            else f"name an existing branch: --hub {base}#BRANCH",
        )

    def _unborn_head(self) -> str | None:
        """The branch an empty repository's HEAD points at, learnt by cloning it (cheap: empty)."""
        with tempfile.TemporaryDirectory(prefix="toyfoundry-hub-") as scratch:
            clone = Path(scratch) / "hub.git"
            outside = Git(Path(scratch), hub_url=self.url, display=self.display)
            cloned = outside.run(
                "clone", "--quiet", "--bare", "--template=", "--", self.url, str(clone)
            )
            if not cloned.ok:
                return None
            inside = Git(clone, git_dir=True, hub_url=self.url, display=self.display)
            head = inside.run("symbolic-ref", "--quiet", "HEAD")
        name = head.out.decode(errors="replace").strip()
        return name.removeprefix("refs/heads/") if name.startswith("refs/heads/") else None

    def _ls_tree(self, commit: str) -> tuple[dict[str, str], dict[str, str]]:
        """The listing (hub path -> object id) and what in it, or in place of a hub folder,
        is refused: links (120000), submodules (160000), folders (``-t`` shows them)."""
        out = self._git("ls-tree", "-r", "-t", "-z", "--full-tree", commit, "--", *HUB_FOLDERS)
        tree: dict[str, str] = {}
        refused: dict[str, str] = {}
        for record in out.split(b"\0"):
            if not record:
                continue
            meta, _, raw_path = record.partition(b"\t")
            mode, _kind, sha = meta.decode().split()
            path = raw_path.decode(errors="replace")
            listed, why = tree_entry(path, mode)
            if listed:
                tree[path] = sha
            if why is not None:
                refused[path] = why
        return tree, refused

    def _hub(self) -> Git:
        """git on the cache clone, made and reset on first use."""
        if self._cache is None:
            self._cache = Git.hub_cache(self.cache, self.url, self.display)
        return self._cache

    def _git(self, *args: str, stdin: bytes | None = None) -> bytes:
        return self._hub().out(*args, stdin=stdin)

    def _said(self, err: bytes) -> str:
        """git's words with the URL (which may carry credentials) replaced by the display."""
        return said(err).replace(self.url, self.display)


def _bounded(data: Mapping[str, bytes], too_big: Mapping[str, int], sha: str) -> bytes:
    """A blob as ``Hub.read`` gives it: above the bound, MAX_HUB_FILE + 1 bytes never read
    from git (zeros), for the caller to refuse as ``oversized``."""
    if sha in too_big:
        return bytes(MAX_HUB_FILE + 1)
    if sha not in data:
        raise HubError(f"blob {sha} is missing from the fetched hub")
    return data[sha]
