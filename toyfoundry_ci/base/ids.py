"""Identifier patterns and the path-safety rule for anything that becomes a file name."""

from __future__ import annotations

import re
from pathlib import Path

from toyfoundry_ci.base.errors import UnsafeIdError

# ASCII only: look-alike letters from other scripts never pass.
ORDER_ID = r"^ALFA-[0-9]{4}-[0-9]{4,6}$"
ACK_ID = r"^ACK-ALFA-[0-9]{4}-[0-9]{4,6}$"
REPORT_ID = r"^RPT-ALFA-[0-9]{4}-[0-9]{4,6}$"
SKU = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+){1,4}$"
SLUG = r"^[a-z0-9][a-z0-9-]{0,62}$"
GENERIC_ID = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$"

_ORDER_ID_RE = re.compile(ORDER_ID)
_GENERIC_ID_RE = re.compile(GENERIC_ID)


def is_order_id(value: object) -> bool:
    return isinstance(value, str) and _ORDER_ID_RE.fullmatch(value) is not None


def check_order_id(value: object) -> str:
    """Return ``value`` when it is a well-formed order ID, else raise UnsafeIdError."""
    if not is_order_id(value):
        raise UnsafeIdError(
            f"{value!r} is not an order ID",
            hint="order IDs look like ALFA-2026-0001 (ASCII letters, digits, dashes)",
        )
    return str(value)


def safe_child(root: Path, name: str, suffix: str = "") -> Path:
    """Return ``root / (name + suffix)``, refusing any name that could leave ``root``.

    Only a single path component of ASCII letters, digits, dot, dash and underscore passes,
    never ``.`` or ``..`` or a leading dot, so the result always lies directly below root.
    """
    if (
        not isinstance(name, str)
        or _GENERIC_ID_RE.fullmatch(name) is None
        or name.startswith(".")
        or ".." in name
    ):
        raise UnsafeIdError(
            f"{name!r} is not safe as a file name",
            hint="identifiers may hold ASCII letters, digits, '.', '-' and '_' only",
        )
    return root / f"{name}{suffix}"
