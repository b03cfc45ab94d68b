"""The factory's sign-off policy, read from a commit: never from the change it judges.

``signoff.method`` (``"github"``, the default, or ``"local"``) says how this factory seals,
``signoff.require_signature`` whether a local seal must carry an SSH signature, and
``signoff.allowed_signers`` where the allowed-signers file is (git's
``gpg.ssh.allowedSignersFile`` format, default ``.toyfoundry/allowed_signers``),
``signoff.approvals`` how many qualifying GitHub approvals a seal needs (default 1); the
CODEOWNERS file (``.github/CODEOWNERS``, ``CODEOWNERS`` or ``docs/CODEOWNERS``, the first
found, as GitHub looks) says whose approval the evidence paths need. All are read
under ``[tool.toyfoundry]`` in pyproject.toml or from .toyfoundry/config.toml *at a revision*:
``ledger verify --base REV`` reads REV's, a local sign-off or push reads HEAD's (what is
committed, not the work tree), so a pull request cannot lower its own bar or add its own key.
The signing key is git's own setting (``user.signingkey`` with ``gpg.format = ssh``). Every
git call of the sign-off policy is in this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from toyfoundry_ci.base.errors import ToyfoundryError
from toyfoundry_ci.base.git import Git, not_an_option
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import MAX_BYTES
from toyfoundry_ci.base.settings import first_setting, setting_tables

Method = Literal["github", "local"]
METHODS: tuple[Method, ...] = ("github", "local")
DEFAULT_ALLOWED_SIGNERS = ".toyfoundry/allowed_signers"
CODEOWNERS_FILES = (".github/CODEOWNERS", "CODEOWNERS", "docs/CODEOWNERS")  # GitHub's order
MAX_APPROVALS = 20
_SAFE_PATH = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")


@dataclass(frozen=True, slots=True)
class SignoffPolicy:
    method: Method
    require_signature: bool
    allowed_signers: str  # path in the repository
    revision: str  # the commit the policy was read from
    factory: str | None  # ``factory = ...`` at that revision, if set
    signers: bytes  # the allowed-signers file's bytes at that revision (empty: none)
    source: str = ""  # the file that sets the method; empty: the default
    approvals: int = 1  # qualifying GitHub approvals a seal needs
    codeowners: tuple[str, bytes] | None = None  # (path, bytes) of the CODEOWNERS file, if any

    def describe(self) -> str:
        where = f"in {self.source}" if self.source else "by default"
        return f'signoff.method = "{self.method}" {where} at {self.revision}'


def signoff_policy(layout: Layout, revision: str = "HEAD") -> SignoffPolicy:
    """The sign-off policy as committed at ``revision`` (defaults where nothing is set)."""
    where = f" at {revision}"
    tables = setting_tables(lambda rel: _show(layout.root, revision, rel), where)
    source, method = first_setting(tables, "signoff", "method")
    rel = source
    if method is None:
        method = "github"
    elif method not in METHODS:
        raise ToyfoundryError(
            f'{rel}{where}: signoff.method = {method!r} is neither "github" nor "local"',
            hint=f'set signoff.method = "github" or "local" in {rel}',
        )
    rel, required = first_setting(tables, "signoff", "require_signature")
    if not isinstance(required, bool | None):
        raise ToyfoundryError(
            f"{rel}{where}: signoff.require_signature = {required!r} is not true or false",
            hint=f"set signoff.require_signature = true or false in {rel}",
        )
    signers = _signers_path(tables, where)
    _, factory = first_setting(tables, "factory")
    owners = (
        (rel, data) for rel in CODEOWNERS_FILES if (data := _show(layout.root, revision, rel))
    )
    return SignoffPolicy(
        method=method,
        require_signature=bool(required),
        allowed_signers=signers,
        revision=revision,
        factory=str(factory) if factory is not None else None,
        signers=_show(layout.root, revision, signers) or b"",
        source=source,
        approvals=_approvals(tables, where),
        codeowners=next(owners, None),
    )


def _approvals(tables: list[tuple[str, dict[str, Any]]], where: str) -> int:
    rel, count = first_setting(tables, "signoff", "approvals")
    if count is None:
        return 1
    if isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_APPROVALS:
        raise ToyfoundryError(
            f"{rel}{where}: signoff.approvals = {count!r} is not a number from 1 to"
            f" {MAX_APPROVALS}",
            hint=f"set signoff.approvals = 1 (or more) in {rel}",
        )
    return count


def _signers_path(tables: list[tuple[str, dict[str, Any]]], where: str) -> str:
    rel, path = first_setting(tables, "signoff", "allowed_signers")
    if path is None:
        return DEFAULT_ALLOWED_SIGNERS
    if not isinstance(path, str) or not _SAFE_PATH.match(path) or ".." in path.split("/"):
        raise ToyfoundryError(
            f"{rel}{where}: signoff.allowed_signers = {path!r} is not a path inside the repository",
            hint=f'set signoff.allowed_signers = "{DEFAULT_ALLOWED_SIGNERS}" in {rel}',
        )
    return path


def signing_key(layout: Layout) -> Path | None:
    """git's SSH signing key (``user.signingkey`` with ``gpg.format = ssh``), if configured."""
    if (_config(layout.root, "gpg.format") or "openpgp") != "ssh":
        return None
    key = _config(layout.root, "user.signingkey")
    if key is None or key.startswith("key::"):
        return None
    path = Path(key).expanduser()
    return path if path.is_absolute() else layout.root / path


def _show(root: Path, revision: str, rel: str) -> bytes | None:
    """The bytes of ``rel`` at ``revision``, or None when it has none (or git cannot say)."""
    not_an_option(revision, "the revision", "give a commit or branch, e.g. main")
    git = Git(root)
    if not git.ok("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}"):
        return None  # no such commit (or no repository): nothing is committed there
    return git.blob(f"{revision}:{rel}", MAX_BYTES)


def _config(root: Path, key: str) -> str | None:
    """What git's configuration gives ``key`` in ``root``, or None when unset."""
    ran = Git(root).run("config", "--get", key)
    return ran.out.decode(errors="replace").strip() or None if ran.ok else None
