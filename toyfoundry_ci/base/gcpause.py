"""Pausing the cyclic garbage collector during bulk work.

Reading a 100,000-file ledger allocates millions of small containers that all stay alive;
each allocation burst triggers a collection that walks every one of them, which made the
collector the largest single cost of a large run. Nothing built in these phases forms
reference cycles that need collecting, so the collector is paused and then resumed.
"""

from __future__ import annotations

import contextlib
import gc
from collections.abc import Iterator


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Run the block with the cyclic collector off; nested uses leave it to the outermost."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
