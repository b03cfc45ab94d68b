"""The one hub protocol: every backend lists, reads and publishes the same layout (DESIGN §7).

A hub holds ``orders/``, ``acknowledgements/``, ``reports/``, ``notifications/`` and
``receipts/``. Files are addressed by hub-relative POSIX paths and compared by their git blob
id, which every backend can state without reading file bodies twice (git and GitHub know it
already; the folder backend computes it). A publication is one set of files plus its
notification and receipt, landed as one unit: the receipt says the unit is complete.

On a hub with history (git, GitHub) a receipt counts only when a publication commit of this
factory carries it: the commit's message ends with the trailers ``Toyfoundry-Factory: NAME``
and ``Toyfoundry-Receipt: receipts/ID.json sha256:HEX`` (the digest of the receipt file's
bytes), and the commit is on the hub's branch. A receipt file that no such commit names with
these bytes (copied in, edited, restored by hand, written by another tool) is refused and
reported. The trailer is a claim any writer to the hub can copy; what it rules out is a
receipt that reached the hub outside a publication, and it names the publication commit, the
branch head the exchange log keeps to detect a rewritten hub.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from toyfoundry_ci.base.canonical import sha256_bytes
from toyfoundry_ci.base.errors import HubError, UnsafeIdError
from toyfoundry_ci.base.git import blob_id
from toyfoundry_ci.base.ids import safe_child
from toyfoundry_ci.base.loader import parse_artifact
from toyfoundry_ci.base.reader import FOLDER, LINK, read_file

HUB_FOLDERS: tuple[str, ...] = (
    "orders",
    "acknowledgements",
    "reports",
    "notifications",
    "receipts",
)
# Hub input is untrusted: a file above this size is never read into memory whole.
MAX_HUB_FILE = 5 * 1024 * 1024
FACTORY_TRAILER = "Toyfoundry-Factory"
RECEIPT_TRAILER = "Toyfoundry-Receipt"
_TRAILER = re.compile(
    rf"^(?:{FACTORY_TRAILER}: (?P<factory>\S+)"
    rf"|{RECEIPT_TRAILER}: (?P<path>receipts/\S+) sha256:(?P<digest>[0-9a-f]{{64}}))\s*$",
    re.MULTILINE,
)


class Withheld(bytes):
    """What ``Hub.read`` gives for a file above the bound it did not download at all.

    A backend that knows a file's size before reading it (the GitHub tree states it) sends
    this short note instead of the file: the note names the blob and its size, so the caller
    refuses and quarantines it like any file above the bound.
    """

    def __new__(cls, blob: str, size: int) -> Withheld:
        note = f"withheld: blob {blob} of {size} bytes, above the {MAX_HUB_FILE}-byte bound\n"
        return super().__new__(cls, note.encode())


class Refused(bytes):
    """What ``Hub.read`` gives for an entry the one bounded reader refused to read.

    A symbolic link, a FIFO, a folder or a file above the bound on a folder hub: a short note
    stands in for its bytes and ``reason`` says why, so the caller quarantines and reports it
    like every other refusal.
    """

    reason: str

    def __new__(cls, reason: str) -> Refused:
        made = super().__new__(cls, f"refused: {reason}\n".encode())
        made.reason = reason
        return made


# Why a git tree entry of a hub (git or GitHub) is not read: only blobs of mode 100644 or
# 100755 are files. A link's blob holds where it points, a gitlink names a commit elsewhere.
_NOT_FILES = {
    "120000": LINK,
    "160000": "is a submodule (a gitlink), not a regular file",
    "040000": FOLDER,
}
_FILE_MODES = ("100644", "100755")


def tree_entry(path: str, mode: str) -> tuple[bool, str | None]:
    """How a git hub's tree entry counts: (in the hub's listing, why it is refused or None).

    Files and refused entries one level down a hub folder are listed (pull quarantines a
    refused directive, reports the rest); a hub folder that is not a folder is refused but
    not listed; anything else (deeper down, outside the hub folders) is neither.
    """
    folder, _, name = path.partition("/")
    if folder not in HUB_FOLDERS or "/" in name:
        return False, None
    if not name:
        why = "is a symbolic link to a folder; refused" if mode == "120000" else "is not a folder"
        return False, None if mode == "040000" else why
    if mode in _FILE_MODES:
        return True, None
    return True, _NOT_FILES.get(mode, f"has git mode {mode}, not a regular file")


def directive_id(path: str) -> str | None:
    """The order ID a hub path names: ``orders/<ID>.json`` only, else None (to be reported)."""
    name = path.removeprefix("orders/")
    if name == path or "/" in name or not name.endswith(".json"):
        return None
    stem = name.removesuffix(".json")
    return stem or None


def oversized(data: bytes) -> bool:
    """Whether ``Hub.read`` gave the cut-off prefix of a file above the bound, or withheld it."""
    return isinstance(data, Withheld) or len(data) > MAX_HUB_FILE


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

    def refusals(self) -> Mapping[str, str]:
        """What the last ``listing`` refused to read: hub path -> why.

        Symbolic links, submodules, folders and FIFOs in a hub folder or in place of one (and
        files above the bound, where the listing reads them); ``read`` gives a listed one as
        ``Refused``. Pull reports every one of them.
        """
        ...

    def read(self, paths: Iterable[str]) -> dict[str, bytes]:
        """The bytes of the given hub paths.

        A file above MAX_HUB_FILE comes back as its first MAX_HUB_FILE + 1 bytes, or as a
        ``Withheld`` note when the backend knew its size before reading it, for the caller to
        refuse (``oversized``): one bad file must not stop a whole pull.
        """
        ...

    def publish(self, publication: Publication) -> Published:
        """Land the publication as one unit; a re-run after a crash completes it."""
        ...


@runtime_checkable
class Lineage(Protocol):
    """A hub with history (git, GitHub): its branch head and whether it descends from a commit.

    Both answer for the branch as the last ``listing`` read it. A hub whose branch was
    rewritten (a force push, a reset) no longer descends from the head a factory saw before:
    what its receipts say can no longer be matched with what the factory pushed.
    """

    def head(self) -> str | None:
        """The commit the listing was read at; None for an empty hub."""
        ...

    def descends_from(self, commit: str) -> bool:
        """Whether ``commit`` is the head or in its history (False when the hub lacks it)."""
        ...

    def receipt_commits(self) -> list[tuple[str, str]]:
        """The branch's commits that changed ``receipts/``, newest first: (commit, message)."""
        ...


def publication_message(subject: str, factory: str, receipt: HubFile) -> str:
    """A publication commit's message: ``subject`` and the trailers that make it this factory's."""
    digest = sha256_bytes(receipt.data)
    return (
        f"{subject}\n\n{FACTORY_TRAILER}: {factory}\n"
        f"{RECEIPT_TRAILER}: {receipt.path} sha256:{digest}\n"
    )


def published_receipts(hub: Lineage) -> dict[tuple[str, str], tuple[str, str]]:
    """(receipt path, sha256) -> (publication commit, factory) as the branch's trailers say.

    Only a message naming one factory counts; the oldest commit naming a receipt wins.
    """
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for commit, message in hub.receipt_commits():  # newest first: older ones overwrite
        said = list(_TRAILER.finditer(message[-4096:]))
        factories = {m["factory"] for m in said if m["factory"]}
        if len(factories) != 1:
            continue
        (factory,) = factories
        for m in said:
            if m["path"]:
                found[(m["path"], m["digest"])] = (commit, factory)
    return found


def head_of(hub: Hub) -> str | None:
    """The branch commit a hub with history was read at; None for a folder hub."""
    return hub.head() if isinstance(hub, Lineage) else None


def check_not_rewritten(hub: Hub, seen: str | None, where: str) -> None:
    """Refuse a hub whose branch does not descend from ``seen``, the last head recorded.

    ``where`` names the record that saw it. The record comes from the repository (the
    exchange log that intake PRs commit), never from a cache a fresh runner lacks.
    """
    if seen is None or not isinstance(hub, Lineage) or hub.descends_from(seen):
        return
    now_at = hub.head() or "nothing (the branch is empty)"
    raise HubError(
        f"{hub.display}: the hub's branch was rewritten: its head {now_at[:12]} does not"
        f" descend from {seen[:12]}, the head {where} records as last seen; its receipts"
        " cannot be matched with what was pushed",
        hint=f"have the hub's owner restore the branch (`git push --force URL {seen}:BRANCH`)"
        " or name another hub with --hub",
    )


@dataclass(frozen=True, slots=True)
class ReceiptFacts:
    """What one of this factory's receipts on the hub says about its push."""

    receipt_id: str
    path: str
    pushed_at: str
    hub: str
    publication: str | None
    orders: frozenset[str]
    items: tuple[tuple[str, str, str], ...] = ()  # (order ID, hub path, sha256), as listed
    source: str | None = None  # the factory commit the push was made from


def evidence_hub_paths(order_id: str) -> tuple[str, str, str]:
    """Where an order's directive, acknowledgement and report live on the hub."""
    return (
        f"orders/{order_id}.json",
        f"acknowledgements/ACK-{order_id}.json",
        f"reports/RPT-{order_id}.json",
    )


@dataclass(slots=True)
class Inventory:
    """What the hub holds under this factory's receipts, checked against the hub's listing.

    Receipts are checked, not believed: one that does not validate as a receipt, or on a hub
    with history one that no publication commit of its factory carries (see the module doc),
    is listed in ``refused`` with the reason; another factory's are counted, never used. A
    file counts as held only when a receipt lists it (order ID, hub path, sha256) *and* the
    listing holds that path with the same blob: a receipt alone never makes anything held.
    """

    listing: Mapping[str, str] = field(default_factory=dict)  # hub path -> git blob id
    items: dict[tuple[str, str, str], str] = field(default_factory=dict)  # -> receipt id
    paths: dict[str, tuple[str, str]] = field(default_factory=dict)  # path -> (digest, receipt)
    receipts: dict[str, ReceiptFacts] = field(default_factory=dict)
    # (hub path, why): invalid, or on a hub with history not carried by this factory's commit
    refused: list[tuple[str, str]] = field(default_factory=list)
    foreign: int = 0  # receipts of other factories on the same hub

    def holds(self, order_id: str, item: HubFile) -> str | None:
        """The receipt that lists this file of the order, when the hub holds these very bytes."""
        return self.holds_blob(order_id, item.path, item.blob, sha256_bytes(item.data))

    def holds_blob(self, order_id: str, path: str, blob: str, sha256: str) -> str | None:
        """``holds`` for bytes known by their git blob ID and sha256 (unread)."""
        if self.listing.get(path) != blob:
            return None
        return self.items.get((order_id, path, sha256))

    def covering(self, order_id: str, files: Sequence[HubFile]) -> ReceiptFacts | None:
        """The one receipt that lists every given file of the order, all held by the hub."""
        found = {self.holds(order_id, f) for f in files}
        if not files or len(found) != 1 or None in found:
            return None
        return self.receipts.get(str(found.pop()))

    def receipt_for(self, order_id: str, paths: Sequence[Path]) -> ReceiptFacts | None:
        """The receipt that holds these files of the order (directive, ack, report) as they are."""
        if not paths or not all(p.is_file() for p in paths):
            return None
        hub_paths = evidence_hub_paths(order_id)
        files = [
            HubFile(h, read_file(p, MAX_HUB_FILE)) for h, p in zip(hub_paths, paths, strict=False)
        ]
        return self.covering(order_id, files)

    def of_order(self, order_id: str) -> list[ReceiptFacts]:
        """Every receipt that lists the order, oldest push first (held by the hub or not)."""
        hits = [r for r in self.receipts.values() if order_id in r.orders]
        return sorted(hits, key=lambda r: (r.pushed_at, r.receipt_id))


def unheld(hub: Hub, held: Inventory, receipt: ReceiptFacts, order_id: str) -> list[str]:
    """The files of the order the receipt lists that the hub does not hold with that digest."""
    wanted = [(path, digest) for oid, path, digest in receipt.items if oid == order_id]
    present = [path for path, _ in wanted if path in held.listing]
    data = hub.read(present) if present else {}
    return [
        path
        for path, digest in wanted
        if path not in data or oversized(data[path]) or sha256_bytes(data[path]) != digest
    ]


def lost_receipts(display: str, present: Iterable[str], logged: Iterable[str]) -> list[str]:
    """A note for each receipt ID the exchange log records for this hub and ``present`` lacks."""
    return [
        f"{display}: receipt {rid}, which the exchange log records, is not on the hub"
        for rid in sorted(set(logged) - set(present))
    ]


def gap_notes(
    hub: Hub, held: Inventory, order_ids: Iterable[str], logged: Iterable[str]
) -> list[str]:
    """What receipts or the exchange log say the hub holds and it does not, one note each.

    ``order_ids`` are the orders to check (receipts that list them and whose files the hub
    lacks); ``logged`` the receipt IDs the exchange log records for pushes to this hub.
    """
    wanted = set(order_ids)
    notes = lost_receipts(hub.display, held.receipts, logged)
    for receipt in sorted(held.receipts.values(), key=lambda r: r.path):
        for order_id in sorted(receipt.orders & wanted):
            missing = unheld(hub, held, receipt, order_id)
            if missing:
                notes.append(
                    f"{hub.display}: {receipt.path} lists {order_id} but the hub does not hold"
                    f" {', '.join(missing)} as it lists them: not counted as pushed"
                )
    return notes


def inventory(
    hub: Hub, listing: Mapping[str, str] | None = None, *, factory: str | None = None
) -> Inventory:
    """Read the hub's receipts and index those of ``factory`` (every factory's when None)."""
    from toyfoundry_ci.validation.checker import check_value  # only exchanges need schemas

    listing = hub.listing() if listing is None else listing
    receipts = sorted(p for p in listing if p.startswith("receipts/") and p.endswith(".json"))
    found = Inventory(listing=listing)
    published: dict[tuple[str, str], tuple[str, str]] | None = None
    for path, data in sorted(hub.read(receipts).items()):
        if isinstance(data, Refused):
            found.refused.append((path, data.reason))
            continue
        if oversized(data):
            found.refused.append((path, f"above the {MAX_HUB_FILE}-byte bound"))
            continue
        value = parse_artifact(data)
        result = check_value(path, value, "receipt")
        if not result.ok or not isinstance(value, dict):
            first = result.problems[0]
            found.refused.append((path, f"not a valid receipt: {first.where}: {first.message}"))
            continue
        if factory is not None and value["factory"] != factory:
            found.foreign += 1
            continue
        publication = value.get("publication")
        if isinstance(hub, Lineage):
            if published is None:
                published = published_receipts(hub)
            carried = published.get((path, sha256_bytes(data)))
            if carried is None or carried[1] != value["factory"]:
                found.refused.append((path, _not_published(value["factory"])))
                continue
            publication = carried[0]
        _index(found, path, value, publication)
    return found


def _not_published(factory: str) -> str:
    return (
        f"committed to the hub by someone else: no commit of the hub's branch carries it as"
        f" {factory}'s publication ({RECEIPT_TRAILER} trailer with these bytes); not counted"
    )


def _index(found: Inventory, path: str, value: dict[str, Any], publication: Any) -> None:
    receipt_id = str(value["receipt_id"])
    orders = set()
    items = []
    for item in value["items"]:
        listed = (str(item["order_id"]), str(item["path"]), str(item["digest"]["sha256"]))
        found.items[listed] = receipt_id
        found.paths[listed[1]] = (listed[2], receipt_id)
        orders.add(listed[0])
        items.append(listed)
    found.receipts[receipt_id] = ReceiptFacts(
        receipt_id=receipt_id,
        path=path,
        pushed_at=str(value["pushed_at"]),
        hub=str(value["hub"]),
        publication=str(publication) if publication else None,
        orders=frozenset(orders),
        items=tuple(items),
        source=value.get("source"),
    )
