"""The one hub protocol: every backend lists, reads and publishes the same layout (DESIGN §7).

A hub holds ``orders/``, ``acknowledgements/``, ``reports/``, ``notifications/`` and
``receipts/``. Files are addressed by hub-relative POSIX paths and compared by their git blob
id, which every backend can state without reading file bodies twice (git and GitHub know it
already; the folder backend computes it). A publication is one set of files plus its
notification and receipt, landed as one unit: the receipt says the unit is complete.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from toyfoundry_ci.base.errors import HubError, UnsafeIdError
from toyfoundry_ci.base.ids import safe_child
from toyfoundry_ci.base.loader import ParseError, parse_artifact

HUB_FOLDERS: tuple[str, ...] = (
    "orders",
    "acknowledgements",
    "reports",
    "notifications",
    "receipts",
)
# Hub input is untrusted: a file above this size is never read into memory whole.
MAX_HUB_FILE = 5 * 1024 * 1024


def oversized(data: bytes) -> bool:
    """Whether ``Hub.read`` gave the cut-off prefix of a file above the bound."""
    return len(data) > MAX_HUB_FILE


def blob_id(data: bytes) -> str:
    """The git blob id of ``data``: how every backend names file contents."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def check_hub_path(path: str) -> str:
    """Return ``path`` when it is ``<hub folder>/<safe name>``, else raise HubError."""
    folder, _, name = path.partition("/")
    if folder not in HUB_FOLDERS:
        raise HubError(f"{path!r} is outside the hub layout ({', '.join(HUB_FOLDERS)})")
    try:
        safe_child(Path(folder), name)
    except UnsafeIdError as exc:
        raise HubError(f"{path!r} is not a safe hub path: {exc.message}") from exc
    return path


@dataclass(frozen=True, slots=True)
class HubFile:
    """One file to publish: its hub-relative path and its bytes."""

    path: str
    data: bytes

    @property
    def blob(self) -> str:
        return blob_id(self.data)


@dataclass(frozen=True, slots=True)
class Publication:
    """What one push lands on the hub, as one unit; ``receipt`` is written last."""

    files: tuple[HubFile, ...]
    receipt: HubFile
    notification: HubFile | None
    message: str
    # Title and body of the human-facing notice (an issue on GitHub hubs).
    notice_title: str = ""
    notice_body: str = ""

    def all_files(self) -> tuple[HubFile, ...]:
        extra = (self.notification,) if self.notification else ()
        return (*self.files, *extra, self.receipt)


@dataclass(frozen=True, slots=True)
class Published:
    """What a backend did: the publication's id (commit or folder write) and files changed."""

    publication: str
    changed: int


class Hub(Protocol):
    """A hub backend. ``display`` names it in logs and messages, never with credentials."""

    display: str

    def listing(self) -> Mapping[str, str]:
        """Every file under the hub folders: hub path -> git blob id."""
        ...

    def read(self, paths: Iterable[str]) -> dict[str, bytes]:
        """The bytes of the given hub paths.

        A file above MAX_HUB_FILE comes back as its first MAX_HUB_FILE + 1 bytes, for the
        caller to refuse (``oversized``): one bad file must not stop a whole pull.
        """
        ...

    def publish(self, publication: Publication) -> Published:
        """Land the publication as one unit; a re-run after a crash completes it."""
        ...


@dataclass(slots=True)
class Inventory:
    """What the hub already holds under a receipt, keyed by (order ID, sha256 digest)."""

    items: dict[tuple[str, str], str] = field(default_factory=dict)  # key -> receipt id
    paths: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (digest, receipt)

    def has(self, order_id: str, digest: str) -> bool:
        return (order_id, digest) in self.items


def inventory(hub: Hub, listing: Mapping[str, str] | None = None) -> Inventory:
    """Read the hub's receipts and index what they cover."""
    listing = hub.listing() if listing is None else listing
    receipts = sorted(p for p in listing if p.startswith("receipts/") and p.endswith(".json"))
    found = Inventory()
    for path, data in sorted(hub.read(receipts).items()):
        if oversized(data):
            raise HubError(f"{hub.display}: {path} is above the {MAX_HUB_FILE}-byte bound")
        value = parse_artifact(data)
        if isinstance(value, ParseError) or not isinstance(value, dict):
            raise HubError(
                f"{hub.display}: {path} is not a readable receipt",
                hint="repair or remove the receipt on the hub; receipts are JSON objects",
            )
        receipt_id = str(value.get("receipt_id", path))
        for item in value.get("items", []):
            try:
                key = (str(item["order_id"]), str(item["digest"]["sha256"]))
                found.items[key] = receipt_id
                found.paths[str(item["path"])] = (key[1], receipt_id)
            except (KeyError, TypeError) as exc:
                raise HubError(f"{hub.display}: {path} has a malformed item") from exc
    return found
