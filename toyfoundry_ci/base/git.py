"""The one way to run git: bytes in, bytes out, one error, and hub repositories defused.

``Git`` runs in a work tree (the factory) or on a git directory (a hub's cache clone). A hub
is untrusted, and so is anything a pull request can commit, so a ``Git`` made for a hub URL
runs git with no hooks (``core.hooksPath`` is ``/dev/null``, where no hook can exist), only
the transports a hub needs (``protocol.allow``), and its git directory's own configuration
rewritten to a fixed one first (``hub_cache``): whatever a cache's ``config`` says
(``core.fsmonitor``, ``core.sshCommand``, ``include.path``...) is gone before git reads it.
The user's global and system configuration stay: an https or ssh hub needs their credential
helpers, proxies, ``insteadOf`` and ``sshCommand``.

Values that reach git as arguments (URLs, paths, revisions) go after ``--`` or through
``not_an_option``: a value starting with ``-`` would be read as an option
(``--upload-pack=<command>``) and is refused before git runs.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.errors import HubError, ToyfoundryError, printable

STDERR_LIMIT = 500
# The configuration a hub cache clone is given each time it is opened (what `git init --bare`
# writes): nothing a pull request or a hub put into it survives.
CACHE_CONFIG = b"[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n"
_HUB_PROTOCOLS = ("file", "https", "ssh")
# Variables a surrounding git process (a hook) may set; on a hub's git directory they would
# point git at the factory's objects or index instead.
_REPOSITORY_VARIABLES = (
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
)
_USERINFO = re.compile(r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*://)[^/@\s'\"]*@")
_QUERY = re.compile(r"(?P<url>[A-Za-z][A-Za-z0-9+.-]*://[^\s'\"?]*)\?[^\s'\"#]*")


class GitError(ToyfoundryError):
    """git failed, could not run, or was handed a value it would take as an option."""


class HubGitError(GitError, HubError):
    """git failed on a hub's repository: a hub failure, handled like every other one."""


@dataclass(frozen=True, slots=True)
class Ran:
    """One finished git command: its exit code and its two streams, as bytes."""

    code: int
    out: bytes
    err: bytes

    @property
    def ok(self) -> bool:
        return self.code == 0


@dataclass(frozen=True, slots=True)
class Blobs:
    """What the bounded reader found: the blobs within the bound, and the sizes of the others."""

    data: dict[str, bytes]
    too_big: dict[str, int]


def blob_id(data: bytes) -> str:
    """The git blob id of ``data``: how git, and so every hub backend, names file contents."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def not_an_option(value: str, what: str, hint: str) -> str:
    """``value``, unless git would read it as an option (it starts with ``-``)."""
    if value.startswith("-"):
        raise GitError(
            f"{what} {printable(value)!r} starts with '-', which git would take as an option;"
            " refused",
            hint=hint,
        )
    return value


def redact(url: str) -> str:
    """``url`` without user name, password or query string (where tokens go), for logs and
    messages; a ``#BRANCH`` suffix stays."""
    if "://" not in url:
        return url
    parts = urlsplit(url)
    if parts.username is None and parts.password is None and not parts.query:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", parts.fragment))


def scrub(text: str) -> str:
    """``text`` with the user names, passwords and query strings of URLs in it removed."""
    return _QUERY.sub(r"\g<url>", _USERINFO.sub(r"\g<scheme>", text))


def said(stream: bytes) -> str:
    """git's words on ``stream``, on one line, trimmed and without credentials.

    Only its ``fatal:`` and ``error:`` lines when it has some: not its usage text or hints.
    """
    text = stream.decode("utf-8", errors="replace")
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith(("fatal:", "error:"))]
    text = scrub(" ".join(errors or lines[:1])) or "no message"
    return text if len(text) <= STDERR_LIMIT else text[: STDERR_LIMIT - 3] + "..."


class Git:
    """git in a work tree (``cwd``) or on a git directory (``--git-dir``).

    ``hub_url`` makes it a hub's git: hardened as the module says, and the URL (which may
    carry credentials) shown as ``display`` in every message.
    """

    def __init__(
        self,
        where: Path,
        *,
        git_dir: bool = False,
        hub_url: str | None = None,
        display: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.where = where
        self.git_dir = git_dir
        self.hub_url = hub_url
        self.display = display or (scrub(hub_url) if hub_url else str(where))
        self.hint = hint

    @classmethod
    def hub_cache(cls, git_dir: Path, hub_url: str, display: str) -> Git:
        """The hub's bare cache clone at ``git_dir``: made when missing, its config reset."""
        git = cls(git_dir, git_dir=True, hub_url=hub_url, display=display)
        if not (git_dir / "HEAD").is_file():
            git_dir.parent.mkdir(parents=True, exist_ok=True)
            # No template: no sample hooks, nothing but what git needs.
            cls(git_dir.parent, hub_url=hub_url, display=display).out(
                "init", "--quiet", "--bare", "--template=", "--", str(git_dir)
            )
        config = git_dir / "config"
        if config.is_symlink() or not config.is_file() or config.read_bytes() != CACHE_CONFIG:
            config.unlink(missing_ok=True)  # a symlink is replaced, never written through
            write_bytes_atomic(config, CACHE_CONFIG)
        return git

    # -- running -------------------------------------------------------------------------

    def run(self, *args: str, stdin: bytes | None = None) -> Ran:
        """Run ``git ARGS``; a non-zero exit is returned, not raised (the caller reads it)."""
        command = ["git", *self._options(), *args]
        try:
            proc = subprocess.run(
                command,
                cwd=None if self.git_dir else self.where,
                input=stdin,
                capture_output=True,
                check=False,
                env=self._environment(),
            )
        except OSError as exc:
            raise GitError(f"git cannot run: {exc}", hint="install git and put it on PATH") from exc
        return Ran(proc.returncode, proc.stdout, proc.stderr)

    def out(self, *args: str, stdin: bytes | None = None) -> bytes:
        """git's stdout; a failure is a GitError quoting git's words."""
        ran = self.run(*args, stdin=stdin)
        if not ran.ok:
            raise self.error(args[0], ran)
        return ran.out

    def text(self, *args: str) -> str:
        """git's stdout as text; bytes that are not UTF-8 are kept (surrogate escapes)."""
        return self.out(*args).decode("utf-8", errors="surrogateescape")

    def ok(self, *args: str) -> bool:
        """Whether ``git ARGS`` succeeds (a question such as ``cat-file -e``)."""
        return self.run(*args).ok

    def first_added(self, path: str, fmt: str = "%H") -> str | None:
        """``fmt`` of the commit that first added ``path`` in HEAD's history (None: never)."""
        lines = self.text("log", "--diff-filter=A", f"--format={fmt}", "--", path).splitlines()
        return lines[-1] if lines else None

    def error(self, what: str, ran: Ran) -> GitError:
        """The GitError for a failed ``git WHAT``: git's trimmed words and this Git's hint."""
        words = said(ran.err or ran.out)
        if self.hub_url:
            words = words.replace(self.hub_url, self.display)
        kind = HubGitError if self.hub_url else GitError
        return kind(f"{self.display}: git {what} failed: {words}", hint=self.hint)

    # -- the one cat-file reader -----------------------------------------------------------

    def blobs(self, names: Iterable[str], bound: int) -> Blobs:
        """The blobs ``names`` name (``SHA``, ``REV:PATH``, ``:PATH`` for the index).

        Sizes come first (``git cat-file --batch-check``); a blob above ``bound`` is never
        read, only its size reported. Names that are missing or not blobs are in neither part.
        """
        wanted = [n for n in dict.fromkeys(names) if "\n" not in n]
        found = Blobs({}, {})
        if not wanted:
            return found
        request = b"".join(n.encode("utf-8", errors="surrogateescape") + b"\n" for n in wanted)
        small: list[tuple[str, bytes, int]] = []
        sizes = self.out("cat-file", "--batch-check", stdin=request).split(b"\n")
        for name, line in zip(wanted, sizes, strict=False):
            fields = line.split()
            if len(fields) != 3 or fields[1] != b"blob":
                continue
            size = int(fields[2])
            if size > bound:
                found.too_big[name] = size
            else:
                small.append((name, fields[0], size))
        if not small:
            return found
        out = self.out("cat-file", "--batch", stdin=b"".join(sha + b"\n" for _, sha, _ in small))
        pos = 0
        for name, _sha, size in small:
            pos = out.index(b"\n", pos) + 1  # the header, already known from the sizes
            found.data[name] = out[pos : pos + size]
            pos += size + 1
        return found

    def blob(self, name: str, bound: int) -> bytes | None:
        """One blob by name, None when there is none; above ``bound`` it is an error."""
        found = self.blobs([name], bound)
        if name in found.too_big:
            raise (HubGitError if self.hub_url else GitError)(
                f"{self.display}: {printable(name)} is {found.too_big[name]} bytes,"
                f" above the {bound}-byte bound; it is not read"
            )
        return found.data.get(name)

    # -- plumbing --------------------------------------------------------------------------

    def _options(self) -> list[str]:
        options: list[str] = []
        if self.hub_url is not None:
            options += ["-c", f"core.hooksPath={os.devnull}", "-c", "core.fsmonitor=false"]
            options += ["-c", "protocol.allow=never"]
            for name in _protocols(self.hub_url):
                options += ["-c", f"protocol.{name}.allow=always"]
        if self.git_dir:
            options.append(f"--git-dir={self.where}")
        return options

    def _environment(self) -> dict[str, str] | None:
        if self.hub_url is None:
            return None
        env = {k: v for k, v in os.environ.items() if k not in _REPOSITORY_VARIABLES}
        env["GIT_TERMINAL_PROMPT"] = "0"  # a hub that wants a password fails, never waits
        return env


def _protocols(url: str) -> tuple[str, ...]:
    """The transports a hub may use: file, https, ssh, and git only when the user names it."""
    return (*_HUB_PROTOCOLS, "git") if url.startswith("git://") else _HUB_PROTOCOLS


def common_dir(root: Path) -> Path | None:
    """The git directory shared by the work trees of the repository holding ``root``."""
    ran = Git(root).run("rev-parse", "--git-common-dir")
    if not ran.ok:
        return None
    return (root / ran.out.decode("utf-8", errors="surrogateescape").strip()).resolve()


FALLBACK_BRANCH = "main"


def default_branch(root: Path) -> str:
    """The factory's default branch: the one ``origin/HEAD`` names (a clone knows it), else
    ``init.defaultBranch``, else ``main``."""
    git = Git(root)
    ran = git.run("symbolic-ref", "--quiet", "refs/remotes/origin/HEAD")
    if ran.ok and (name := ran.out.decode(errors="replace").strip()):
        return name.removeprefix("refs/remotes/origin/")
    ran = git.run("config", "--get", "init.defaultBranch")
    return ran.out.decode(errors="replace").strip() if ran.ok else FALLBACK_BRANCH


def on_default_branch(root: Path) -> bool:
    """Whether HEAD is the default branch checked out, or ``root`` is no git work tree at all.

    A detached HEAD (a CI checkout) is not the default branch.
    """
    git = Git(root)
    ran = git.run("symbolic-ref", "--quiet", "HEAD")
    if not ran.ok:
        return not git.ok("rev-parse", "--git-dir")
    branch = ran.out.decode(errors="replace").strip().removeprefix("refs/heads/")
    return branch == default_branch(root)
