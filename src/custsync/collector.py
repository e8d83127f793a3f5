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
    refresh at 1M orders). Memory is unaffected: reference counting still frees them.

    When it resumes, every object the work made is still in the youngest generation, which
    the next collection scans whole: 90,000-105,000 objects (profiles, facts, the memo
    caches' entries) and 50-120 ms after a sync of 1,000 orders into a million, 1.2M objects
    and 1.05 s after a full rebuild of 100,000 orders. So they move to the oldest generation
    first, unscanned (``gc.freeze`` then ``gc.unfreeze``): the full collections, which come as
    rarely as that generation's growth allows, find what cycles there are among them."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            promote_all()
            gc.enable()


def promote_all() -> None:
    """Move every object the collector tracks into its oldest generation, unscanned."""
    gc.freeze()
    gc.unfreeze()
