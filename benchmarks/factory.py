"""The benchmarks' one factory generator: N orders, every file a real shift leaves, committed.

A real shift runs once (``toyfoundry shift --demo`` on a copy of this repository's committed
sample factory) and what it wrote is the template: the directive, the acknowledgement, the
parade report, the four quilt exports, the storyboard note and the ledger entry of one order,
the hub's copies, its receipts and notifications, the logs. Each generated order is that
order with its ID, lot and digests replaced: every digest that cites another file is
recomputed (acknowledgement -> order, report -> both, manifest -> exports, entry -> all), the
index is rendered by the package (``render_index``), so readiness on the built tree is green.
All lots but the last are sealed (a local sign-off, the factory's method) and pushed to the
embedded folder hub, one receipt and one notification per lot; the last lot awaits sign-off.
The blobs are written by one ``git fast-import``, the tree by ``git update-index``, and
checked out; the hub is written as
files (it is git-ignored, as in every factory). The logs are the shift's own, written by the
package's log writers: whatever layout they have, the generated factory has.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from tests.sample import committed
from toyfoundry_ci.base.canonical import dumps, sha256_json
from toyfoundry_ci.base.kinds import ARTIFACT_FILES_REGEX
from toyfoundry_ci.exchange.notify import notification_for
from toyfoundry_ci.ledger.index import render_index
from toyfoundry_ci.models.hub import Receipt

REPO = Path(__file__).resolve().parent.parent
FACTORY = "bench-factory"
HUB = ".toyfoundry/hub"
REVIEWER = "Factory Reviewer"
LOT_SIZE = 50
FIRST_ID = 100_000  # six-digit order IDs: ALFA-2026-100000 and on
# What a factory holds of this repository's committed sample (as tests' make_factory copies).
SAMPLE = ("exchange", "planning", "new_major_pivots", "tools", "hooks", ".toyfoundry/telemetry")
SAMPLE_FILES = ("README.md", "RUNBOOK.md", ".gitignore")
SEALED_TEMPLATE, PENDING_TEMPLATE = "ALFA-2026-9001", "ALFA-2026-0001"
EXPORTS = ".toyfoundry/telemetry/quilt/exports"
PYPROJECT = f'[tool.toyfoundry]\nfactory = "{FACTORY}"\nhub = "{HUB}"\nsignoff.method = "local"\n'
NOOP_CONFIG = (
    "repos:\n  - repo: local\n    hooks:\n      - id: noop\n        name: pre-commit alone\n"
    "        entry: 'true'\n        language: system\n        always_run: true\n"
    "        pass_filenames: false\n"
)


def order_paths(oid: str) -> list[str]:
    """The files one paraded order leaves, in the order their digests depend on each other."""
    return [
        f"exchange/orders/{oid}.json",
        f"{EXPORTS}/{oid}.quilt.csv",
        f"{EXPORTS}/{oid}.quilt.json",
        f"{EXPORTS}/{oid}.quilt.svg",
        f"{EXPORTS}/{oid}.manifest.json",
        f"exchange/acknowledgements/ACK-{oid}.json",
        f"exchange/reports/RPT-{oid}.json",
        f"planning/storyboard/{oid}.md",
        f"exchange/ledger/entries/{oid}.json",
    ]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Template:
    """One paraded order of the seed shift: its files, its ID and lot, its files' digests."""

    oid: str
    lot: str
    files: dict[str, bytes]

    def clone(self, oid: str, lot: str) -> dict[str, bytes]:
        """The same order as ``oid`` in ``lot``: IDs replaced, every cited digest recomputed."""
        swaps = [(self.oid.encode(), oid.encode()), (self.lot.encode(), lot.encode())]
        out: dict[str, bytes] = {}
        for old_path, new_path in zip(order_paths(self.oid), order_paths(oid), strict=True):
            data = self.files[old_path]
            for old, new in swaps:
                data = data.replace(old, new)
            if new_path.endswith(".manifest.json"):
                data = _manifest(data, out)
            out[new_path] = data
            swaps.append((_sha(self.files[old_path]).encode(), _sha(data).encode()))
        return out


def _manifest(data: bytes, files: dict[str, bytes]) -> bytes:
    """A quilt manifest citing the bytes and digests of the exports as they are now."""
    doc = json.loads(data)
    for item in doc["files"]:
        item["bytes"] = len(files[item["path"]])
        item["digest"] = {"sha256": _sha(files[item["path"]])}
    return dumps(doc)


def _local_seal(entry: bytes) -> bytes:
    """The demo's seal made a local sign-off's (the demo's own seals count only in the demo)."""
    doc = json.loads(entry)
    doc["signoff"] = {"state": "sealed", "method": "local", "reviewer": REVIEWER,
                      "at": doc["signoff"]["at"]}  # fmt: skip
    return dumps(doc)


@dataclass
class Seed:
    """The seed shift's factory: its files, and a sealed and a pending order to clone."""

    root: Path
    files: dict[str, bytes]
    sealed: Template
    pending: Template
    receipt: dict[str, Any]


def seed(folder: Path) -> Seed:
    """Run one real demo shift on a copy of this repository's committed sample factory."""
    origin = folder / "origin"
    folder.mkdir(parents=True)
    _git(folder, "init", "-q", "-b", "main", str(origin))
    sample = committed()
    for name in SAMPLE:
        shutil.copytree(sample / name, origin / name)
    for name in SAMPLE_FILES:
        shutil.copy2(sample / name, origin / name)
    (origin / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (origin / ".pre-commit-config.yaml").write_text(hook_config(), encoding="utf-8")
    _git(origin, "add", "-A")
    _git(origin, "commit", "-qm", "factory: sample content")
    subprocess.run([sys.executable, "-m", "toyfoundry_ci", "shift", "--demo"], cwd=origin,
                   check=True, capture_output=True, env=_env())  # fmt: skip
    root = origin / ".toyfoundry" / "demo" / "factory"
    names = _git(root, "ls-files", "-co", "--exclude-standard", "-z").split("\0")
    files = {n: (root / n).read_bytes() for n in names if n and (root / n).is_file()}
    sealed = _template(files, SEALED_TEMPLATE, sealed=True)
    pending = _template(files, PENDING_TEMPLATE, sealed=False)
    receipt_file = next((root / HUB / "receipts").glob("*.json"))
    return Seed(root, files, sealed, pending, json.loads(receipt_file.read_bytes()))


def _template(files: dict[str, bytes], oid: str, *, sealed: bool) -> Template:
    own = {p: files[p] for p in order_paths(oid)}
    entry = f"exchange/ledger/entries/{oid}.json"
    lot = json.loads(own[entry])["lot"]
    if sealed:
        own[entry] = _local_seal(own[entry])
    return Template(oid, lot, own)


@dataclass
class Built:
    """A generated factory: where it is, its order IDs, and the commit it was built at."""

    root: Path
    orders: list[str] = field(default_factory=list)
    head: str = ""


def order_id(n: int) -> str:
    return f"ALFA-2026-{FIRST_ID + n:06d}"


def generated(s: Seed, count: int) -> Iterator[tuple[str, bytes, str]]:
    """(path, bytes, state) of every file of ``count`` orders, lot by lot; hub files too."""
    last_lot = (count - 1) // LOT_SIZE
    for start in range(0, count, LOT_SIZE):
        lot_no = start // LOT_SIZE
        lot = f"shift-{lot_no:06d}"
        template = s.pending if lot_no == last_lot else s.sealed
        pushed: list[tuple[str, dict[str, bytes]]] = []
        for n in range(start, min(start + LOT_SIZE, count)):
            oid = order_id(n)
            files = template.clone(oid, lot)
            for path, data in files.items():
                yield path, data, "tree"
            if template is s.sealed:
                pushed.append((oid, files))
            else:  # the hub issued it: its directive is there, its answer not yet
                yield f"orders/{oid}.json", files[f"exchange/orders/{oid}.json"], "hub"
        if pushed:
            yield from _publication(s, lot, pushed)


def _publication(
    s: Seed, lot: str, pushed: list[tuple[str, dict[str, bytes]]]
) -> Iterator[tuple[str, bytes, str]]:
    """The hub's side of one push: evidence, one receipt, one notification (as push writes)."""
    items = []
    for oid, files in pushed:
        for hub_path, path in (
            (f"orders/{oid}.json", f"exchange/orders/{oid}.json"),
            (f"acknowledgements/ACK-{oid}.json", f"exchange/acknowledgements/ACK-{oid}.json"),
            (f"reports/RPT-{oid}.json", f"exchange/reports/RPT-{oid}.json"),
        ):
            items.append(
                {"order_id": oid, "path": hub_path, "digest": {"sha256": _sha(files[path])}}
            )
            yield hub_path, files[path], "hub"
    key = sha256_json(items)
    receipt = Receipt.model_validate(
        {**s.receipt, "receipt_id": f"receipt-{key[:24]}", "factory": FACTORY, "items": items}
    )
    if receipt.publication is not None:
        receipt = receipt.model_copy(update={"publication": f"folder:{receipt.receipt_id}.json"})
    yield f"receipts/{receipt.receipt_id}.json", dumps(receipt.to_json()), "hub"
    orders = [(oid, _sha(files[f"exchange/orders/{oid}.json"])) for oid, files in pushed]
    notice, _, _ = notification_for(receipt, lot, orders)
    yield notice.path, notice.data, "hub"


def build(root: Path, count: int) -> Built:
    """A committed factory of ``count`` generated orders (plus the seed's six) at ``root``."""
    root.mkdir(parents=True)
    s = seed(root.parent / f"{root.name}-seed")
    _git(root.parent, "init", "-q", "-b", "main", str(root))
    for key, value in (("commit.gpgsign", "false"), ("toyfoundry.python", sys.executable)):
        _git(root, "config", key, value)
    built = Built(root, [order_id(n) for n in range(count)])
    tree = dict(s.files)
    rows = [_row(p, d) for p, d in tree.items() if _is_entry(p)]
    # Fast over small: the benchmarks time reading the tree, not git's packing of it. The
    # blobs go through fast-import (linear); the tree is the index's (``update-index``), not
    # fast-import's, whose folders are searched entry by entry (quadratic in a folder's size).
    importer = subprocess.Popen(
        ["git", "-c", "core.compression=1", "fast-import", "--quiet", "--done", "--depth=0"],
        cwd=root, stdin=subprocess.PIPE, env=_env(), bufsize=1 << 20,
    )  # fmt: skip
    stream = importer.stdin
    assert stream is not None
    entries: list[bytes] = []
    hub = root / HUB
    for folder in ("orders", "acknowledgements", "reports", "receipts", "notifications"):
        (hub / folder).mkdir(parents=True, exist_ok=True)
    # The hub's files are written by threads while git takes the blobs: both wait on I/O.
    with ThreadPoolExecutor(max_workers=4) as writers:
        for path, data, where in generated(s, count):
            if where == "hub":
                writers.submit((hub / path).write_bytes, data)
                continue
            entries.append(_blob(stream, path, data))
            if _is_entry(path):
                rows.append(_row(path, data))
    for path, data in tree.items():
        if path != "exchange/ledger/index.json":
            executable = os.access(s.root / path, os.X_OK)
            entries.append(_blob(stream, path, data, b"100755" if executable else b"100644"))
    entries.append(_blob(stream, "exchange/ledger/index.json", render_index(rows)))
    stream.write(b"done\n")
    stream.close()
    if importer.wait() != 0:
        raise SystemExit("git fast-import failed")
    _git_input(root, b"".join(entries), "update-index", "--add", "-z", "--index-info")
    tree_id = _git(root, "write-tree").strip()
    dated = {"GIT_AUTHOR_DATE": "1764000000 +0000", "GIT_COMMITTER_DATE": "1764000000 +0000"}
    commit = _git_input(
        root, b"factory: generated orders\n", "commit-tree", tree_id, env=dated
    ).strip()
    _git(root, "update-ref", "refs/heads/main", commit)
    _copy_seed_hub(s.root / HUB, hub)
    for path, data in s.files.items():  # the sample's directives came from this hub too
        issued = hub / path.removeprefix("exchange/")
        if path.startswith("exchange/orders/") and not issued.exists():
            issued.write_bytes(data)
    _git(root, "-c", "checkout.workers=0", "reset", "-q", "--hard")
    built.head = _git(root, "rev-parse", "HEAD").strip()
    shutil.rmtree(root.parent / f"{root.name}-seed")
    return built


def hook_config() -> str:
    """The factory's local commit hook, as ``toyfoundry init`` writes it."""
    template = REPO / "toyfoundry_ci" / "templates" / "local-hooks" / "_pre-commit-config.yaml"
    return template.read_text(encoding="utf-8")


def separate_hooks_config() -> str:
    """The three hooks the factory's one hook stands for, each run as a hook of its own."""
    hooks = (
        ("toyfoundry-validate", "validate", f"files: '{ARTIFACT_FILES_REGEX}'\n"
         "        types: [json]\n        exclude: '^exchange/ledger/index\\.json$'"),
        ("toyfoundry-ledger-index", "ledger index --default-branch-only",
         "files: ^exchange/ledger/entries/\n        pass_filenames: false"),
        ("toyfoundry-readiness", "readiness --staged --no-log",
         "pass_filenames: false\n        always_run: true"),
    )  # fmt: skip
    return "repos:\n  - repo: local\n    hooks:\n" + "".join(
        f"      - id: {hook}\n        name: {hook}\n"
        f"        entry: hooks/python -m toyfoundry_ci {args}\n        language: script\n"
        f"        {rest}\n"
        for hook, args, rest in hooks
    )


def _copy_seed_hub(src: Path, dst: Path) -> None:
    for path in src.rglob("*"):
        if path.is_file():
            target = dst / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, target)


def _is_entry(path: str) -> bool:
    return path.startswith("exchange/ledger/entries/") and path.endswith(".json")


def _row(path: str, data: bytes) -> dict[str, Any]:
    doc = json.loads(data)
    state = doc["signoff"]["state"]
    return {"order_id": doc["order_id"], "path": path, "digest": {"sha256": _sha(data)},
            "state": state}  # fmt: skip


def _blob(stream: IO[bytes], path: str, data: bytes, mode: bytes = b"100644") -> bytes:
    """Send one blob to fast-import; its ``update-index --index-info -z`` line."""
    stream.write(b"blob\ndata %d\n" % len(data))
    stream.write(data)
    stream.write(b"\n")
    oid = hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()
    return b"%s %s\t%s\0" % (mode, oid.encode(), path.encode())


def new_order(built: Built, n: int, lot: str = "shift-next") -> dict[str, bytes]:
    """The files one more paraded, pending order adds (as a shift's parade writes them)."""
    s_files = {p: (built.root / p).read_bytes() for p in order_paths(built.orders[-1])}
    last = built.orders[-1]
    entry = json.loads(s_files[f"exchange/ledger/entries/{last}.json"])
    return Template(last, entry["lot"], s_files).clone(order_id(n), lot)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env |= {"GIT_AUTHOR_NAME": "Factory Operator", "GIT_AUTHOR_EMAIL": "operator@factory.test"}
    return env | {"GIT_COMMITTER_NAME": "Factory Operator",
                  "GIT_COMMITTER_EMAIL": "operator@factory.test"}  # fmt: skip


def _git_input(cwd: Path, data: bytes, *args: str, env: dict[str, str] | None = None) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, input=data, capture_output=True,
                          env=_env() | (env or {}), check=False)  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed: {proc.stderr.decode(errors='replace')}")
    return proc.stdout.decode()


def _git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, env=_env(),
                          check=False)  # fmt: skip
    if proc.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout
