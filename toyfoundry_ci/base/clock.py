"""The one clock. ``SOURCE_DATE_EPOCH`` pins it, for reproducible runs and tests."""

from __future__ import annotations

import os
from datetime import UTC, datetime


def now() -> datetime:
    """The current time, timezone-aware, UTC, whole seconds."""
    pinned = os.environ.get("SOURCE_DATE_EPOCH")
    if pinned:
        return datetime.fromtimestamp(int(pinned), tz=UTC)
    return datetime.now(tz=UTC).replace(microsecond=0)


def stamp(moment: datetime | None = None) -> str:
    """RFC 3339 text of ``moment`` (default: now) with a ``Z`` suffix."""
    return (moment or now()).astimezone(UTC).isoformat().replace("+00:00", "Z")
