"""`ci pr` on a generated factory says what a full readiness run says of the same tree, and
the index a pull request leaves as it was only lags its entries."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.factory import Built, build, new_order
from tests.conftest import git, run_cli
from tests.github_server import GitHubServer
from toyfoundry_ci.actions import _git
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.ledger.index import update_index
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
    _write(built, new_order(built, ORDERS))  # a PR branch leaves the index behind


def add_order_index_rewritten(built: Built) -> None:
    files = new_order(built, ORDERS)
    _write(built, files)
    update_index(Layout(built.root), [p for p in files if "/ledger/entries/" in p])


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


def edit_docs(built: Built) -> None:
    with (built.root / "README.md").open("a", encoding="utf-8") as fh:
        fh.write("\nA line a reviewer asked for.\n")


EDITS = [add_order, add_order_index_rewritten, tamper_report, tamper_export, drop_note, drop_entry,
         edit_docs]  # fmt: skip


def _pull_request(built: Built, edit: Edit) -> list[str]:
    git(built.root, "checkout", "-q", "-b", "change")
    edit(built)
    git(built.root, "add", "-A")
    git(built.root, "commit", "-qm", "The change under review")
    head = git(built.root, "rev-parse", "HEAD").strip()
    return _git.changed_files(built.root, built.head, head)


def _ci_pr(built: Built, tmp_path: Path) -> tuple[int, str, str]:
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
    return proc.returncode, proc.stdout + proc.stderr, (tmp_path / "sum.md").read_text()


@pytest.mark.parametrize("edit", EDITS, ids=lambda e: e.__name__)
def test_ci_pr_says_what_a_full_run_says(generated: Built, tmp_path: Path, edit: Edit) -> None:
    built = _clone(generated, tmp_path / "checkout")
    _pull_request(built, edit)
    code, out, summary = _ci_pr(built, tmp_path)
    full = run_readiness(Layout(built.root), full=True)
    assert (code == 0) == full.green, out
    for check in full.checks:
        assert f"{check.id}" in summary
        if check.failed:
            assert check.message.splitlines()[0] in summary


def test_ci_pr_stays_green_on_a_one_order_pr_with_the_index_behind(
    generated: Built, tmp_path: Path
) -> None:
    built = _clone(generated, tmp_path / "checkout")
    changed = _pull_request(built, add_order)
    assert "exchange/ledger/index.json" not in changed
    code, out, summary = _ci_pr(built, tmp_path)
    assert code == 0, out
    assert "index behind by 1 entry" in summary
    new = next(p for p in changed if "/entries/" in p).rsplit("/", 1)[1][:-5]
    assert new in summary
