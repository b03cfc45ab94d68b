"""``toyfoundry ci pr``: the pull_request entry point, read-only.

Readiness, validation of the artifacts the PR changes, the pairing table and the ledger diff
go to the step summary; problems become annotations. This job installs and runs the PR's code,
so it has a read-only token and writes nothing on GitHub: it hands the report and, when
``exchange/ledger/index.json`` is stale, the rebuilt index to ``ci pr-publish`` (a job that runs
no PR code; ``actions/publish.py``) through a folder the workflow uploads as an artifact. A
fork or Dependabot PR, whose token cannot write, gets the report and the index suggestion in
the step summary, and a green job when its content is fine.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from toyfoundry_ci.actions import _git
from toyfoundry_ci.actions.pr_scope import scoped_readiness
from toyfoundry_ci.actions.report import readiness_md
from toyfoundry_ci.actions.runner import PullRequestInfo, RunnerContext
from toyfoundry_ci.base.ids import is_order_id
from toyfoundry_ci.base.kinds import kind_for_path
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.base.loader import read_artifact
from toyfoundry_ci.base.markdown import SUMMARY_LIMIT, cell, checked_id, fenced, fit_bytes, table
from toyfoundry_ci.base.plural import plural
from toyfoundry_ci.ledger.digest_cache import DigestCache
from toyfoundry_ci.ledger.pairing import pair
from toyfoundry_ci.ledger.render import PAIRING_RENDERERS
from toyfoundry_ci.validation.checker import FileResult, check_files
from toyfoundry_ci.validation.reporting import report_github

INDEX_PATH = "exchange/ledger/index.json"
ENTRIES = "exchange/ledger/entries/"
BOT_MESSAGE = "Rebuild the ledger index for the entries of this pull request"
SUGGESTION_LIMIT = 40_000  # bytes of index pasted at most; a comment holds 65,536 characters

IndexState = Literal[
    "current", "stale", "committed", "already-committed", "suggested", "branch-moved", "no-ledger"
]
# What ``ci pr`` hands to ``ci pr-publish``, in the folder the workflow uploads.
HANDOFF_REPORT = "report.md"
HANDOFF_INDEX = "index.json"


@dataclass
class PrOutcome:
    ok: bool
    summary: str
    annotations: str
    index: IndexState
    report: str = ""  # the summary without its index section: the comment's body
    fresh: bytes | None = None  # the rebuilt index, when the PR's is stale
    notes: list[str] = field(default_factory=list)


def run_pr(ctx: RunnerContext, root: Path) -> PrOutcome:
    """Report on the PR of ``ctx`` from the checkout at ``root`` (its head commit).

    Run from ``root``: annotations name files relative to it, as GitHub expects.
    """
    pr = ctx.pull_request()
    layout = Layout(root)
    changed = _git.changed_files(root, pr.base_sha, pr.head_sha)
    artifacts = [p for p in changed if kind_for_path(p) and (root / p).is_file()]
    results = check_files(str(root / p) for p in artifacts)
    for result in results:
        result.path = layout.rel(Path(result.path))
    with scoped_readiness(layout, pr.base_sha) as scoped:
        readiness = scoped.result
        fresh = scoped.fresh
        index, index_md = _index_state(layout, pr, fresh)
        sections = [
            f"## toyfoundry: pull request #{pr.number}",
            readiness_md(readiness),
            _validation_md(results),
            _pairing_md(scoped.view or layout, scoped.orders),
            _ledger_diff_md(root, pr, changed),
        ]
    readiness_ok = readiness.green
    report = "\n\n".join(s for s in sections if s) + "\n"
    summary = report + (f"\n{index_md}\n" if index_md else "")
    ok = readiness_ok and all(r.ok for r in results)
    stale = fresh if index == "stale" else None
    return PrOutcome(ok, summary, report_github(results), index, report, stale)


def write_handoff(outcome: PrOutcome, folder: Path) -> None:
    """Leave the report and the rebuilt index (if any) for ``ci pr-publish``."""
    folder.mkdir(parents=True, exist_ok=True)
    # The summary's bound, which ``ci pr-publish`` holds the report to; the comment is cut later.
    report = fit_bytes(outcome.report, SUMMARY_LIMIT, "the pr job's log has the rest")
    (folder / HANDOFF_REPORT).write_text(report, encoding="utf-8")
    index = folder / HANDOFF_INDEX
    if outcome.fresh is not None:
        index.write_bytes(outcome.fresh)
    else:
        index.unlink(missing_ok=True)


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


def _pairing_md(layout: Layout, orders: tuple[str, ...] | None) -> str:
    """The pairing table: of every order, or of the ``orders`` a scoped check looked at."""
    if orders is not None and not orders:
        return "### Pairing\n\nthis pull request touches no order"
    if orders is None:
        return "### Pairing\n\n" + PAIRING_RENDERERS["markdown"](pair(layout))
    with DigestCache(layout, cold=True, jobs=1) as cache:  # a scratch view: nothing to keep
        paired = pair(layout, cache=cache)
    paired.orders = [o for o in paired.orders if o.order_id in orders]
    scope = f"The {plural(len(orders), 'order')} this pull request touches.\n\n"
    return "### Pairing\n\n" + scope + PAIRING_RENDERERS["markdown"](paired)


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


def _index_state(
    layout: Layout, pr: PullRequestInfo, fresh: bytes | None
) -> tuple[IndexState, str]:
    if fresh is None:
        return "no-ledger", ""
    current = layout.ledger_index.read_bytes() if layout.ledger_index.is_file() else None
    if current == fresh:
        return "current", f"### Ledger index\n\n`{INDEX_PATH}` is current"
    if pr.same_repo:
        said = (
            "The publish job commits the rebuilt index to the PR branch; where it cannot (a"
            " Dependabot PR's token is read-only),"
        )
        return "stale", suggestion(fresh, said)
    fork = "This PR comes from a fork, so it cannot be updated for you:"
    return "suggested", suggestion(fresh, fork)


def suggestion(fresh: bytes, said: str) -> str:
    """The index section for a stale index nobody commits here: how to fix it, and the file.

    ``said`` leads into "run `toyfoundry ledger index`": why the index is not committed for the
    reader. An index too large to paste is named by its size only.
    """
    lead = (
        f"### Ledger index\n\n`{INDEX_PATH}` is stale. {said}"
        " run `toyfoundry ledger index` and commit the result"
    )
    if len(fresh) > SUGGESTION_LIMIT:  # too large to paste
        return f"{lead} ({len(fresh):,} bytes)."
    return (
        f"{lead}, or replace the file with:\n\n<details><summary>{INDEX_PATH}</summary>\n\n"
        f"{fenced(fresh.decode(), 'json')}\n</details>"
    )
