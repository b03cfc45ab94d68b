"""The readiness gate as the exchange sees it, when the readiness workflow is installed.

Pull and push refuse to run while operations are halted; push also needs a green verdict.
"""

from __future__ import annotations

import importlib
from typing import Any

from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.layout import Layout


def _readiness() -> Any | None:
    try:
        return importlib.import_module("toyfoundry_ci.readiness")
    except ModuleNotFoundError:
        return None


def require_ready(layout: Layout, action: str, *, green: bool) -> None:
    """Refuse ``action`` when halted, or (``green``) when readiness is not green."""
    readiness = _readiness()
    if readiness is None:
        return
    halted = getattr(readiness, "require_not_halted", None)
    if halted is not None:
        halted(layout, action)
    run = getattr(readiness, "run_readiness", None)
    if not green or run is None:
        return
    verdict = _verdict(run(layout))
    if verdict != "green":
        raise RefusedError(
            f"readiness is {verdict}; refusing to {action}",
            hint="run `toyfoundry readiness` and fix what it names, then try again",
        )


def _verdict(result: Any) -> str:
    for source in (result, getattr(result, "run", None)):
        verdict = getattr(source, "verdict", None)
        if isinstance(verdict, str):
            return verdict
    if isinstance(result, dict) and isinstance(result.get("verdict"), str):
        return str(result["verdict"])
    return "green" if result is True else "red" if result is False else "unknown"
