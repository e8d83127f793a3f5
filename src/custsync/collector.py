"""Pausing Python's cycle collector around bulk work on many small objects."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause the cycle collector while many objects that hold no reference cycles are made
    in one go (a world's truth, buyer profiles and links, every customer's metrics): it would
    otherwise rescan all of them, again and again, as they pile up (about 15 % of a
    million-order truth, 30 % of a full metrics refresh, 14 % of an incremental customer
    refresh at 1M orders). Memory is unaffected: reference counting still frees them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
