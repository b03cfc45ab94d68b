"""``toyfoundry ci intake`` driven as a runner would on workflow_dispatch (and schedule).

The payload is the ``workflow_dispatch.1`` example, edited (a copy) to name this repository.
Two PRs were merged and pushed by ``ci merge`` (the previous module's flow); High Command
then puts a directive on the folder hub. The intake PR must carry the directive, the seals of
the pushed entries and the receipt, be the only intake PR, and stay as it is on redelivery.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.ci_kit import (
    configure_hub,
    event,
    fresh_checkout,
    head,
    merge_pr,
    mirror,
    push_event,
    runner_env,
)
from tests.conftest import git, run_cli
from tests.exchange_kit import put_directives
from tests.github_server import GitHubServer, Repo
from toyfoundry_ci.actions.intake import BRANCH, MARKER

ORDERS = ["ALFA-2026-0001", "ALFA-2026-0002", "ALFA-2026-0003"]


def _intake_prs(repo: Repo) -> list[dict[str, object]]:
    return [p for p in repo.pulls.values() if p["head"]["ref"] == BRANCH]


def _gate_states(repo: Repo, sha: str) -> list[str]:
    return [str(s["state"]) for s in repo.statuses.get(sha, []) if s["context"] == "gate"]


def _merged_and_pushed(
    factory: Path, tmp_path: Path, github_server: GitHubServer
) -> tuple[Path, Repo, str, dict[str, str]]:
    """PR #1 merged and pushed by ``ci merge``: the hub, the repo, main and an intake's env."""
    hub = configure_hub(factory, tmp_path / "hub")
    repo = github_server.add_repo("Codertocat/Hello-World")
    start = head(factory)
    main = merge_pr(github_server, repo, factory, 1, ORDERS)
    mirror(github_server, repo, factory, main, ref="main")
    push = runner_env(
        tmp_path, github_server, "push", push_event(main, start), sha=main,
        ref="refs/heads/main", hub=hub,
    )  # fmt: skip
    assert run_cli("ci", "merge", cwd=factory, env=push).returncode == 0
    dispatch = event("workflow_dispatch.1")  # edited copy: dispatched on this repository
    dispatch["repository"]["full_name"] = "Codertocat/Hello-World"
    env = runner_env(
        tmp_path, github_server, "workflow_dispatch", dispatch, sha=main,
        ref="refs/heads/main", hub=hub,
    )  # fmt: skip
    return hub, repo, main, env


def test_intake_opens_one_pr_with_directives_seals_and_receipt(
    unentered_factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    factory = unentered_factory
    hub, repo, main, env = _merged_and_pushed(factory, tmp_path, github_server)
    (receipt,) = (hub / "receipts").glob("*.json")
    put_directives(hub, ["ALFA-2027-0001"])

    (tmp_path / "summary.md").unlink()  # a new job's summary
    fresh_checkout(factory, main)
    first = run_cli("ci", "intake", cwd=factory, env=env)

    assert first.returncode == 0, first.stdout + first.stderr
    (pr,) = _intake_prs(repo)
    assert f"intake: branch committed; PR #{pr['number']} created" in first.stdout
    assert str(pr["body"]).startswith(MARKER) and "| `ALFA-2027-0001` | new |" in str(pr["body"])
    tip = repo.refs[f"heads/{BRANCH}"]
    assert [p["sha"] for p in repo.commits[tip]["parents"]] == [main]  # one commit on main
    files = github_server.files_at(repo, tip)
    assert (
        files["exchange/orders/ALFA-2027-0001.json"]
        == (hub / "orders" / "ALFA-2027-0001.json").read_bytes()
    )
    for order_id in ORDERS:  # the seals the merge run made reach the repository here
        entry = json.loads(files[f"exchange/ledger/entries/{order_id}.json"])
        assert entry["signoff"]["state"] == "sealed"
        assert entry["signoff"]["reviewer"] == "octocat"
        assert entry["signoff"]["pull_request"] == 1
    runs = json.loads(files["logs/exchange_all.json"])["runs"]
    assert [r["receipt_id"] for r in runs if r["direction"] == "push"] == [receipt.stem]
    # The intake is a serialized writer: its PR folds the log records and brings the index
    # current, so main's index equals a fresh rebuild once it merges.
    assert not [p for p in files if p.startswith(("logs/exchange_all.d/", "logs/ops_readiness.d/"))]
    index = json.loads(files["exchange/ledger/index.json"])
    assert {r["order_id"]: r["state"] for r in index["entries"]} == dict.fromkeys(ORDERS, "sealed")
    summary = (tmp_path / "summary.md").read_text()
    assert "| `ALFA-2026-0001` | #1 | sealed by `octocat`" in summary
    # No workflow runs on a head the workflow token wrote: the run gated it and said so there.
    assert _gate_states(repo, tip) == ["success"]
    assert f"status `gate` on {tip}: success" in summary and "## toyfoundry gate: green" in summary
    assert "gate on the intake head: green" in first.stdout

    # The same event delivered again to a fresh job: nothing is written, no second PR, even
    # when GitHub cuts the recursive listing of the repository's tree short.
    github_server.tree_limit = 40
    writes = github_server.count("POST") + github_server.count("PATCH")
    fresh_checkout(factory, main)
    again = run_cli("ci", "intake", cwd=factory, env=env)
    assert again.returncode == 0, again.stderr
    assert f"intake: branch unchanged; PR #{pr['number']} unchanged" in again.stdout
    assert github_server.count("POST") + github_server.count("PATCH") == writes
    assert any("/git/trees/" in r.path and not r.query for r in github_server.requests)
    assert repo.refs[f"heads/{BRANCH}"] == tip and _intake_prs(repo) == [pr]

    # A new directive on the hub: the same PR is updated, never a second one.
    put_directives(hub, ["ALFA-2027-0002"])
    fresh_checkout(factory, main)
    later = run_cli("ci", "intake", cwd=factory, env=env)
    assert f"intake: branch committed; PR #{pr['number']} updated" in later.stdout
    assert _gate_states(repo, repo.refs[f"heads/{BRANCH}"]) == ["success"]
    assert _gate_states(repo, tip) == ["success"]  # the old head keeps its own
    (same,) = _intake_prs(repo)
    assert "| `ALFA-2027-0002` | new |" in str(same["body"])
    assert "exchange/orders/ALFA-2027-0002.json" in github_server.files_at(
        repo, repo.refs[f"heads/{BRANCH}"]
    )


def test_nothing_on_the_hub_means_nothing_to_do(
    unentered_factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    factory = unentered_factory
    hub = configure_hub(factory, tmp_path / "hub")
    repo = github_server.add_repo("Codertocat/Hello-World")
    sha = head(factory)
    env = runner_env(
        tmp_path, github_server, "schedule", {"schedule": "17 6 * * 1-5"}, sha=sha,
        ref="refs/heads/main", hub=hub,
    )  # fmt: skip

    proc = run_cli("ci", "intake", cwd=factory, env=env)

    assert proc.returncode == 0, proc.stderr
    assert "intake: nothing new from the hub; nothing to do" in proc.stdout
    assert not _intake_prs(repo) and f"heads/{BRANCH}" not in repo.refs
    assert git(factory, "rev-parse", "HEAD").strip() == sha


def test_intake_records_no_push_the_hub_does_not_hold(
    unentered_factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    """The hub keeps the receipt but lost the files, and holds a receipt with a bad ID."""
    factory = unentered_factory
    hub, repo, main, env = _merged_and_pushed(factory, tmp_path, github_server)
    (receipt,) = (hub / "receipts").glob("*.json")
    for folder in ("acknowledgements", "reports"):
        for path in (hub / folder).glob("*.json"):
            path.unlink()
    bad = json.loads(receipt.read_text())
    bad["receipt_id"] = "../../receipt"
    (hub / "receipts" / "receipt-bad.json").write_text(json.dumps(bad))
    put_directives(hub, ["ALFA-2027-0001"])
    fresh_checkout(factory, main)
    proc = run_cli("ci", "intake", cwd=factory, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    (pr,) = _intake_prs(repo)
    refused = [line for line in str(pr["body"]).splitlines() if "receipt-bad.json" in line]
    assert refused and "receipt refused: `not a valid receipt: $.receipt_id" in refused[0]
    files = github_server.files_at(repo, repo.refs[f"heads/{BRANCH}"])
    runs = json.loads(files["logs/exchange_all.json"])["runs"]
    assert [r for r in runs if r["direction"] == "push"] == []
    for order_id in ORDERS:  # not on the hub: nothing sealed, nothing recorded
        entry = f"exchange/ledger/entries/{order_id}.json"
        assert json.loads(files[entry])["signoff"]["state"] == "pending"


def test_a_token_that_may_not_post_statuses_is_named_and_a_rerun_completes(
    unentered_factory: Path, tmp_path: Path, github_server: GitHubServer
) -> None:
    """A workflow without `statuses: write`: GitHub answers 403; the job says what to grant,
    opens no PR whose head lacks its required check, and the next run finishes the work."""
    factory = unentered_factory
    hub, repo, main, env = _merged_and_pushed(factory, tmp_path, github_server)
    put_directives(hub, ["ALFA-2027-0001"])
    github_server.withheld.add("statuses")

    fresh_checkout(factory, main)
    refused = run_cli("ci", "intake", cwd=factory, env=env)

    assert refused.returncode == 1
    tip = repo.refs[f"heads/{BRANCH}"]
    assert f"GitHub refused the 'gate' status on {tip} (403)" in refused.stderr
    assert "permissions: statuses: write" in refused.stderr and "Traceback" not in refused.stderr
    assert not _intake_prs(repo) and not repo.statuses
    denied = [r for r in github_server.requests if r.path.endswith(f"/statuses/{tip}")]
    assert [r.status for r in denied] == [403]

    github_server.withheld.clear()
    fresh_checkout(factory, main)
    again = run_cli("ci", "intake", cwd=factory, env=env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "intake: branch unchanged; PR #" in again.stdout  # the commit was already there
    assert repo.refs[f"heads/{BRANCH}"] == tip and _gate_states(repo, tip) == ["success"]
    assert len(_intake_prs(repo)) == 1
