"""Runbook v1: ``python tools/factory_order_emitter.py --validate [PATHS]``.

Kept verbatim for operators who learned the runbook; the work is done by ``toyfoundry``.
"""

from __future__ import annotations

import sys

from toyfoundry_ci.cli import main


def run(argv: list[str]) -> None:
    if argv[:1] == ["--validate"]:
        main(["validate", *argv[1:]])
    main(["emit", *argv])


if __name__ == "__main__":
    run(sys.argv[1:])
