"""Factory time: working minutes on shifts mapped to calendar time, and run seeds.

Every moment the cycle writes is derived from the order (its issue time and digest), never
from the wall clock, so re-running a stage reproduces its files byte for byte.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

SHIFT_START_HOUR = 8  # UTC; a shift of the recipe's ``shift_minutes`` starts daily at 08:00
ACK_DELAY = timedelta(hours=3)  # the factory answers three hours after a directive is issued


def seed_of(order_digest: str) -> int:
    """The simulation seed: the first 63 bits of the order's sha256."""
    return int(order_digest[:16], 16) & (2**63 - 1)


def ack_time(issued_at: datetime, ack_due_by: datetime | None) -> datetime:
    """When the acknowledgement is issued: three hours after the order, or at its deadline."""
    moment = issued_at.astimezone(UTC) + ACK_DELAY
    if ack_due_by is not None:
        moment = min(moment, ack_due_by.astimezone(UTC))
    return moment


def next_shift_start(moment: datetime) -> datetime:
    """The first shift start strictly after ``moment``: production begins on the next shift."""
    moment = moment.astimezone(UTC)
    start = moment.replace(hour=SHIFT_START_HOUR, minute=0, second=0, microsecond=0)
    return start if start > moment else start + timedelta(days=1)


def on_calendar(start: datetime, minutes: float, shift_minutes: int) -> datetime:
    """The calendar moment after ``minutes`` of work from shift start ``start``.

    Work runs ``shift_minutes`` a day; finishing exactly at a shift's end stays on that day.
    Rounded up to the whole second.
    """
    whole = math.ceil(minutes * 60) / 60
    days = math.floor(whole / shift_minutes)
    rest = whole - days * shift_minutes
    if rest == 0 and days > 0:
        days, rest = days - 1, float(shift_minutes)
    return start + timedelta(days=days, seconds=round(rest * 60))
