"""``toyfoundry init``: a new factory repository that passes readiness and its hooks at once.

The files come from templates shipped inside the package (``templates/``; a leading ``_`` in
a template's name stands for the ``.`` of a dotfile, so packaging keeps it): ``init`` always,
``local-hooks`` or ``hook-repo`` for the pre-commit config, ``workflows`` when the action is
pinned. Nothing that exists is overwritten: a file already there is left as it is and
reported, so a re-run on a scaffolded repository says there is nothing to do (or adds only
what was left out, such as the workflows).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib.resources import files
from importlib.resources.abc import Traversable
from pathlib import Path

from toyfoundry_ci import __version__
from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.errors import ToyfoundryError

ACTION = "toyfoundry/toyfoundry-ci"
# The folders of DESIGN §3 that start empty; a .gitkeep keeps each in the first commit (and
# so in every clone). exchange/orders/ keeps its README.md, which says it is a mirror.
FOLDERS = (
    "exchange/acknowledgements",
    "exchange/reports",
    "exchange/attachments",
    "exchange/ledger/entries",
    "outbox/orders",
    "outbox/acks",
    "outbox/reports",
    ".toyfoundry/telemetry/quilt/exports",
    "planning/storyboard",
    "logs",
)
# Templates written executable (git records the mode, so every clone runs them).
EXECUTABLE = ("hooks/python",)
_SHA = re.compile(r"^[0-9a-f]{40}$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


@dataclass(frozen=True, slots=True)
class InitOptions:
    factory: str
    action_ref: str | None = None  # None: the workflows are left out
    hook_repo: str | None = None  # None: local hooks run the recorded interpreter
    hook_rev: str | None = None
    action: str = ACTION


@dataclass(slots=True)
class InitResult:
    root: Path
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)  # already there, left as it was

    @property
    def nothing_to_do(self) -> bool:
        return not self.created


def default_factory_name(root: Path) -> str:
    name = re.sub(r"[^a-z0-9-]+", "-", root.resolve().name.lower()).strip("-")
    return name or "factory"


def scaffold(root: Path, options: InitOptions) -> InitResult:
    """Write the factory skeleton under ``root``; never overwrite a file that exists."""
    _check(options)
    values = {
        "@@FACTORY@@": options.factory,
        "@@HOOK_REPO@@": options.hook_repo or "",
        "@@HOOK_REV@@": options.hook_rev or "",
        "@@ACTION@@": options.action,
        "@@ACTION_REF@@": options.action_ref or "",
        "@@VERSION@@": f"v{__version__}",
        # Stated, never inferred later: with the workflows a pull request's approval seals.
        "@@SIGNOFF_METHOD@@": "github" if options.action_ref else "local",
    }
    trees = ["init", "hook-repo" if options.hook_repo else "local-hooks"]
    if options.action_ref:
        trees.append("workflows")
    templates = files("toyfoundry_ci") / "templates"
    planned = {rel: data for tree in trees for rel, data in _templates(templates / tree, "")}
    planned.update({f"{folder}/.gitkeep": b"" for folder in FOLDERS})
    # The ledger's index of no entries, so the first commit holds it (the index hook would
    # otherwise write it during that commit, left untracked).
    planned["exchange/ledger/index.json"] = _empty_index()
    result = InitResult(root)
    for rel, data in sorted(planned.items()):
        target = root / rel
        if target.exists() or target.is_symlink():
            result.kept.append(rel)
            continue
        text = data.decode("utf-8")
        for token, value in values.items():
            text = text.replace(token, value)
        write_bytes_atomic(target, text.encode("utf-8"))
        if rel in EXECUTABLE:
            mode = target.stat().st_mode
            target.chmod(mode | (mode & 0o444) >> 2)  # executable wherever readable
        result.created.append(rel)
    return result


def _empty_index() -> bytes:
    from toyfoundry_ci.ledger.index import render_index

    return render_index([])


def _check(options: InitOptions) -> None:
    if options.action_ref is not None and not _SHA.match(options.action_ref):
        raise ToyfoundryError(
            f"--action-ref {options.action_ref!r} is not a full commit SHA",
            hint="pin the action by the 40-hex commit of the toyfoundry-ci release you use",
        )
    if (options.hook_repo is None) != (options.hook_rev is None):
        raise ToyfoundryError(
            "--hook-repo and --hook-rev go together: a hook repository and a rev it has",
            hint="pass both, or neither for local hooks that run the installed toyfoundry-ci",
        )
    if not _NAME.match(options.factory):
        raise ToyfoundryError(
            f"factory name {options.factory!r} is not lower-case letters, digits and dashes",
            hint="pass --factory my-factory",
        )


def _templates(folder: Traversable, prefix: str) -> list[tuple[str, bytes]]:
    found = []
    for item in folder.iterdir():
        name = "." + item.name[1:] if item.name.startswith("_") else item.name
        if item.is_dir():
            found += _templates(item, f"{prefix}{name}/")
        elif not name.endswith((".pyc",)):
            found.append((f"{prefix}{name}", item.read_bytes()))
    return found
