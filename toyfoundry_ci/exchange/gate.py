"""The readiness gate as the exchange sees it.

Pull and push refuse to run while production is halted; push also needs a green run, and
the refusal names the checks that failed so the operator knows what to fix.
"""

from __future__ import annotations

from toyfoundry_ci.base.errors import RefusedError
from toyfoundry_ci.base.layout import Layout
from toyfoundry_ci.readiness import require_not_halted, run_readiness


def require_ready(layout: Layout, action: str, *, green: bool) -> None:
    """Refuse ``action`` when halted, or (``green``) when readiness is not green."""
    require_not_halted(layout, action)
    if not green:
        return
    result = run_readiness(layout)
    if not result.green:
        failing = ", ".join(c.id for c in result.failed)
        raise RefusedError(
            f"readiness is red ({failing}); refusing to {action}",
            hint="run `toyfoundry readiness` and fix what it names, then try again",
        )
