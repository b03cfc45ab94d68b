"""`ci pr` checks what a pull request changes and trusts its base: the scoped readiness, the
spliced index and the pairing of touched orders say what a full run says, on the same tree."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.factory import Built, build, new_order
from tests.conftest import git, run_cli
from tests.github_server import GitHubServer
from toyfoundry_ci.actions import _git
from toyfoundry_ci.actions.pr_scope import order_of, scoped_readiness
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import fresh_index, update_index
from toyfoundry_ci.readiness import run_readiness

ORDERS = 12
Edit = Callable[[Built], None]


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Built:
    return build(tmp_path_factory.mktemp("generated") / "factory", ORDERS)


def _clone(generated: Built, where: Path) -> Built:
    git(where.parent, "clone", "-q", str(generated.root), str(where))
    git(where, "config", "commit.gpgsign", "false")
    return Built(where, list(generated.orders), generated.head)


def _write(built: Built, files: dict[str, bytes]) -> None:
    for path, data in files.items():
        (built.root / path).parent.mkdir(parents=True, exist_ok=True)
        (built.root / path).write_bytes(data)


def add_order(built: Built) -> None:
    files = new_order(built, ORDERS)
    _write(built, files)
    update_index(Layout(built.root), [p for p in files if "/ledger/entries/" in p])


def add_order_index_stale(built: Built) -> None:
    _write(built, new_order(built, ORDERS))


def tamper_report(built: Built) -> None:
    report = built.root / f"exchange/reports/RPT-{built.orders[3]}.json"
    report.write_bytes(report.read_bytes().replace(b"fulfilled", b"partial", 1))


def tamper_export(built: Built) -> None:
    svg = built.root / f".toyfoundry/telemetry/quilt/exports/{built.orders[0]}.quilt.svg"
    svg.write_bytes(svg.read_bytes() + b"<!-- edited -->")


def drop_note(built: Built) -> None:
    (built.root / f"planning/storyboard/{built.orders[5]}.md").unlink()


def drop_entry(built: Built) -> None:
    entry = f"exchange/ledger/entries/{built.orders[7]}.json"
    (built.root / entry).unlink()
    update_index(Layout(built.root), [entry])


def edit_docs(built: Built) -> None:
    with (built.root / "README.md").open("a", encoding="utf-8") as fh:
        fh.write("\nA line a reviewer asked for.\n")


EDITS = [add_order, add_order_index_stale, tamper_report, tamper_export, drop_note, drop_entry,
         edit_docs]  # fmt: skip


def _pull_request(built: Built, edit: Edit) -> list[str]:
    git(built.root, "checkout", "-q", "-b", "change")
    edit(built)
    git(built.root, "add", "-A")
    git(built.root, "commit", "-qm", "The change under review")
    head = git(built.root, "rev-parse", "HEAD").strip()
    return _git.changed_files(built.root, built.head, head)


@pytest.mark.parametrize("edit", EDITS, ids=lambda e: e.__name__)
def test_scoped_readiness_and_index_equal_a_full_run(
    generated: Built, tmp_path: Path, edit: Edit
) -> None:
    built = _clone(generated, tmp_path / "checkout")
    layout = Layout(built.root)
    _pull_request(built, edit)
    full = run_readiness(layout, record=False)
    with scoped_readiness(layout, built.head) as scoped:
        assert scoped.orders is not None  # scoped, not the full run again
        assert scoped.fresh == fresh_index(layout)
        got = {c.id: c.status for c in scoped.result.checks}
    assert got == {c.id: c.status for c in full.checks}
    assert scoped.result.green == full.green


def test_a_base_branch_that_moved_on_is_trusted_where_the_pr_left_it(
    generated: Built, tmp_path: Path
) -> None:
    built = _clone(generated, tmp_path / "checkout")
    layout = Layout(built.root)
    _pull_request(built, tamper_report)
    git(built.root, "checkout", "-q", "main")
    add_order(built)  # merged on main after the PR branched: the PR's checkout lacks it
    git(built.root, "add", "-A")
    git(built.root, "commit", "-qm", "Another PR, merged")
    tip = git(built.root, "rev-parse", "HEAD").strip()
    git(built.root, "checkout", "-q", "change")
    full = run_readiness(layout, record=False)
    with scoped_readiness(layout, tip) as scoped:
        assert scoped.orders == (built.orders[3],)
        assert scoped.fresh == fresh_index(layout)
        got = {c.id: c.status for c in scoped.result.checks}
    assert got == {c.id: c.status for c in full.checks}
    assert not full.green


def test_scope_is_the_orders_the_change_names(generated: Built, tmp_path: Path) -> None:
    built = _clone(generated, tmp_path / "checkout")
    layout = Layout(built.root)
    _pull_request(built, tamper_export)
    with scoped_readiness(layout, built.head) as scoped:
        assert scoped.orders == (built.orders[0],)
        assert scoped.view is not None
        held = {p.stem for p in scoped.view.ledger_entries.glob("*.json")}
    # The touched order, and one the base holds: the view always has a ledger to check.
    assert built.orders[0] in held and len(held) == 2
    assert order_of(layout, "exchange/acknowledgements/ACK-ALFA-2026-0001.json") == "ALFA-2026-0001"
    assert order_of(layout, "exchange/orders/README.md") is None
    assert order_of(layout, "planning/toyfoundry/catalogue.md") is None


def test_a_configuration_change_is_checked_in_full(generated: Built, tmp_path: Path) -> None:
    built = _clone(generated, tmp_path / "checkout")

    def configure(b: Built) -> None:
        with (b.root / "pyproject.toml").open("a", encoding="utf-8") as fh:
            fh.write("signoff.require_signature = false\n")

    _pull_request(built, configure)
    with scoped_readiness(Layout(built.root), built.head) as scoped:
        assert scoped.orders is None
        assert scoped.result.green


def test_ci_pr_reports_the_scope_and_stays_green_on_a_one_order_pr(
    generated: Built, tmp_path: Path
) -> None:
    built = _clone(generated, tmp_path / "checkout")
    changed = _pull_request(built, add_order)
    head = git(built.root, "rev-parse", "HEAD").strip()
    event = json.loads((Path(__file__).parent / "fixtures/github-events/pull_request.opened.1.json")
                       .read_text())  # fmt: skip
    event["pull_request"]["base"]["sha"] = built.head  # edited copy: the checkout's commits
    event["pull_request"]["head"]["sha"] = head
    (tmp_path / "event.json").write_text(json.dumps(event))
    with GitHubServer() as server:
        env = {
            "GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(tmp_path / "event.json"),
            "GITHUB_REPOSITORY": "Codertocat/Hello-World", "GITHUB_SHA": head,
            "GITHUB_REF": "refs/pull/2/merge", "GITHUB_STEP_SUMMARY": str(tmp_path / "sum.md"),
            "GITHUB_API_URL": server.url, "GITHUB_TOKEN": server.token,
        }  # fmt: skip
        proc = run_cli("ci", "pr", cwd=built.root, env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "ledger index: current" in proc.stdout
    summary = (tmp_path / "sum.md").read_text()
    assert "orders this pull request touches; the base is trusted" in summary
    assert "The 1 order this pull request touches." in summary
    new = order_of(Layout(built.root), next(p for p in changed if "/entries/" in p))
    assert new is not None and new in summary
    assert built.orders[0] not in summary  # an untouched order is not listed
