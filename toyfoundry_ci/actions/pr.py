"""``toyfoundry ci pr``: the pull_request entry point, read-only.

Readiness, validation of the artifacts the PR changes, the pairing table and the ledger diff
go to the step summary; problems become annotations. This job installs and runs the PR's code,
so it has a read-only token and writes nothing on GitHub: it hands the report to
``ci pr-publish`` (a job that runs no PR code; ``actions/publish.py``) through a folder the
workflow uploads as an artifact. A fork or Dependabot PR, whose token cannot write, gets the
report in the step summary, and a green job when its content is fine.

Nothing is committed to the PR branch: ``exchange/ledger/index.json`` is written only by the
serialised writers (``toyfoundry ledger index`` on the default branch, the intake PR), so it
may lag on a PR, and the report says what readiness says of it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toyfoundry_ci.actions import _git
from toyfoundry_ci.actions.base_store import base_store_md, restore_base_store
from toyfoundry_ci.actions.report import readiness_md
from toyfoundry_ci.actions.runner import PullRequestInfo, RunnerContext
from toyfoundry_ci.base.ids import is_order_id
from toyfoundry_ci.base.kinds import kind_for_path
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import read_artifact
from toyfoundry_ci.base.markdown import SUMMARY_LIMIT, cell, checked_id, code, fit_bytes, table
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.ledger.digest_cache import DigestCache
from toyfoundry_ci.ledger.pairing import pair
from toyfoundry_ci.ledger.render import PAIRING_RENDERERS
from toyfoundry_ci.ledger.scope import Scope
from toyfoundry_ci.readiness import ReadinessResult, run_readiness
from toyfoundry_ci.readiness.trace import INDEX as INDEX_CHECK
from toyfoundry_ci.validation.checker import FileResult, check_files
from toyfoundry_ci.validation.reporting import report_github

ENTRIES = "exchange/ledger/entries/"
# What ``ci pr`` hands to ``ci pr-publish``, in the folder the workflow uploads.
HANDOFF_REPORT = "report.md"


@dataclass
class PrOutcome:
    ok: bool
    summary: str
    annotations: str
    index: str  # the readiness check of the index: pass, fail or not-applicable
    report: str = ""  # the comment's body
    notes: list[str] = field(default_factory=list)


def run_pr(ctx: RunnerContext, root: Path, base_store: Path | None = None) -> PrOutcome:
    """Report on the PR of ``ctx`` from the checkout at ``root`` (its head commit).

    Run from ``root``: annotations name files relative to it, as GitHub expects.
    ``base_store``: the base's readiness units from the default branch's run
    (``actions.base_store``); without one, readiness checks every unit.
    """
    pr = ctx.pull_request()
    layout = Layout(root)
    changed = _git.changed_files(root, pr.base_sha, pr.head_sha)
    artifacts = [p for p in changed if kind_for_path(p) and (root / p).is_file()]
    results = check_files(str(root / p) for p in artifacts)
    for result in results:
        result.path = layout.rel(Path(result.path))
    restored = restore_base_store(layout, base_store, pr.base_sha)
    readiness = run_readiness(layout, record=False, checkout=True)
    index, index_md = _index_md(readiness)
    sections = [
        f"## toyfoundry: pull request #{pr.number}",
        readiness_md(readiness) + "\n\n" + base_store_md(restored),
        _validation_md(results),
        _pairing_md(layout, changed),
        _ledger_diff_md(root, pr, changed),
        index_md,
    ]
    report = "\n\n".join(s for s in sections if s) + "\n"
    ok = readiness.green and all(r.ok for r in results)
    return PrOutcome(ok, report, report_github(results), index, report)


def write_handoff(outcome: PrOutcome, folder: Path) -> None:
    """Leave the report for ``ci pr-publish``."""
    folder.mkdir(parents=True, exist_ok=True)
    # The summary's bound, which ``ci pr-publish`` holds the report to; the comment is cut later.
    report = fit_bytes(outcome.report, SUMMARY_LIMIT, "the pr job's log has the rest")
    (folder / HANDOFF_REPORT).write_text(report, encoding="utf-8")


def _index_md(readiness: ReadinessResult) -> tuple[str, str]:
    """The index as readiness reports it; nothing is committed to the branch for it."""
    check = next((c for c in readiness.checks if c.id == INDEX_CHECK), None)
    if check is None or check.status == "not-applicable":
        return "not-applicable", ""
    fix = f" (fix: {code(check.fix)})" if check.failed and check.fix else ""
    said = (
        f"### Ledger index\n\n{code(check.message)}{fix}\n\nNothing is committed to this"
        " branch for it: the index is rewritten on the default branch (`toyfoundry ledger"
        " index`) and by the intake PR."
    )
    return check.status, said


def _validation_md(results: list[FileResult]) -> str:
    if not results:
        return "### Changed artifacts\n\nthis pull request changes no artifacts"
    rows = []
    for r in results:
        verdict = (
            "valid" if r.ok else cell("; ".join(f"{p.where}: {p.message}" for p in r.problems))
        )
        rows.append([cell(r.path), r.kind or "?", verdict])
    return "### Changed artifacts\n\n" + table(["file", "kind", "result"], rows)


def _pairing_md(layout: Layout, changed: list[str]) -> str:
    """The pairing of the orders the PR touches, and how many the factory holds."""
    scope = Scope(frozenset(changed))
    folders = [layout.rel(f) for f in (layout.orders, layout.acknowledgements, layout.reports)]
    with DigestCache(layout) as cache:
        total = len(cache.json_names(folders[0]))
        if not scope.orders:
            return (
                f"### Pairing\n\nthis pull request touches no order ({plural(total, 'order')} here)"
            )
        names = {folder: scope.names(layout, folder) for folder in folders}
        report = pair(layout, cache=cache, names=names)
        cache.save()
    said = (
        f"{plural(len(scope.orders), 'order')} this pull request touches, of"
        f" {plural(total, 'order')} here (`toyfoundry pair` pairs them all)"
    )
    return f"### Pairing\n\n{said}\n\n" + PAIRING_RENDERERS["markdown"](report)


def _ledger_diff_md(root: Path, pr: PullRequestInfo, changed: list[str]) -> str:
    entries = [p for p in changed if p.startswith(ENTRIES) and p.endswith(".json")]
    if not entries:
        return "### Ledger\n\nno ledger entries added or changed"
    rows = []
    for path in entries:
        change = "changed" if _git.exists_at(root, pr.base_sha, path) else "added"
        value = read_artifact(root / path) if (root / path).is_file() else None
        state = _signoff_state(value) if value is not None else "removed"
        rows.append([checked_id(Path(path).stem, is_order_id), change, state])
    return "### Ledger\n\n" + table(["order", "change", "sign-off"], rows)


def _signoff_state(value: Any) -> str:
    if isinstance(value, dict) and isinstance(value.get("signoff"), dict):
        return cell(str(value["signoff"].get("state", "?")))
    return "unreadable"
