"""The console-script entry point.

Commit hooks call ``toyfoundry validate FILE...`` and ``toyfoundry ledger index ENTRY...`` with
filenames only, and ``hooks pre-commit``, ``readiness --staged --no-log`` and ``ledger index
--default-branch-only`` exactly as the hooks write them, many times a day; those calls go
straight to their work, without the CLI's parsing and command modules (the framework alone
is a quarter of a validate run). Every other call, including any other option, goes through
the ``toyfoundry`` CLI. Both run inside the one
error boundary (``_boundary.run``).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import NoReturn


def main(argv: list[str] | None = None) -> None:
    from toyfoundry_ci.base.workflow_commands import guard_streams

    guard_streams()  # inside a job, no untrusted line printed can be a workflow command
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["validate"] and len(args) > 1 and not any(a.startswith("-") for a in args):
        _fast(lambda: _validate_files(tuple(args[1:])), args)
    if (
        args[:2] == ["ledger", "index"]
        and len(args) > 2
        and not any(a.startswith("-") for a in args)
    ):
        _fast(lambda: _index_entries(tuple(args[2:])), args)
    hook = HOOK_CALLS.get(tuple(args))
    if hook is not None:
        _fast(hook, args)
    from toyfoundry_ci.cli import main as cli_main

    cli_main(args)


def _fast(work: Callable[[], int], args: list[str]) -> NoReturn:
    from toyfoundry_ci._boundary import run

    sys.exit(run(work, args))


def _validate_files(paths: tuple[str, ...]) -> int:
    from toyfoundry_ci.validation.run import run_validate

    report, code = run_validate(paths)
    print(report)  # noqa: T201 - the report is the command's output
    return code


def _index_entries(paths: tuple[str, ...]) -> int:
    from pathlib import Path

    from toyfoundry_ci.base.layout import Layout, find_factory
    from toyfoundry_ci.foundry.ledger import index_entries
    from toyfoundry_ci.ledger.index import index_outcome

    layout = Layout(find_factory())
    changed = index_entries(layout, [Path.cwd().resolve() / p for p in paths])
    print(index_outcome(layout, changed))  # noqa: T201 - the command's output
    return 0


def _staged_readiness() -> int:
    """``readiness --staged --no-log``, as ``cli.readiness`` runs it."""
    from toyfoundry_ci.base.layout import Layout, find_factory
    from toyfoundry_ci.readiness.gate import run_readiness
    from toyfoundry_ci.readiness.reporting import REPORTERS

    result = run_readiness(Layout(find_factory()), staged=True)
    print(REPORTERS["text"](result))  # noqa: T201 - the report is the command's output
    return 0 if result.green else 1


def _index_on_default_branch() -> int:
    """``ledger index --default-branch-only``, as ``cli.ledger`` runs it."""
    from toyfoundry_ci.base.layout import Layout, find_factory
    from toyfoundry_ci.foundry.ledger import catch_up_entries, off_default_branch
    from toyfoundry_ci.ledger.index import index_outcome

    layout = Layout(find_factory())
    said = off_default_branch(layout)  # the splice of what changed, as the CLI does it
    print(said or index_outcome(layout, catch_up_entries(layout)))  # noqa: T201 - its output
    return 0


def _commit_check() -> int:
    """``hooks pre-commit``, as ``cli.hooks`` runs it."""
    from toyfoundry_ci.base.layout import Layout, find_factory
    from toyfoundry_ci.readiness.hooks import commit_check

    report, code = commit_check(Layout(find_factory()))
    print(report)  # noqa: T201 - the report is the command's output
    return code


# The hooks' own calls, exactly as the factory's .pre-commit-config.yaml writes them.
HOOK_CALLS: dict[tuple[str, ...], Callable[[], int]] = {
    ("hooks", "pre-commit"): _commit_check,
    ("readiness", "--staged", "--no-log"): _staged_readiness,
    ("ledger", "index", "--default-branch-only"): _index_on_default_branch,
}
