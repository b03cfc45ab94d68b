"""Runbook v1: ``python tools/exchange_all.py pull|push [OPTIONS]``.

Kept for operators who learned the runbook; the work is done by ``toyfoundry pull|push``.
"""

from __future__ import annotations

import sys

from toyfoundry_ci.cli import main

USAGE = "usage: python tools/exchange_all.py pull|push [--hub URL] [--dry-run]"


def run(argv: list[str]) -> None:
    if argv[:1] not in (["pull"], ["push"]):
        print(USAGE, file=sys.stderr)
        raise SystemExit(2)
    main(argv)


if __name__ == "__main__":
    run(sys.argv[1:])
