"""Which hub to use, and opening it: ``--hub``, then ``[tool.toyfoundry] hub`` in
pyproject.toml, then ``.toyfoundry/config.toml``, else the embedded folder hub.

A hub spec is a folder path, a git URL (anything with ``://``, ``user@host:path``, a path to a
bare repository or ending in ``.git``, or any of those prefixed ``git+``; ``#BRANCH`` picks
the branch), or ``github://OWNER/REPO[@BRANCH]``. Without a branch, a git or GitHub hub is read
and written on its default branch (what its ``HEAD`` names), as git itself would.

A hub that is not there is an error naming it, never an empty hub: only the embedded default,
``.toyfoundry/hub``, is created on first use.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from toyfoundry_ci.base.cachedir import cache_root
from toyfoundry_ci.base.errors import HubError
from toyfoundry_ci.base.git import common_dir, not_an_option, redact
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import MAX_BYTES
from toyfoundry_ci.base.reader import read_present
from toyfoundry_ci.base.settings import setting_tables
from toyfoundry_ci.hub.protocol import Hub

_GITHUB = re.compile(
    r"^github://(?P<owner>[A-Za-z0-9][A-Za-z0-9-]{0,38})/(?P<repo>[A-Za-z0-9._-]{1,100})"
    r"(@(?P<branch>[A-Za-z0-9._/-]{1,200}))?$"
)
_SCP_LIKE = re.compile(r"^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:")
_HUB_HINT = "name the hub with --hub URL, or `hub = ...` in pyproject.toml [tool.toyfoundry]"
_BRANCH = re.compile(r"^[A-Za-z0-9._/-]{1,200}$")


@dataclass(frozen=True, slots=True)
class HubSettings:
    """What the configuration says: the hub spec, where it came from, the factory's name."""

    spec: str
    source: str
    factory: str


def settings(layout: Layout, hub: str | None = None) -> HubSettings:
    """Resolve the hub spec and factory name for ``layout``."""
    spec, source, factory = hub, "--hub" if hub else "default", None
    for rel, table in setting_tables(lambda rel: _work_tree_file(layout, rel)):
        if spec is None and table.get("hub"):
            spec, source = str(table["hub"]), rel
        factory = factory or table.get("factory")
    return HubSettings(
        spec=spec or ".toyfoundry/hub",
        source=source,
        factory=str(factory or _factory_name(layout.root)),
    )


def open_hub(layout: Layout, spec: str) -> Hub:
    """Open the backend a hub spec names."""
    # Outside the work tree: a pull request cannot commit blobs for the hub to be believed by.
    cache = cache_root(layout.root)
    match = _GITHUB.match(spec)
    if match:
        from toyfoundry_ci.hub.github import GitHubHub

        return GitHubHub(match["owner"], match["repo"], match["branch"], cache)
    if spec.startswith("github:"):
        raise HubError(f"{spec!r} is not a GitHub hub URL", hint="use github://OWNER/REPO[@BRANCH]")
    if _is_git(layout, spec):
        from toyfoundry_ci.hub.git import GitRemoteHub

        url, branch = _split_branch(spec.removeprefix("git+"))
        not_an_option(url, "hub URL", _HUB_HINT)
        if url.startswith(("/", ".")) and "://" not in url:
            url = str((layout.root / url).resolve())
        # Inside the git directory, not the work tree: a pull request cannot commit a cache
        # clone (with hooks or a config of its own) there.
        private = common_dir(layout.root)
        clones = private / "toyfoundry" if private else cache
        return GitRemoteHub(url, branch, clones, display=redact(spec.removeprefix("git+")))
    from toyfoundry_ci.hub.folder import FolderHub

    folder = Path(spec).expanduser()
    folder = folder if folder.is_absolute() else layout.root / folder
    shown = spec if not Path(spec).is_absolute() else str(folder)
    embedded = folder.absolute() == layout.default_hub.absolute()
    key = hashlib.sha256(os.fsencode(folder.absolute())).hexdigest()[:16]
    blobs = cache / f"hub-folder-{key}.json"
    return FolderHub(folder, display=shown, create=embedded, cache=blobs)


def local_path(layout: Layout, spec: str) -> Path | None:
    """The folder a hub spec names on this machine (a folder hub, a local or ``file://`` git
    repository), absolute and normalised but with symlinks kept; ``None`` for a network or
    GitHub hub."""
    base = spec.removeprefix("git+").split("#", 1)[0]
    if base.startswith("file://"):
        base = urlsplit(base).path
    elif "://" in base or _SCP_LIKE.match(base) or base.startswith("github:"):
        return None
    path = Path(base).expanduser()
    return Path(os.path.normpath(path if path.is_absolute() else layout.root / path))


def _is_git(layout: Layout, spec: str) -> bool:
    if spec.startswith("git+") or "://" in spec or _SCP_LIKE.match(spec):
        return True
    base = spec.split("#", 1)[0]
    if base.endswith(".git"):
        return True
    path = Path(base).expanduser()
    path = path if path.is_absolute() else layout.root / path
    return (path / "HEAD").is_file() and (path / "objects").is_dir()


def _split_branch(url: str) -> tuple[str, str | None]:
    url, sep, branch = url.partition("#")
    if not sep:
        return url, None
    if not _BRANCH.match(branch) or ".." in branch:
        raise HubError(f"{branch!r} is not a usable hub branch name")
    return url, branch


def _work_tree_file(layout: Layout, rel: str) -> bytes | None:
    return read_present(layout.root / rel, MAX_BYTES)


def _factory_name(root: Path) -> str:
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", root.resolve().name).strip(".-_")
    return name[:64] or "factory"
