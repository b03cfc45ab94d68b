"""The workflows this layer composes (readiness, ledger index and pairing), looked up by name.

They are separate parts of the package; a part that is not installed is reported as such in
the summary ("not available") instead of failing the whole PR report.
"""

from __future__ import annotations

import importlib
from types import ModuleType


def peer(module: str) -> ModuleType | None:
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name and module.startswith(exc.name):
            return None
        raise
