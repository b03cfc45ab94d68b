"""`ci pr` and `ci gate` on a generated factory say what full runs say of the same tree
(readiness, and `ledger verify --base` over the whole ledger), in a fresh checkout and with
the base's readiness units restored from the default branch's run; the index a pull request
leaves as it was only lags its entries."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from benchmarks.factory import Built, build, new_order
from tests.conftest import git, run_cli
from tests.github_server import GitHubServer
from toyfoundry_ci.actions import _git
from toyfoundry_ci.base.cachedir import cache_root
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.records import write_record
from toyfoundry_ci.ledger.index import update_index
from toyfoundry_ci.ledger.scope import change_scope
from toyfoundry_ci.ledger.verify import verify
from toyfoundry_ci.readiness import ReadinessResult, run_readiness

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


def tamper_order(built: Built) -> None:
    """A directive edited after its ack cited it: pairing and the entry's digest break."""
    order = built.root / f"exchange/orders/{built.orders[2]}.json"
    order.write_bytes(order.read_bytes().replace(b'"qty": ', b'"qty": 1', 1))


def second_ack(built: Built) -> None:
    """An ack under a name that carries no order ID, for an order that has one."""
    ack = built.root / f"exchange/acknowledgements/ACK-{built.orders[4]}.json"
    (built.root / "exchange/acknowledgements/ACK-copy.json").write_bytes(ack.read_bytes())


def seal_entry(built: Built) -> None:
    """A pending entry sealed in the change itself: the gate refuses it."""
    for entry in sorted((built.root / "exchange/ledger/entries").glob("*.json")):
        value = json.loads(entry.read_text())
        if value["signoff"]["state"] == "pending":
            value["signoff"] = {"state": "sealed", "method": "local", "reviewer": "someone"}
            entry.write_text(json.dumps(value))
            return


def push_record(built: Built) -> None:
    """A push record naming an order whose entry is pending: nothing leaves unsealed."""
    pending = next(
        entry.stem
        for entry in sorted((built.root / "exchange/ledger/entries").glob("*.json"))
        if json.loads(entry.read_text())["signoff"]["state"] == "pending"
    )
    run = {"direction": "push", "result": "ok", "orders": [{"order_id": pending}]}
    write_record(Layout(built.root).exchange_log, {"runs": [run]})


EDITS = [add_order, add_order_index_rewritten, tamper_report, tamper_export, drop_note, drop_entry,
         edit_docs, tamper_order, second_ack, seal_entry, push_record]  # fmt: skip
STORES = ["fresh checkout", "base's store"]


def _pull_request(built: Built, edit: Edit, store: Path | None = None) -> list[str]:
    """Commit ``edit`` on a branch; with ``store``, first save the base's readiness units
    there as the default branch's run does, then forget every cache as a fresh job would."""
    if store is not None:
        proc = run_cli("ci", "base-store", "--out", str(store), cwd=built.root)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    shutil.rmtree(cache_root(built.root), ignore_errors=True)
    git(built.root, "checkout", "-q", "-b", "change")
    edit(built)
    git(built.root, "add", "-A")
    git(built.root, "commit", "-qm", "The change under review")
    head = git(built.root, "rev-parse", "HEAD").strip()
    return _git.changed_files(built.root, built.head, head)


def _ci_pr(
    built: Built, tmp_path: Path, command: str = "pr", store: Path | None = None
) -> tuple[int, str, str]:
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
        restore = ["--base-store", str(store / "readiness.sqlite")] if store else []
        proc = run_cli("ci", command, *restore, cwd=built.root, env=env)
    return proc.returncode, proc.stdout + proc.stderr, (tmp_path / "sum.md").read_text()


def _run_on_change(
    generated: Built, tmp_path: Path, edit: Edit, store: str, command: str
) -> tuple[Layout, int, str, str]:
    """``ci COMMAND`` on a PR making ``edit``, with the base's store restored when asked."""
    saved = tmp_path / "base-store" if store == "base's store" else None
    built = _clone(generated, tmp_path / "checkout")
    _pull_request(built, edit, saved)
    return Layout(built.root), *_ci_pr(built, tmp_path, command, saved)


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("edit", EDITS, ids=lambda e: e.__name__)
def test_ci_pr_says_what_a_full_run_says(
    generated: Built, tmp_path: Path, edit: Edit, store: str
) -> None:
    layout, code, out, summary = _run_on_change(generated, tmp_path, edit, store, "pr")
    full = run_readiness(layout, full=True)
    assert (code == 0) == full.green, out
    _says_readiness(summary, full)
    started = "started from the base's units" if store == "base's store" else "every unit"
    assert started in summary


@pytest.mark.parametrize("store", STORES)
@pytest.mark.parametrize("edit", EDITS, ids=lambda e: e.__name__)
def test_ci_gate_says_what_full_runs_say(
    generated: Built, tmp_path: Path, edit: Edit, store: str
) -> None:
    """The gate reads what the change touched; full runs read every file, and agree."""
    layout, code, out, summary = _run_on_change(generated, tmp_path, edit, store, "gate")
    problems = verify(layout, base=generated.head, policy_at=generated.head)
    readiness = run_readiness(layout, full=True)
    assert (code == 0) == (not problems and readiness.green), out
    for problem in problems:
        assert problem.file in summary, out
    _says_readiness(summary, readiness)


def _says_readiness(summary: str, full: ReadinessResult) -> None:
    """Every check is in the summary, and each failed one with the full run's message."""
    for check in full.checks:
        assert f"`{check.id}`" in summary
        if check.failed:
            assert check.message.splitlines()[0] in summary


@pytest.mark.parametrize("edit", EDITS, ids=lambda e: e.__name__)
def test_ledger_verify_scoped_to_the_change_finds_what_the_whole_ledger_shows(
    generated: Built, tmp_path: Path, edit: Edit
) -> None:
    built = _clone(generated, tmp_path / "checkout")
    _pull_request(built, edit)
    layout = Layout(built.root)
    scope = change_scope(layout, built.head)
    assert verify(layout, base=built.head, scope=scope) == verify(layout, base=built.head)


@pytest.mark.parametrize("made", ["in another checkout", "not a store"])
def test_a_store_that_is_not_this_checkouts_is_not_used(
    generated: Built, tmp_path: Path, made: str
) -> None:
    """The store is keyed by the checkout's path: one from elsewhere is refused, as is a file
    that is no store at all, and every unit is checked as in a fresh checkout."""
    saved = tmp_path / "base-store"
    if made == "not a store":
        saved.mkdir()
        (saved / "readiness.sqlite").write_bytes(b"not a database\n" * 100)
    else:
        elsewhere = _clone(generated, tmp_path / "elsewhere")
        proc = run_cli("ci", "base-store", "--out", str(saved), cwd=elsewhere.root)
        assert proc.returncode == 0, proc.stdout + proc.stderr
    built = _clone(generated, tmp_path / "checkout")
    _pull_request(built, tamper_report)
    code, out, summary = _ci_pr(built, tmp_path, "gate", saved)
    assert code == 1, out
    assert "every unit was checked" in summary
    assert "**FAIL** `ledger-evidence`" in summary


@pytest.mark.parametrize("command", ["pr", "gate"])
def test_a_store_computed_off_the_bases_history_is_not_used(
    generated: Built, tmp_path: Path, command: str
) -> None:
    """A run of a commit the base does not descend from (a pushed tag named like the default
    branch runs its own commit's workflow) can upload units under the artifact's name: they
    are not used, and every unit is checked."""
    built = _clone(generated, tmp_path / "checkout")
    git(built.root, "checkout", "-q", "-b", "elsewhere")
    add_order(built)
    git(built.root, "add", "-A")
    git(built.root, "commit", "-qm", "A commit no push to the default branch made")
    saved = tmp_path / "base-store"
    proc = run_cli("ci", "base-store", "--out", str(saved), cwd=built.root)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    git(built.root, "checkout", "-q", "main")
    _pull_request(built, tamper_report)
    code, out, summary = _ci_pr(built, tmp_path, command, saved)
    assert code == 1, out
    assert "every unit was checked" in summary
    assert "**FAIL** `ledger-evidence`" in summary


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
    pairing = summary.split("### Pairing", 1)[1].split("###", 1)[0]
    assert f"1 order this pull request touches, of {ORDERS + 7} orders here" in pairing
    assert new in pairing
    assert built.orders[0] not in pairing  # only the orders the change touches


def test_the_base_store_carries_the_index_basis_so_the_pr_splices(
    generated: Built, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With the base's units comes the fresh rebuild the base's index check compared (the
    file its sealed row names): the PR's index check splices the change into it instead of
    reading every entry, and says what a full run says."""
    from toyfoundry_ci.actions.base_store import restore_base_store
    from toyfoundry_ci.ledger import lag
    from toyfoundry_ci.readiness.incremental import unit_checks
    from toyfoundry_ci.readiness.indexbasis import EXPECTED_FILE

    built = _clone(generated, tmp_path / "checkout")
    saved = tmp_path / "base-store"
    _pull_request(built, add_order, saved)
    assert (saved / EXPECTED_FILE).is_file()
    layout = Layout(built.root)
    assert restore_base_store(layout, saved / "readiness.sqlite", built.head)
    full = {c.id: c for c in run_readiness(layout, full=True).checks}
    shutil.rmtree(cache_root(built.root))
    assert restore_base_store(layout, saved / "readiness.sqlite", built.head)

    def no_rebuild(*_args: object) -> None:
        raise AssertionError("every row was rebuilt")

    monkeypatch.setattr(lag, "index_rows", no_rebuild)
    [index] = [c for c in unit_checks(layout) if c.id == "ledger-index"]
    assert index == full["ledger-index"]
    assert index.message.startswith("index behind by 1 entry"), index
