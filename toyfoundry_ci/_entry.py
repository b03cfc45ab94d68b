"""The console-script entry point.

Commit hooks call ``toyfoundry validate FILE...`` and ``toyfoundry ledger index ENTRY...`` with
filenames only, many times a day; those calls go straight to their work, without importing
the CLI framework (a quarter of such a run). Every other call, including any option, goes
through the ``toyfoundry`` CLI. Both run inside the one error boundary (``_boundary.run``).
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
