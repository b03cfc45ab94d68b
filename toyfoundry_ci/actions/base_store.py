"""The base's readiness units: computed by a trusted run on the default branch, read by PRs.

A fresh CI checkout has no readiness store, so its readiness would check every unit: the
whole ledger, on every pull request. Instead the push workflow on the default branch (the
protected branch's reviewed code on its own tree: a run no pull request can start or write
into) runs ``toyfoundry ci base-store --out DIR``, which brings that checkout's store up to
date and copies it out, and uploads the copy as an artifact of that run. A pull request's
jobs download the artifact of the newest such run and pass it as ``--base-store FILE``:
the file is put where the readiness store lives (under the git directory), and readiness
diffs the stored tree against the head's, checking again only what the change touched.

The store vouches for nothing it cannot show (``readiness.store``): written under another
key (tool version, unit code, schemas, settings, or the checkout's path, which the
workflows keep the same), or unreadable, it is not used and every unit is checked, as
without one. Where the file comes from is the workflow's to keep trusted: never from a
cache or artifact that a run of pull-request code can write.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import sqlite3
from pathlib import Path

from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.git import Git
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.readiness.incremental import STORE_FILE, store_key, store_path, unit_checks
from toyfoundry_ci.readiness.indexbasis import EXPECTED_FILE, TREE_FILE
from toyfoundry_ci.readiness.store import CorruptStoreError, UnitStore

# Kept beside the store, and carried with it.
BASIS_FILES = (EXPECTED_FILE, TREE_FILE)


def save_base_store(layout: Layout, folder: Path) -> Path:
    """Bring the readiness store up to date with the checkout and copy it into ``folder``."""
    unit_checks(layout)
    source = store_path(layout)
    if not source.is_file():
        raise RefusedError(
            f"no readiness store could be written for {layout.root} (not a git checkout,"
            " or its git directory is read-only)",
            hint="run it in a checkout made by actions/checkout",
        )
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / STORE_FILE
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    with (
        contextlib.closing(sqlite3.connect(source)) as src,
        contextlib.closing(sqlite3.connect(partial)) as dst,
    ):
        src.backup(dst)  # a consistent copy, whatever the journal holds
    partial.replace(target)
    # The ledger-index check's basis (the fresh rebuild it last compared), which the store's
    # sealed row names by digest: with it, the PR run splices the change into that rebuild
    # instead of reading every entry. A copy that is not the one named is not used.
    _copy_basis(source.parent, folder)
    return target


def restore_base_store(layout: Layout, file: Path | None, base: str | None = None) -> bool:
    """Put the base's store in place for this checkout; whether one was put that this run
    can use (written under this run's key, and, given the ``base`` commit, computed on that
    commit or one of its ancestors). One it cannot use is not put in place."""
    if file is None or not file.is_file():
        return False
    target = store_path(layout)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + f".{os.getpid()}.partial")
    shutil.copyfile(file, partial)
    if not _usable(layout, partial, base):
        partial.unlink(missing_ok=True)
        return False
    _copy_basis(file.parent, target.parent)
    partial.replace(target)
    return True


def _copy_basis(source: Path, folder: Path) -> None:
    """Copy the ledger-index check's basis (the fresh rebuild it last compared, named by
    digest in the store's sealed row) from ``source`` into ``folder``, each file whole: with
    it a PR run splices the change into that rebuild instead of reading every entry. A copy
    that is not the one the row names is not used."""
    for name in BASIS_FILES:
        if (source / name).is_file():
            partial = folder / f"{name}.{os.getpid()}.partial"
            shutil.copyfile(source / name, partial)
            partial.replace(folder / name)


def _usable(layout: Layout, path: Path, base: str | None) -> bool:
    try:
        with contextlib.closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
            store = UnitStore(db, store_key(layout))
            head = store.meta("head")
            if not (store.matches_key() and store.meta("tree") is not None):
                return False
    except (sqlite3.DatabaseError, CorruptStoreError):
        return False
    # A run on another commit (a push of a tag named like the default branch runs that
    # commit's workflow) is no run of the base's history: its units vouch for nothing here.
    return base is None or (_is_commit(head) and _is_ancestor(layout, str(head), base))


def _is_commit(value: object) -> bool:
    return isinstance(value, str) and re.fullmatch(r"[0-9a-f]{40}|[0-9a-f]{64}", value) is not None


def _is_ancestor(layout: Layout, commit: str, base: str) -> bool:
    return Git(layout.root).ok("merge-base", "--is-ancestor", commit, base)


def base_store_md(restored: bool) -> str:
    """The one line a report says of where its readiness started."""
    if restored:
        return (
            "Readiness started from the base's units (computed on the default branch):"
            " only what this change touched was checked again."
        )
    return "No store of the base's units was restored: every unit was checked."
