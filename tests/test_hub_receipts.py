"""Receipts on hubs with history count only when this factory's publication commit carries them.

Each attack runs against a real bare git repository and against the loopback GitHub API, and
is driven through the CLI as a user meets it (``status``, ``push``, ``pull``, ``audit``): a
receipt that lists the lot without the files, one with a malformed ID, one committed by
someone else, a hub whose branch was force-pushed, a receipt the log records and the hub lost.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import git, run_cli
from tests.exchange_kit import committed_sealed_factory, receipt_of
from tests.github_server import GitHubServer, Repo
from toyfoundry_ci.base.canonical import sha256_bytes
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.exchange.log import read_log
from toyfoundry_ci.hub.config import settings
from toyfoundry_ci.hub.protocol import RECEIPT_TRAILER, HubFile, publication_message

FORGED = "receipts/receipt-" + "0" * 24 + ".json"


@dataclass
class AttackedHub:
    """A hub High Command (or anyone with write access) changes behind the factory's back."""

    spec: str
    bare: Path | None = None
    server: GitHubServer | None = None
    repo: Repo | None = None

    def commit(self, files: dict[str, bytes], message: str = "High Command: hub update") -> str:
        """Someone else's commit on the hub's branch, adding ``files``."""
        if self.server is not None and self.repo is not None:
            return self.server.push_files(self.repo, files, message=message)
        assert self.bare is not None
        work = self._clone()
        for path, data in files.items():
            (work / path).parent.mkdir(parents=True, exist_ok=True)
            (work / path).write_bytes(data)
        return self._commit_and_push(work, message)

    def remove(self, path: str) -> None:
        """Someone else's commit on the hub's branch, deleting ``path``."""
        if self.server is not None and self.repo is not None:
            head = self.repo.refs["heads/main"]
            tree = dict(self.repo.trees[self.repo.commits[head]["tree"]["sha"]])
            del tree[path]
            sha = self.server.put_commit(
                self.repo, "High Command: tidy", self.server.put_tree(self.repo, tree), [head]
            )
            self.repo.refs["heads/main"] = sha
            return
        work = self._clone()
        git(work, "rm", "-q", path)
        self._commit_and_push(work, "High Command: tidy")

    def rewrite(self) -> str:
        """Force the branch back to its first commit plus a new one: history rewritten."""
        if self.server is not None and self.repo is not None:
            repo = self.repo
            first = next(iter(repo.commits))  # the repository's initial commit
            tree = repo.commits[first]["tree"]["sha"]
            sha = self.server.put_commit(repo, "High Command: history rewritten", tree, [first])
            repo.refs["heads/main"] = sha
            return sha
        work = self._clone()
        first = git(work, "rev-list", "--max-parents=0", "HEAD").split()[0]
        git(work, "reset", "-q", "--hard", first)
        git(work, "commit", "-q", "--allow-empty", "-m", "High Command: history rewritten")
        git(work, "push", "-q", "--force", "origin", "HEAD:main")
        return git(work, "rev-parse", "HEAD").strip()

    def head(self) -> str:
        if self.repo is not None:
            return self.repo.refs["heads/main"]
        assert self.bare is not None
        return git(self.bare, "rev-parse", "main").strip()

    def files(self) -> dict[str, bytes]:
        if self.server is not None and self.repo is not None:
            return self.server.files_at(self.repo, "main")
        assert self.bare is not None
        names = git(self.bare, "ls-tree", "-r", "--name-only", "main").split()
        return {n: git(self.bare, "show", f"main:{n}").encode() for n in names}

    def _clone(self) -> Path:
        assert self.bare is not None
        work = self.bare.parent / f"hc-{len(list(self.bare.parent.glob('hc-*')))}"
        git(self.bare.parent, "clone", "-q", str(self.bare), str(work))
        return work

    def _commit_and_push(self, work: Path, message: str) -> str:
        git(work, "add", "-A")
        git(work, "commit", "-q", "-m", message)
        git(work, "push", "-q", "origin", "HEAD:main")
        return git(work, "rev-parse", "HEAD").strip()


@pytest.fixture(params=["git", "github"])
def attacked(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Layout, str, AttackedHub]]:
    """A committed factory with one sealed order, and a hub that issued its directive."""
    layout, (oid,) = committed_sealed_factory(tmp_path / "factory", 1)
    directive = {f"orders/{oid}.json": layout.order_file(oid).read_bytes()}
    if request.param == "github":
        server: GitHubServer = request.getfixturevalue("github_server")
        monkeypatch.setenv("TOYFOUNDRY_GITHUB_API_URL", server.url)
        monkeypatch.setenv("TOYFOUNDRY_HUB_TOKEN", server.token)
        monkeypatch.setenv("TOYFOUNDRY_GITHUB_BACKOFF", "0.01")
        repo = server.add_repo("high-command/hub", files=directive)
        yield layout, oid, AttackedHub("github://high-command/hub", server=server, repo=repo)
        return
    work = tmp_path / "high-command"
    (work / "orders").mkdir(parents=True)
    for path, data in directive.items():
        (work / path).write_bytes(data)
    git(work, "init", "-q", "-b", "main")
    git(work, "add", "-A")
    git(work, "commit", "-q", "-m", "High Command: directives")
    bare = tmp_path / "hub.git"
    git(tmp_path, "clone", "-q", "--bare", str(work), str(bare))
    yield layout, oid, AttackedHub(str(bare), bare=bare)


def cli(layout: Layout, *args: str) -> tuple[int, str]:
    proc = run_cli(*args, cwd=layout.root)
    assert "Traceback" not in proc.stderr, proc.stderr
    return proc.returncode, proc.stdout + proc.stderr


def stage(layout: Layout, hub: AttackedHub, oid: str) -> tuple[str, str]:
    proc = run_cli("status", "--hub", hub.spec, "--format", "json", cwd=layout.root)
    assert proc.returncode == 0 and "Traceback" not in proc.stderr, proc.stderr
    (row,) = [r for r in json.loads(proc.stdout) if r["order_id"] == oid]
    return row["stage"], proc.stderr


def evidence(layout: Layout, oid: str) -> dict[str, bytes]:
    """The factory's acknowledgement and report as a push puts them on the hub."""
    return {
        f"acknowledgements/ACK-{oid}.json": layout.ack_file(oid).read_bytes(),
        f"reports/RPT-{oid}.json": layout.report_file(oid).read_bytes(),
    }


def test_a_receipt_without_files_never_makes_the_order_already_on_the_hub(
    attacked: tuple[Layout, str, AttackedHub],
) -> None:
    layout, oid, hub = attacked
    forged = HubFile(FORGED, receipt_of(layout, oid))
    # The strongest form: even the publication trailer is copied, so the receipt is "ours".
    factory = settings(layout).factory
    hub.commit({FORGED: forged.data}, publication_message("forged", factory, forged))
    assert stage(layout, hub, oid)[0] == "signed-off"
    code, said = cli(layout, "push", "--hub", hub.spec)
    assert code == 0, said
    assert f"sent {oid}" in said and "already on the hub" not in said.split("nothing new")[0]
    assert set(evidence(layout, oid).items()) <= set(hub.files().items())
    assert stage(layout, hub, oid)[0] == "promoted"


def test_a_receipt_with_a_malformed_id_is_a_hub_error_naming_the_file(
    attacked: tuple[Layout, str, AttackedHub],
) -> None:
    layout, oid, hub = attacked
    bad = "receipts/receipt-bad.json"
    hub.commit({bad: receipt_of(layout, oid, receipt_id="../../etc/passwd")})
    code, said = cli(layout, "push", "--hub", hub.spec)
    assert code == 0, said
    assert f"refused hub receipt {bad}: not a valid receipt: $.receipt_id" in said
    assert f"sent {oid}" in said


def test_a_receipt_committed_by_someone_else_is_ignored_and_reported(
    attacked: tuple[Layout, str, AttackedHub],
) -> None:
    layout, oid, hub = attacked
    # Byte for byte what the factory would send, receipt included, but in someone else's
    # commit: the hub holds the files, yet this factory never published them.
    hub.commit({**evidence(layout, oid), FORGED: receipt_of(layout, oid)})
    shown, notes = stage(layout, hub, oid)
    assert shown == "signed-off"
    assert f"{FORGED} refused (committed to the hub by someone else" in notes
    code, said = cli(layout, "push", "--hub", hub.spec)
    assert code == 0, said
    assert f"refused hub receipt {FORGED}: committed to the hub by someone else" in said
    assert f"sent {oid}" in said
    assert stage(layout, hub, oid)[0] == "promoted"
    (receipt,) = [p for p in hub.files() if p.startswith("receipts/") and p != FORGED]
    audit = cli(layout, "audit", oid, "--hub", hub.spec)[1]
    assert f"receipt {Path(receipt).stem}, publication {hub.head()}" in audit
    assert f"note: {hub.spec}" in audit and f"{FORGED} refused (committed to the hub" in audit


def test_the_publication_commit_carries_the_receipt_and_is_the_head_logged(
    attacked: tuple[Layout, str, AttackedHub],
) -> None:
    layout, _oid, hub = attacked
    code, said = cli(layout, "push", "--hub", hub.spec)
    assert code == 0, said
    files = hub.files()
    (path,) = [p for p in files if p.startswith("receipts/")]
    receipt = json.loads(files[path])
    assert receipt["source"] == git(layout.root, "rev-parse", "HEAD").strip()
    run = read_log(layout).runs[-1]
    assert run.receipt_id == receipt["receipt_id"] and run.head == hub.head()
    if hub.bare is not None:
        message = git(hub.bare, "log", "-1", "--format=%B", "main")
        assert f"{RECEIPT_TRAILER}: {path} sha256:{sha256_bytes(files[path])}" in message


def test_a_force_pushed_hub_is_refused_naming_both_commits(
    attacked: tuple[Layout, str, AttackedHub],
) -> None:
    layout, oid, hub = attacked
    assert cli(layout, "push", "--hub", hub.spec)[0] == 0
    seen = hub.head()
    now_at = hub.rewrite()
    for command in (("pull",), ("push",), ("status",), ("audit", oid)):
        code, said = cli(layout, *command, "--hub", hub.spec)
        assert "the hub's branch was rewritten" in said, (command, said)
        assert seen[:12] in said and now_at[:12] in said
        assert "logs/exchange_all.json" in said
        if command[0] in ("pull", "push"):  # status and audit note it and say what they know
            assert code == 1 and "git push --force" in said
        else:
            assert code == 0 and "(on the hub)" not in said
    assert hub.head() == now_at  # nothing was sent


def test_a_receipt_the_log_records_and_the_hub_lost_is_reported_by_push_pull_and_audit(
    attacked: tuple[Layout, str, AttackedHub],
) -> None:
    layout, oid, hub = attacked
    assert cli(layout, "push", "--hub", hub.spec)[0] == 0
    (path,) = [p for p in hub.files() if p.startswith("receipts/")]
    hub.remove(path)
    lost = f"receipt {Path(path).stem}, which the exchange log records, is not on the hub"
    for command in (("pull",), ("audit", oid), ("push",)):
        code, said = cli(layout, *command, "--hub", hub.spec)
        assert code == 0, said
        assert lost in said, command
