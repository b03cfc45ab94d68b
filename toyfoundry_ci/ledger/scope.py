"""What a change touched since its base: the files a scoped ``ledger verify`` reads.

On a pull request the protected base's committed state is trusted (it passed the required
gate when it landed) and the change is verified: the files that differ from the base, the
ledger entries of the orders they name, and each such order's evidence (its directive,
acknowledgement and report under the layout's names), so that pairing and evidence digests
are checked on both sides of every edge the change touches. An evidence file citing an
order under another name is read too, and its order's files with it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from toyfoundry_ci.base.git import Git, not_an_option
from toyfoundry_ci.base.ids import ORDER_ID
from toyfoundry_ci.base.layout import Layout

_ORDER_IN_NAME = re.compile(ORDER_ID.strip("^$"))


@dataclass
class Scope:
    """The paths a change touched (repository-relative) and the orders in its reach."""

    paths: frozenset[str]
    orders: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        for rel in self.paths:
            self.orders.update(_ORDER_IN_NAME.findall(PurePosixPath(rel).name))

    def touches(self, rel: str) -> bool:
        return rel in self.paths

    def names(self, layout: Layout, folder: str) -> list[str]:
        """The ``*.json`` names in ``folder`` (relative) that the change reaches."""
        found = {
            rel.rpartition("/")[2]
            for rel in self.paths
            if rel.rpartition("/")[0] == folder and rel.endswith(".json")
        }
        found.update(
            layout.rel(path).rpartition("/")[2]
            for order_id in self.orders
            for rel_folder, path in _order_files(layout, order_id)
            if rel_folder == folder
        )
        return sorted(found)

    def widen(self, order_ids: Iterable[object]) -> bool:
        """Bring the files of more orders in reach; whether any was new."""
        new = {o for o in order_ids if isinstance(o, str) and _ORDER_IN_NAME.fullmatch(o)}
        new -= self.orders
        self.orders |= new
        return bool(new)


def _order_files(layout: Layout, order_id: str) -> list[tuple[str, Path]]:
    return [
        (layout.rel(layout.ledger_entries), layout.ledger_entry_file(order_id)),
        (layout.rel(layout.orders), layout.order_file(order_id)),
        (layout.rel(layout.acknowledgements), layout.ack_file(order_id)),
        (layout.rel(layout.reports), layout.report_file(order_id)),
    ]


def change_scope(layout: Layout, base: str, *, work_tree: bool = True) -> Scope:
    """The paths where the work tree differs from ``base``, untracked files included.

    ``work_tree=False``: where HEAD's tree differs from ``base``'s (two trees, no file
    looked at), for a checkout known to hold exactly HEAD, as a runner's fresh one does.
    """
    not_an_option(base, "--base", "give a commit or branch: `toyfoundry ledger verify --base main`")
    git = Git(layout.root, hint="fetch the base commit (actions/checkout with fetch-depth: 0)")
    if not work_tree:
        out = git.text("diff-tree", "-r", "--name-only", "--no-renames", "-z", base, "HEAD", "--")
        return Scope(frozenset(p for p in out.split("\0") if p))
    diff = git.text("diff", "--name-only", "--no-renames", "-z", base, "--")
    untracked = git.text("ls-files", "-z", "--others", "--exclude-standard")
    return Scope(frozenset(p for p in (diff + "\0" + untracked).split("\0") if p))
