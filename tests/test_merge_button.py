"""GitHub's merge button on concurrent ledger PRs: a plain merge, no driver, in any order.

Each pull request is a branch made from the same main by running the CLI on it, as a person
does: a shift that adds an order (recording its readiness runs and exchanges), a local
sign-off of a pending entry, or a pull of a new directive. They are merged into main one after
another as GitHub's merge button merges them: ``git merge-tree --write-tree`` in a repository where
no merge driver is registered, so the ledger's driver cannot run. No merge may conflict, and
main must be green afterwards: its index current or verifiably behind (readiness and
``ledger verify`` say by how much), its logs read by readiness, the halt rule and ``audit``.
"""

from __future__ import annotations

import itertools
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import git, log_files, logged_runs, make_factory, merge_button, run_cli
from tests.exchange_kit import directive
from tests.ledger_helpers import sign_off_locally

PENDING = ("ALFA-2026-0001", "ALFA-2026-0002", "ALFA-2026-0003")  # the sample's entries
INDEX = "exchange/ledger/index.json"
LOGS = ("exchange_all", "ops_readiness")


@dataclass(frozen=True)
class PullRequest:
    kind: str  # "add" (a shift parades a new order), "seal" (local sign-off), "pull"
    order_id: str

    @property
    def branch(self) -> str:
        return f"{self.kind}-{self.order_id}"


def cli(repo: Path, *args: str) -> str:
    proc = run_cli(*args, cwd=repo)
    assert proc.returncode == 0, f"{args}:\n{proc.stdout}\n{proc.stderr}"
    return proc.stdout


def open_pull_request(repo: Path, hubs: Path, pr: PullRequest) -> None:
    """The branch of ``pr``, from main, made by the CLI and committed as a person commits."""
    git(repo, "checkout", "-q", "-b", pr.branch, "main")
    if pr.kind == "seal":
        cli(repo, "signoff", pr.order_id, "--reviewer", "Quality Lead")
    else:
        hub = hubs / pr.branch
        (hub / "orders").mkdir(parents=True)
        (hub / "orders" / f"{pr.order_id}.json").write_bytes(directive(pr.order_id))
        cli(repo, "shift" if pr.kind == "add" else "pull", "--hub", str(hub))
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", f"{pr.kind} {pr.order_id}")
    git(repo, "checkout", "-q", "main")


def base_factory(repo: Path) -> Path:
    """The sample factory, signing off locally, with no merge driver registered."""
    make_factory(repo)
    sign_off_locally(repo)
    assert "merge=toyfoundry-ledger" not in git(repo, "check-attr", "merge", "--", INDEX)
    return repo


def pull_requests() -> st.SearchStrategy[list[PullRequest]]:
    kinds = st.lists(st.sampled_from(["add", "seal", "pull"]), min_size=2, max_size=6).filter(
        lambda ks: ks.count("seal") <= len(PENDING)
    )

    def named(ks: list[str]) -> list[PullRequest]:
        seals = iter(PENDING)
        return [
            PullRequest(k, next(seals) if k == "seal" else f"ALFA-2027-{n + 10:04d}")
            for n, k in enumerate(ks)
        ]

    return kinds.map(named)


def test_concurrent_ledger_prs_merge_through_the_button_in_any_order(tmp_path: Path) -> None:
    base = base_factory(tmp_path / "base")
    runs = itertools.count()

    @settings(max_examples=8, deadline=None)
    @given(prs=pull_requests(), data=st.data())
    def merges_cleanly(prs: list[PullRequest], data: st.DataObject) -> None:
        work = tmp_path / f"run-{next(runs)}"
        repo = work / "factory"
        shutil.copytree(base, repo, symlinks=True)
        for pr in prs:
            open_pull_request(repo, work / "hubs", pr)
        records = dict.fromkeys(LOGS, 0)
        for pr in prs:  # no pull-request branch writes the index or edits a log file
            changed = git(repo, "diff", "--name-only", "main", pr.branch).split()
            assert INDEX not in changed
            assert not {"logs/exchange_all.json", "logs/ops_readiness.json"} & set(changed)
            for log in LOGS:
                records[log] += sum(path.startswith(f"logs/{log}.d/") for path in changed)

        for pr in data.draw(st.permutations(prs), label="merge order"):
            merge_button(repo, pr.branch)
        git(repo, "reset", "-q", "--hard", "main")

        lagging = sum(pr.kind in ("add", "seal") for pr in prs)
        notice = f"index behind by {lagging} entr" if lagging else "index current: exchange/ledger"
        gate = json.loads(cli(repo, "readiness", "--format", "json"))
        assert gate["verdict"] == "green", gate
        [index] = [c for c in gate["checks"] if c["id"] == "ledger-index"]
        assert index["message"].startswith(notice), index
        verified = cli(repo, "ledger", "verify")
        assert verified.endswith("ok: ledger verified\n")
        assert (f"note: {notice}" in verified) == bool(lagging)
        for log in LOGS:  # every record of every branch, none lost, none doubled
            assert len(log_files(repo, log)) == records[log]
        assert all(r["verdict"] == "green" for r in logged_runs(repo, "ops_readiness"))
        audited = cli(repo, "audit", prs[0].order_id)
        assert audited.startswith(f"audit of {prs[0].order_id}")

        # What the intake PR does for main: regenerate, which writes exactly when it lagged.
        wrote = cli(repo, "ledger", "index")
        assert wrote.startswith("wrote" if lagging else "index already current")

    merges_cleanly()
