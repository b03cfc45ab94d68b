"""The readiness gate: checks with stable IDs, the bounded run log and the halt rule.

Other workflows call two functions: ``run_readiness`` (the gate; recorded in
``logs/ops_readiness.json`` only when asked, as the shift's gates do) and
``require_not_halted`` (refuses a step while production is halted). Nothing on this path
imports pydantic: the log is plain JSON checked against its schema by the compiled validator.
"""

from toyfoundry_ci.readiness.checks import Check, Status
from toyfoundry_ci.readiness.gate import ReadinessResult, run_readiness
from toyfoundry_ci.readiness.halt import HaltState, halt_state, require_not_halted

__all__ = [
    "Check",
    "HaltState",
    "ReadinessResult",
    "Status",
    "halt_state",
    "require_not_halted",
    "run_readiness",
]
