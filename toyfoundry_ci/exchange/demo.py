"""The demo: a scratch copy of the factory, and the Alfa batch High Command would send it.

``toyfoundry shift --demo`` never touches the factory it is run from: it clones the factory's
last commit into ``.toyfoundry/demo/factory`` (git-ignored by a ``.gitignore`` of its own one
level up, so the nested repository is invisible to the outer one) and runs the shift there,
on that copy's embedded hub. A second run reuses the copy and finds nothing new; deleting
``.toyfoundry/demo`` starts over.
"""

from __future__ import annotations

import os
import shutil
from datetime import timedelta
from pathlib import Path

from toyfoundry_ci.base.atomic import write_bytes_atomic
from toyfoundry_ci.base.canonical import dumps
from toyfoundry_ci.base.clock import now
from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.git import Git
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.hub.folder import FolderHub
from toyfoundry_ci.models.exchange import Order

DEMO_SKUS = ("TOY-ROBOT-01", "TOY-TRAIN-02", "TOY-KITE-03")
DEMO_REVIEWER = "Demo Reviewer (toyfoundry shift --demo)"
DEMO_HOME = (".toyfoundry", "demo")
DEMO_DIR = "/".join(DEMO_HOME)
DEMO_HUB = ".toyfoundry/hub"
DEMO_LOT = "demo-shift-"  # the lots the demo paraded, and the only ones it signs off


def demo_factory(layout: Layout) -> Layout:
    """The scratch factory the demo runs in, cloned from ``layout``'s last commit on first use.

    Nothing committed may stand in for it: a tracked ``.toyfoundry/demo`` (a link to the
    factory itself, say) would make the demo seal and push real orders, so it is refused, as
    is a scratch folder that is a link or not a repository of its own.
    """
    home = layout.root.resolve().joinpath(*DEMO_HOME)
    scratch = home / "factory"
    factory = Git(layout.root)
    in_git = factory.ok("rev-parse", "--is-inside-work-tree")
    tracked = factory.text("ls-files", "--", DEMO_DIR) if in_git else ""
    if tracked or any(p.is_symlink() for p in (home.parent, home, scratch)):
        raise RefusedError(
            f"{DEMO_DIR} is committed or a symbolic link; the demo's scratch factory "
            "must be its own",
            hint=f"remove it from git and disk: git rm -r --cached {DEMO_DIR}; rm -r {DEMO_DIR}",
        )
    if (scratch / ".git").is_dir():
        top = Git(scratch).text("rev-parse", "--show-toplevel").strip()
        if Path(top).resolve() != scratch:
            raise RefusedError(
                f"{DEMO_DIR}/factory is not a repository of its own",
                hint=f"delete {DEMO_DIR} to start the demo over",
            )
        return Layout(scratch)
    if not factory.ok("rev-parse", "--verify", "--quiet", "HEAD^{commit}"):
        raise RefusedError(
            f"the demo runs on a copy of this factory's last commit, and {layout.root} has none",
            hint="commit the factory first: git init && git add -A && git commit -m 'Scaffold'",
        )
    home.mkdir(parents=True, exist_ok=True)
    write_bytes_atomic(
        home / ".gitignore", b"# toyfoundry shift --demo: scratch, never committed\n*\n"
    )
    staging = home / f"factory.partial-{os.getpid()}"
    shutil.rmtree(staging, ignore_errors=True)
    # A shallow clone holds the committed tree and nothing of the user's working tree.
    source = layout.root.resolve().as_uri()
    Git(home).out("clone", "--quiet", "--depth", "1", "--no-tags", "--", source, staging.name)
    Git(staging).out("remote", "remove", "origin")  # a demo must never push back by accident
    try:
        staging.rename(scratch)
    except OSError:  # another demo run made it meanwhile: use that one
        shutil.rmtree(staging, ignore_errors=True)
        if not (scratch / ".git").is_dir():
            raise
    return Layout(scratch)


def seed_demo_batch(layout: Layout, hub: FolderHub, count: int = 3) -> list[str]:
    """Write a demo batch into an embedded hub with no directives; return the order IDs."""
    if any(p.startswith("orders/") for p in hub.listing()):
        return []
    skus = _catalogue_skus(layout) or list(DEMO_SKUS)
    issued = now()
    year = issued.year
    ids = []
    for n in range(count):
        order_id = f"ALFA-{year}-{9001 + n:04d}"
        order = Order.model_validate(
            {
                "order_id": order_id,
                "issued_at": issued,
                "ack_due_by": issued + timedelta(days=2),
                "due_date": (issued + timedelta(days=21)).date(),
                "lines": [{"line": 1, "sku": skus[n % len(skus)], "qty": 24 * (n + 1)}],
                "notes": "Demo Alfa batch directive (toyfoundry shift --demo).",
            }
        )
        write_bytes_atomic(hub.root / "orders" / f"{order_id}.json", dumps(order.to_json()))
        ids.append(order_id)
    return ids


def _catalogue_skus(layout: Layout) -> list[str]:
    return sorted(p.stem for p in layout.blueprints.glob("*.json"))
