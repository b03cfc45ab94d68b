"""Runbook v1: ``python -m tools.ops_readiness [--format text|json|github] [--staged] [--record]``.

Kept for operators who learned the runbook; the work is done by ``toyfoundry readiness``.
"""

from __future__ import annotations

import sys

from toyfoundry_ci.cli import main

if __name__ == "__main__":
    main(["readiness", *sys.argv[1:]])
