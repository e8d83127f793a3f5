"""Pairs that surely compare to nothing, told from their values alone.

Under strict first names, two buyers sharing no e-mail or phone whose first names conflict are
recorded only when they may be one household: at the same house. Most candidate pairs met when
a common surname's weight moves are such neighbours (the same surname in the same postal code,
other first names, other houses), and settling them here, before any weight is looked up,
costs a fraction of comparing them in full (``scoring.compare``, which gives the same answer).
"""

from __future__ import annotations

from custsync.pipeline.addresses import PostalAddress
from custsync.pipeline.names import alike, similar, surely_conflict
from custsync.pipeline.profiles import BuyerProfile


def surely_unrelated(a: BuyerProfile, b: BuyerProfile) -> bool:
    """Whether ``a`` and ``b``, sharing no e-mail or phone and compared with strict first
    names, surely compare to nothing: their first names conflict whichever of the names are
    compared, and no two of their addresses can be one house."""
    if not a.names or not b.names:
        return False
    if not all(surely_conflict(x, y) for x in a.names for y in b.names):
        return False
    return not any(_may_be_one_house(x, y) for x in a.addresses for y in b.addresses)


def _may_be_one_house(x: PostalAddress, y: PostalAddress) -> bool:
    """Whether ``places.compare_places`` may find ``x`` and ``y`` to be one house: the same
    house number, streets a typo apart, and the same area (or one unknown). Agreeing on a
    value always weighs more than nothing, so the weights need not be looked up."""
    if (x.country and y.country and x.country != y.country) or not x.house_number:
        return False
    streets = ((x.street, y.street), (x.street, y.extra), (x.extra, y.street))
    if x.house_number != y.house_number or not any(p and q and alike(p, q) for p, q in streets):
        return False
    if not (x.postal_code or x.city) or not (y.postal_code or y.city):
        return True
    if x.postal_code and y.postal_code and similar(x.postal_code, y.postal_code, edits=1):
        return True
    return bool(x.city and y.city and alike(x.city, y.city))
