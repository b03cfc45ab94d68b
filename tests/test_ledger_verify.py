"""`toyfoundry ledger verify`: each kind of alteration is caught and named by file and field."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest

from tests.ci_kit import merge_pr
from tests.conftest import git, run_cli
from tests.github_server import GitHubServer
from tests.ledger_helpers import parade_entry, sign_off_locally
from toyfoundry_ci.base.canonical import dumps
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import rebuild_index
from toyfoundry_ci.ledger.signoff import seal_local
from toyfoundry_ci.ledger.verify import verify


@pytest.fixture
def factory(unentered_factory: Path) -> Path:
    """These tests enter the sample orders themselves, so they start before any entry."""
    return unentered_factory


def paraded(factory: Path) -> Layout:
    layout = Layout(factory)
    for order_id in ("ALFA-2026-0001", "ALFA-2026-0002"):
        parade_entry(layout, order_id)
    rebuild_index(layout)
    git(factory, "add", "-A")
    git(factory, "commit", "-qm", "parade")
    return layout


def test_clean_ledger_verifies(factory: Path) -> None:
    paraded(factory)
    proc = run_cli("ledger", "verify", "--base", "HEAD", cwd=factory)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.strip() == "ok: ledger verified"


def test_altered_evidence_is_named_by_entry_and_field(factory: Path) -> None:
    paraded(factory)
    report = factory / "exchange/reports/RPT-ALFA-2026-0002.json"
    report.write_text(report.read_text().replace('"verdict": "fulfilled"', '"verdict": "short"'))
    proc = run_cli("ledger", "verify", "--format", "json", cwd=factory)
    assert proc.returncode == 1
    problems = json.loads(proc.stdout)["problems"]
    assert {
        "file": "exchange/ledger/entries/ALFA-2026-0002.json",
        "path": "$.subjects[2].digest.sha256",
    } in [{"file": p["file"], "path": p["path"]} for p in problems]


def test_changed_reads_what_changed_since_the_base_and_needs_one(factory: Path) -> None:
    paraded(factory)  # committed
    report = factory / "exchange/reports/RPT-ALFA-2026-0002.json"
    report.write_text(report.read_text().replace('"verdict": "fulfilled"', '"verdict": "short"'))
    args = ["ledger", "verify", "--base", "HEAD", "--format", "json"]
    scoped = run_cli(*args, "--changed", cwd=factory)
    assert scoped.returncode == 1, scoped.stdout + scoped.stderr
    assert scoped.stdout == run_cli(*args, cwd=factory).stdout  # the whole ledger's problems
    assert "ALFA-2026-0002.json" in scoped.stdout
    alone = run_cli("ledger", "verify", "--changed", cwd=factory)
    assert alone.returncode == 2
    assert "give --base" in alone.stderr


def test_invalid_artifact_and_stale_index_are_reported(factory: Path) -> None:
    layout = paraded(factory)
    order = factory / "exchange/orders/ALFA-2026-0003.json"
    order.write_text(order.read_text().replace('"qty": ', '"qty": -'))
    parade_entry(layout, "ALFA-2026-0003")
    proc = run_cli("ledger", "verify", cwd=factory)
    assert proc.returncode == 1
    assert "exchange/orders/ALFA-2026-0003.json::$.lines[0].qty:" in proc.stdout
    # The entry changed since the index was written: the index lags, it is not wrong.
    assert "note: index behind by 1 entry (changed since" in proc.stdout
    assert "exchange/ledger/index.json::" not in proc.stdout


def test_base_allows_pending_to_sealed_only(factory: Path) -> None:
    sign_off_locally(factory)
    layout = paraded(factory)
    base = git(factory, "rev-parse", "HEAD").strip()
    git(factory, "config", "user.name", "Someone Else")
    seal_local(layout, ["ALFA-2026-0001"], "Quality Lead")
    assert verify(layout, base=base) == []
    path = layout.ledger_entry_file("ALFA-2026-0002")
    doc = orjson.loads(path.read_bytes())
    doc["created_at"] = "2026-11-25T09:00:00Z"
    path.write_bytes(dumps(doc))
    rebuild_index(layout)
    problems = verify(layout, base=base)
    assert [(p.file, p.where) for p in problems] == [
        ("exchange/ledger/entries/ALFA-2026-0002.json", "$.signoff")
    ]
    path.unlink()
    rebuild_index(layout)
    removed = verify(layout, base=base)
    assert any("was removed since" in p.message for p in removed)


def test_a_pushed_order_must_be_sealed(factory: Path) -> None:
    layout = paraded(factory)
    log = {
        "kind": "exchange-log", "pivot": "v1",
        "runs": [{"at": "2026-11-25T09:00:00Z", "direction": "push", "hub": "folder",
                  "result": "ok", "receipt_id": "R-1",
                  "orders": [{"order_id": "ALFA-2026-0001", "digest": {"sha256": "0" * 64}}]}],
    }  # fmt: skip
    layout.exchange_log.parent.mkdir(parents=True, exist_ok=True)
    layout.exchange_log.write_bytes(dumps(log))
    problems = verify(layout)
    assert [(p.file, p.where) for p in problems] == [
        ("logs/exchange_all.json", "$.runs[0].orders[0].order_id")
    ]
    assert "its ledger entry is pending" in problems[0].message


def test_base_re_verifies_github_seals_through_the_api_and_fails_without_a_token(
    factory: Path, github_server: GitHubServer
) -> None:
    repo = github_server.add_repo("Codertocat/Hello-World")
    merged = merge_pr(github_server, repo, factory, 1, ["ALFA-2026-0001"])
    api = {"GITHUB_API_URL": github_server.url, "GITHUB_TOKEN": github_server.token,
           "GITHUB_REPOSITORY": "Codertocat/Hello-World"}  # fmt: skip
    sealed = run_cli("signoff", "ALFA-2026-0001", "--pull-request", "1", cwd=factory, env=api)
    assert sealed.returncode == 0, sealed.stderr
    git(factory, "commit", "-qam", "Record the sign-off of ALFA-2026-0001")

    def verify_base(env: dict[str, str], *repo: str) -> tuple[int, str]:
        proc = run_cli("ledger", "verify", "--base", merged, *repo, cwd=factory, env=env)
        assert "Traceback" not in proc.stderr, proc.stderr
        return proc.returncode, proc.stdout

    code, said = verify_base(api)  # the seal re-derived from PR #1's approval
    assert code == 0, said
    elsewhere = {**api, "GITHUB_REPOSITORY": ""}  # --repo names the repository instead
    assert verify_base(elsewhere, "--repo", "Codertocat/Hello-World")[0] == 0
    nameless = verify_base(elsewhere)
    assert nameless[0] == 1 and "GITHUB_REPOSITORY or `ledger verify --repo`" in nameless[1]
    unchecked = verify_base({**api, "GITHUB_TOKEN": ""})
    assert unchecked[0] == 1
    assert "its github seal (pull request #1, review" in unchecked[1]
    assert "was not checked" in unchecked[1] and "set GITHUB_TOKEN" in unchecked[1]
    path = factory / "exchange/ledger/entries/ALFA-2026-0001.json"
    value = orjson.loads(path.read_bytes())
    value["signoff"]["reviewer_id"] += 1  # the review is not by the reviewer the seal names
    path.write_bytes(dumps(value))
    rebuild_index(Layout(factory))
    forged = verify_base(api)
    assert forged[0] == 1
    assert "of pull request #1 is not by" in forged[1], forged[1]
