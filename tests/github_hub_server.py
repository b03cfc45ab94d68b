"""A GitHub API server on loopback for tests: the git data API and issues, GitHub-shaped.

It keeps repositories in memory (blob ids are real git blob ids, so clients may compare
them with local files), answers with GitHub's JSON and status codes — 401 without a token,
404, 422 on a ref update that is not a fast-forward, 403/429 rate limits with their headers
when faults are queued, pagination via ``Link`` — rewrites absolute URLs to itself, and
records every request. PyGithub runs unmodified against it (``base_url=server.url``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "test-token"  # noqa: S105 - a fake token that only this loopback server knows


def _sha(kind: str, payload: bytes) -> str:
    return hashlib.sha1(b"%s %d\0" % (kind.encode(), len(payload)) + payload).hexdigest()  # noqa: S324


@dataclass
class Fault:
    """Answer the next request matching ``method`` and ``path`` (a regex) with ``status``."""

    method: str
    path: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "fault injected"
    delay: float = 0.0  # seconds to hang before answering (a server past the client's timeout)


@dataclass
class Repo:
    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, dict[str, str]] = field(default_factory=dict)  # tree sha -> path -> blob
    commits: dict[str, dict[str, Any]] = field(default_factory=dict)
    refs: dict[str, str] = field(default_factory=dict)  # "heads/main" -> commit sha
    issues: list[dict[str, Any]] = field(default_factory=list)

    def put_tree(self, files: dict[str, str]) -> str:
        sha = _sha("tree", json.dumps(sorted(files.items())).encode())
        self.trees[sha] = dict(files)
        return sha

    def put_commit(self, tree: str, parents: list[str], message: str) -> str:
        body = {"tree": tree, "parents": parents, "message": message}
        sha = _sha("commit", json.dumps(body, sort_keys=True).encode())
        self.commits[sha] = body
        return sha

    def ancestors(self, sha: str) -> set[str]:
        seen, stack = set(), [sha]
        while stack:
            current = stack.pop()
            if current not in seen:
                seen.add(current)
                stack.extend(self.commits[current]["parents"])
        return seen

    def files(self, branch: str = "main") -> dict[str, bytes]:
        tree = self.trees[self.commits[self.refs[f"heads/{branch}"]]["tree"]]
        return {path: self.blobs[sha] for path, sha in tree.items()}


class GitHubServer:
    """``with GitHubServer() as gh:`` — ``gh.url`` is the API base URL."""

    def __init__(self) -> None:
        self.repos: dict[str, Repo] = {}
        self.requests: list[tuple[str, str]] = []
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> GitHubServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def create_repo(self, full_name: str, files: dict[str, bytes] | None = None) -> Repo:
        """A repository whose main branch holds ``files`` (a README when none are given)."""
        repo = Repo()
        tree: dict[str, str] = {}
        for path, data in (files or {"README.md": b"hub\n"}).items():
            sha = _sha("blob", data)
            repo.blobs[sha] = data
            tree[path] = sha
        repo.refs["heads/main"] = repo.put_commit(repo.put_tree(tree), [], "initial")
        self.repos[full_name] = repo
        return repo

    def push_files(self, full_name: str, files: dict[str, bytes], branch: str = "main") -> None:
        """Someone else commits to the branch (as High Command does)."""
        repo = self.repos[full_name]
        head = repo.refs[f"heads/{branch}"]
        tree = dict(repo.trees[repo.commits[head]["tree"]])
        for path, data in files.items():
            sha = _sha("blob", data)
            repo.blobs[sha] = data
            tree[path] = sha
        repo.refs[f"heads/{branch}"] = repo.put_commit(repo.put_tree(tree), [head], "other")

    def count(self, method: str | None = None) -> int:
        return sum(1 for m, _ in self.requests if method in (None, m))


_REPO = r"^/repos/(?P<repo>[^/]+/[^/]+)"
_ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    ("GET", re.compile(_REPO + r"$"), "get_repo"),
    ("GET", re.compile(_REPO + r"/git/ref/(?P<ref>.+)$"), "get_ref"),
    ("PATCH", re.compile(_REPO + r"/git/refs/(?P<ref>.+)$"), "update_ref"),
    ("POST", re.compile(_REPO + r"/git/refs$"), "create_ref"),
    ("GET", re.compile(_REPO + r"/git/commits/(?P<sha>\w+)$"), "get_commit"),
    ("POST", re.compile(_REPO + r"/git/commits$"), "create_commit"),
    ("GET", re.compile(_REPO + r"/git/trees/(?P<sha>\w+)$"), "get_tree"),
    ("POST", re.compile(_REPO + r"/git/trees$"), "create_tree"),
    ("GET", re.compile(_REPO + r"/git/blobs/(?P<sha>\w+)$"), "get_blob"),
    ("POST", re.compile(_REPO + r"/git/blobs$"), "create_blob"),
    ("GET", re.compile(_REPO + r"/issues$"), "list_issues"),
    ("POST", re.compile(_REPO + r"/issues$"), "create_issue"),
]


class _ReplyError(Exception):
    def __init__(
        self, status: int, body: Any, headers: dict[str, str] | None = None, delay: float = 0.0
    ) -> None:
        self.status, self.body, self.headers, self.delay = status, body, headers or {}, delay


def _handler(server: GitHubServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def do_PATCH(self) -> None:
            self._serve("PATCH")

        def _serve(self, method: str) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            delay = 0.0
            with server.lock:
                server.requests.append((method, parts.path))
                try:
                    status, body, headers = 200, self._route(method, parts, raw), {}
                except _ReplyError as answer:
                    status, body, headers = answer.status, answer.body, answer.headers
                    delay = answer.delay
            if delay:
                time.sleep(delay)  # outside the lock: other requests are still served
            data = json.dumps(body).replace("{base}", server.url).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)

        def _route(self, method: str, parts: Any, raw: bytes) -> Any:
            for fault in list(server.faults):
                if fault.method == method and re.search(fault.path, parts.path):
                    server.faults.remove(fault)
                    raise _ReplyError(
                        fault.status, {"message": fault.message}, fault.headers, fault.delay
                    )
            if self.headers.get("Authorization", "") not in (f"token {TOKEN}", f"Bearer {TOKEN}"):
                raise _ReplyError(401, {"message": "Requires authentication"})
            for verb, pattern, name in _ROUTES:
                match = pattern.match(parts.path)
                if verb == method and match:
                    repo = server.repos.get(match["repo"])
                    if repo is None:
                        raise _ReplyError(404, {"message": "Not Found"})
                    args = {k: v for k, v in match.groupdict().items() if k != "repo"}
                    payload = json.loads(raw) if raw else {}
                    query = parse_qs(parts.query)
                    return getattr(self, name)(match["repo"], repo, payload, query, **args)
            raise _ReplyError(404, {"message": "Not Found"})

        # -- endpoints ---------------------------------------------------------------

        def get_repo(self, name: str, repo: Repo, *_: Any) -> Any:
            return {"full_name": name, "name": name.split("/")[1], "default_branch": "main",
                    "url": f"{{base}}/repos/{name}"}  # fmt: skip

        def get_ref(self, name: str, repo: Repo, _p: Any, _q: Any, ref: str) -> Any:
            if ref not in repo.refs:
                raise _ReplyError(404, {"message": "Not Found"})
            return _ref_json(name, ref, repo.refs[ref])

        def create_ref(self, name: str, repo: Repo, payload: Any, _q: Any) -> Any:
            ref = payload["ref"].removeprefix("refs/")
            if ref in repo.refs:
                raise _ReplyError(422, {"message": "Reference already exists"})
            repo.refs[ref] = payload["sha"]
            raise _ReplyError(201, _ref_json(name, ref, payload["sha"]))

        def update_ref(self, name: str, repo: Repo, payload: Any, _q: Any, ref: str) -> Any:
            if ref not in repo.refs:
                raise _ReplyError(422, {"message": "Reference does not exist"})
            new = payload["sha"]
            if not payload.get("force") and repo.refs[ref] not in repo.ancestors(new):
                raise _ReplyError(422, {"message": "Update is not a fast forward"})
            repo.refs[ref] = new
            return _ref_json(name, ref, new)

        def get_commit(self, name: str, repo: Repo, _p: Any, _q: Any, sha: str) -> Any:
            if sha not in repo.commits:
                raise _ReplyError(404, {"message": "Not Found"})
            return _commit_json(name, sha, repo.commits[sha])

        def create_commit(self, name: str, repo: Repo, payload: Any, _q: Any) -> Any:
            if payload["tree"] not in repo.trees or not all(
                p in repo.commits for p in payload["parents"]
            ):
                raise _ReplyError(422, {"message": "Tree or parent SHA does not exist"})
            sha = repo.put_commit(payload["tree"], payload["parents"], payload["message"])
            raise _ReplyError(201, _commit_json(name, sha, repo.commits[sha]))

        def get_tree(self, name: str, repo: Repo, _p: Any, _q: Any, sha: str) -> Any:
            if sha not in repo.trees:
                raise _ReplyError(404, {"message": "Not Found"})
            return _tree_json(name, sha, repo)

        def create_tree(self, name: str, repo: Repo, payload: Any, _q: Any) -> Any:
            base = payload.get("base_tree")
            if base is not None and base not in repo.trees:
                raise _ReplyError(422, {"message": "base_tree is not a valid tree"})
            files = dict(repo.trees[base]) if base else {}
            for item in payload["tree"]:
                if "content" in item:
                    data = item["content"].encode()
                    sha = _sha("blob", data)
                    repo.blobs[sha] = data
                    files[item["path"]] = sha
                elif item.get("sha") is None:
                    files.pop(item["path"], None)
                else:
                    files[item["path"]] = item["sha"]
            sha = repo.put_tree(files)
            raise _ReplyError(201, _tree_json(name, sha, repo))

        def get_blob(self, name: str, repo: Repo, _p: Any, _q: Any, sha: str) -> Any:
            if sha not in repo.blobs:
                raise _ReplyError(404, {"message": "Not Found"})
            data = repo.blobs[sha]
            return {"sha": sha, "size": len(data), "encoding": "base64",
                    "content": base64.b64encode(data).decode(),
                    "url": f"{{base}}/repos/{name}/git/blobs/{sha}"}  # fmt: skip

        def create_blob(self, name: str, repo: Repo, payload: Any, _q: Any) -> Any:
            content = payload["content"]
            data = (
                base64.b64decode(content)
                if payload.get("encoding") == "base64"
                else content.encode()
            )
            sha = _sha("blob", data)
            repo.blobs[sha] = data
            raise _ReplyError(201, {"sha": sha, "url": f"{{base}}/repos/{name}/git/blobs/{sha}"})

        def create_issue(self, name: str, repo: Repo, payload: Any, _q: Any) -> Any:
            number = len(repo.issues) + 1
            issue = {"number": number, "title": payload["title"], "body": payload.get("body"),
                     "state": "open", "url": f"{{base}}/repos/{name}/issues/{number}"}  # fmt: skip
            repo.issues.append(issue)
            raise _ReplyError(201, issue)

        def list_issues(self, name: str, repo: Repo, _p: Any, query: Any) -> Any:
            per_page = int(query.get("per_page", ["30"])[0])
            page = int(query.get("page", ["1"])[0])
            items = repo.issues[(page - 1) * per_page : page * per_page]
            if page * per_page < len(repo.issues):
                after = f"{server.url}/repos/{name}/issues?per_page={per_page}&page={page + 1}"
                raise _ReplyError(200, items, {"Link": f'<{after}>; rel="next"'})
            return items

    return Handler


def _ref_json(name: str, ref: str, sha: str) -> Any:
    return {"ref": f"refs/{ref}", "url": f"{{base}}/repos/{name}/git/refs/{ref}",
            "object": {"type": "commit", "sha": sha,
                       "url": f"{{base}}/repos/{name}/git/commits/{sha}"}}  # fmt: skip


def _commit_json(name: str, sha: str, commit: dict[str, Any]) -> Any:
    return {
        "sha": sha,
        "url": f"{{base}}/repos/{name}/git/commits/{sha}",
        "message": commit["message"],
        "tree": {"sha": commit["tree"], "url": f"{{base}}/repos/{name}/git/trees/{commit['tree']}"},
        "parents": [
            {"sha": p, "url": f"{{base}}/repos/{name}/git/commits/{p}"} for p in commit["parents"]
        ],
    }


def _tree_json(name: str, sha: str, repo: Repo) -> Any:
    entries = [
        {"path": path, "mode": "100644", "type": "blob", "sha": blob,
         "size": len(repo.blobs[blob]), "url": f"{{base}}/repos/{name}/git/blobs/{blob}"}
        for path, blob in sorted(repo.trees[sha].items())
    ]  # fmt: skip
    return {"sha": sha, "url": f"{{base}}/repos/{name}/git/trees/{sha}", "tree": entries,
            "truncated": False}  # fmt: skip
