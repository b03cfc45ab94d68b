"""Where things live in a factory repository (DESIGN §3): the one place paths are spelled."""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from toyfoundry_ci.base.errors import ToyfoundryError
from toyfoundry_ci.base.ids import check_order_id, is_order_id, safe_child

# What makes a folder a factory's root: its mirror of the hub's orders, or its own settings.
# (A bare ``exchange/`` is not enough: this package has an ``exchange`` subpackage.)
MARKERS = ("exchange/orders/", ".toyfoundry/config.toml")


def is_factory(folder: Path) -> bool:
    """Whether ``folder`` is a factory's root (it holds one of ``MARKERS``)."""
    orders = folder / "exchange" / "orders"
    return orders.is_dir() or (folder / ".toyfoundry" / "config.toml").is_file()


def find_factory(root: str | Path | None = None, *, start: Path | None = None) -> Path:
    """The factory's root folder, found as git finds a repository.

    ``root`` given (``--root``) must itself be a factory; otherwise the nearest folder from
    ``start`` (the current one) upwards that is a factory. Outside any factory this refuses,
    so that no command writes its files into a folder that is not one.
    """
    markers = " or ".join(MARKERS)
    if root is not None:
        folder = Path(root).resolve()
        if not is_factory(folder):
            raise ToyfoundryError(
                f"--root {root}: not a factory (no {markers} there)",
                hint="point --root at a factory's top folder, or run toyfoundry init there",
            )
        return folder
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if is_factory(folder):
            return folder
        if (folder / ".git").exists():
            break  # as git does: a factory never lies above the repository it is in
    raise ToyfoundryError(
        f"not inside a factory (no {markers} found from {here} upwards)",
        hint="cd into one or run toyfoundry init",
    )


@dataclass(frozen=True)
class Layout:
    """Paths of one factory repository, rooted at ``root``.

    Each folder is joined once per layout: commands ask for them once per order.
    """

    root: Path

    @cached_property
    def orders(self) -> Path:
        return self.root / "exchange" / "orders"

    @cached_property
    def acknowledgements(self) -> Path:
        return self.root / "exchange" / "acknowledgements"

    @cached_property
    def reports(self) -> Path:
        return self.root / "exchange" / "reports"

    @cached_property
    def attachments(self) -> Path:
        return self.root / "exchange" / "attachments"

    @cached_property
    def ledger_entries(self) -> Path:
        return self.root / "exchange" / "ledger" / "entries"

    @cached_property
    def ledger_index(self) -> Path:
        return self.root / "exchange" / "ledger" / "index.json"

    @cached_property
    def outbox_orders(self) -> Path:
        return self.root / "outbox" / "orders"

    @cached_property
    def outbox_acks(self) -> Path:
        return self.root / "outbox" / "acks"

    @cached_property
    def outbox_reports(self) -> Path:
        return self.root / "outbox" / "reports"

    @cached_property
    def blueprints(self) -> Path:
        return self.root / "planning" / "toyfoundry" / "blueprints"

    @cached_property
    def recipes(self) -> Path:
        return self.root / "planning" / "toyfoundry" / "recipes"

    @cached_property
    def storyboard(self) -> Path:
        return self.root / "planning" / "storyboard"

    @cached_property
    def change_log(self) -> Path:
        return self.root / "planning" / "change_log.md"

    @cached_property
    def telemetry(self) -> Path:
        return self.root / ".toyfoundry" / "telemetry"

    @cached_property
    def quilt_exports(self) -> Path:
        return self.telemetry / "quilt" / "exports"

    @cached_property
    def default_hub(self) -> Path:
        return self.root / ".toyfoundry" / "hub"

    @cached_property
    def readiness_log(self) -> Path:
        return self.root / "logs" / "ops_readiness.json"

    @cached_property
    def exchange_log(self) -> Path:
        return self.root / "logs" / "exchange_all.json"

    @cached_property
    def quarantine(self) -> Path:
        return self.root / ".toyfoundry" / "quarantine"

    def folders(self) -> tuple[Path, ...]:
        """Every folder the tool writes into: none of them may be reached through a link."""
        return (
            self.orders,
            self.acknowledgements,
            self.reports,
            self.attachments,
            self.ledger_entries,
            self.outbox_orders,
            self.outbox_acks,
            self.outbox_reports,
            self.storyboard,
            self.blueprints,
            self.recipes,
            self.quilt_exports,
            self.default_hub,
            self.quarantine,
            self.readiness_log.parent,
        )

    def order_ids(self) -> list[str]:
        """Order IDs of every directive mirrored in exchange/orders/, sorted (one listing,
        no path made per order; anything named so counts: a link, a FIFO)."""
        try:
            with os.scandir(self.orders) as found:
                names = [e.name for e in found]
        except OSError:
            return []
        return sorted(n[:-5] for n in names if n.endswith(".json") and is_order_id(n[:-5]))

    # Per-order files: the order ID is checked before it becomes part of a path.

    def order_file(self, order_id: str) -> Path:
        return safe_child(self.orders, check_order_id(order_id), ".json")

    def ack_file(self, order_id: str) -> Path:
        return safe_child(self.acknowledgements, "ACK-" + check_order_id(order_id), ".json")

    def report_file(self, order_id: str) -> Path:
        return safe_child(self.reports, "RPT-" + check_order_id(order_id), ".json")

    def ledger_entry_file(self, order_id: str) -> Path:
        return safe_child(self.ledger_entries, check_order_id(order_id), ".json")

    def evidence_rels(self, order_id: str) -> tuple[str, str, str]:
        """Repository-relative paths of the order's directive, acknowledgement and report,
        for an ID ``order_ids`` listed (the per-order files above, without a Path each)."""
        orders, acks, reports = self._evidence_folders
        return (
            f"{orders}/{order_id}.json",
            f"{acks}/ACK-{order_id}.json",
            f"{reports}/RPT-{order_id}.json",
        )

    @cached_property
    def _evidence_folders(self) -> tuple[str, str, str]:
        return self.rel(self.orders), self.rel(self.acknowledgements), self.rel(self.reports)

    def storyboard_file(self, order_id: str) -> Path:
        return safe_child(self.storyboard, check_order_id(order_id), ".md")

    # Drafts and telemetry of the Foundry Cycle.

    @cached_property
    def quilt_raw(self) -> Path:
        return self.telemetry / "quilt" / "raw"

    def outbox_order_file(self, order_id: str) -> Path:
        return safe_child(self.outbox_orders, check_order_id(order_id), ".json")

    def outbox_ack_file(self, order_id: str) -> Path:
        return safe_child(self.outbox_acks, "ACK-" + check_order_id(order_id), ".json")

    def outbox_report_file(self, order_id: str) -> Path:
        return safe_child(self.outbox_reports, "RPT-" + check_order_id(order_id), ".json")

    def quilt_export_file(self, order_id: str, suffix: str) -> Path:
        """``<order>.manifest.json``, ``<order>.quilt.csv`` and so on."""
        return safe_child(self.quilt_exports, check_order_id(order_id), suffix)

    def quilt_raw_file(self, order_id: str) -> Path:
        return safe_child(self.quilt_raw, check_order_id(order_id), ".trace.json")

    def rel(self, path: Path) -> str:
        """``path`` relative to the root, POSIX-style, as ledger subjects name files."""
        text = os.fspath(path)
        if os.sep == "/" and text.startswith(self._prefix):
            return text[len(self._prefix) :]  # what relative_to says, without its parsing
        return path.relative_to(self.root).as_posix()

    @cached_property
    def _prefix(self) -> str:
        return os.fspath(self.root).rstrip("/") + "/"
