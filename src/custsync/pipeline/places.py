"""Comparing two postal addresses: where they place two buyers, and what agreeing says.

Postal code, street and city agree for what the value is worth (``states.value_bits``: a
rare street says more than Main Street); a house number, unit or state only when equal.
``compare_places`` is the cheap part (does anything place the pair together?),
``compare_addresses`` the weight and note of one pair of addresses, ``best_address`` the
best of a pair of buyers' addresses.
"""

from __future__ import annotations

from functools import lru_cache
from typing import NamedTuple

from custsync.pipeline.addresses import PostalAddress
from custsync.pipeline.names import alike, similar
from custsync.pipeline.profiles import BuyerProfile, street_word
from custsync.pipeline.states import KeyStates, value_bits

RARE_PLACE_BITS = 11.0  # a street and city this rare together place a noisy record
Part = tuple[float, str, bool]  # weight, note, agreement only through a typo
_CACHED_STREETS = 1 << 16
_NO_PART: Part = (0.0, "", False)


class AddressMatch(NamedTuple):
    weight: float
    note: str
    is_same_place: bool  # same postal code, or the same house
    is_same_house: bool  # same house number and street, in the same postal code or city
    is_near_place: bool  # what places records with typos: a postal code one typo away, a
    # rare street in the same city
    is_fuzzy: bool


class Placement(NamedTuple):
    """Where two addresses of one country agree: the parts that place them, and what they say."""

    postal: Part
    house: Part
    street: Part
    city: Part
    is_same_place: bool
    is_same_house: bool
    is_near_place: bool


AddressPair = tuple[PostalAddress, PostalAddress, Placement | None]  # None: other countries
_NO_ADDRESS = AddressMatch(0.0, "no address to compare", False, False, False, False)
_OTHER_COUNTRY = AddressMatch(-6.0, "different countries", False, False, False, False)


def address_pairs(a: BuyerProfile, b: BuyerProfile, states: KeyStates) -> list[AddressPair]:
    """Every address of ``a`` beside every address of ``b``, with where they place them."""
    return [(x, y, compare_places(x, y, states)) for x in a.addresses for y in b.addresses]


def any_placed(pairs: list[AddressPair]) -> bool:
    """Whether any pair of addresses places the two buyers together (or near, with typos)."""
    for _, _, placement in pairs:
        if placement is not None and (placement.is_same_place or placement.is_near_place):
            return True
    return False


def best_address(pairs: list[AddressPair], states: KeyStates) -> AddressMatch:
    """The best match of the pairs: a same place first, then the highest weight."""
    best: AddressMatch | None = None
    for x, y, placement in pairs:
        match = _OTHER_COUNTRY if placement is None else compare_addresses(x, y, states, placement)
        if best is None or (match.is_same_place, match.weight) > (
            best.is_same_place,
            best.weight,
        ):
            best = match
    return best or _NO_ADDRESS


def compare_places(x: PostalAddress, y: PostalAddress, states: KeyStates) -> Placement | None:
    """How far postal code, house, street and city place two addresses together; ``None``
    for addresses in different countries."""
    if x.country and y.country and x.country != y.country:
        return None
    cc = x.country or y.country
    postal = _postal(x, y, states)
    house = _part(x.house_number, y.house_number, 3.0, -3.0, "house number")
    street = _street(x, y, states)
    city = _weighed_part(
        x.city, y.city, -1.0, "city", states=states, key=f"C:{cc}|{x.city.replace(' ', '')}"
    )
    unknown_area = not (x.postal_code or x.city) or not (y.postal_code or y.city)
    same_area = postal[0] > 0 or city[0] > 0 or unknown_area
    same_house = house[0] > 0 and street[0] > 0 and same_area
    rare_street = street[0] > 0 and city[0] > 0 and street[0] + city[0] >= RARE_PLACE_BITS
    same_place = (postal[0] > 0 and not postal[2]) or same_house
    return Placement(postal, house, street, city, same_place, same_house, postal[2] or rare_street)


def compare_addresses(
    x: PostalAddress, y: PostalAddress, states: KeyStates, placement: Placement
) -> AddressMatch:
    """Match weight of two addresses of one country (``placement``: their ``compare_places``)
    and what agreed or differed."""
    parts = (
        placement.postal,
        placement.house,
        placement.street,
        _unit(x.unit, y.unit),
        placement.city,
        _part(x.state, y.state, 0.5, -1.0, "state"),
        _weighed_part(x.extra, y.extra, 0.0, "address line 2", states=states, key=f"X:{x.extra}"),
    )
    weights, notes, typos = zip(*parts, strict=True)
    return AddressMatch(
        round(sum(weights), 2),
        "; ".join(filter(None, notes)),
        placement.is_same_place,
        placement.is_same_house,
        placement.is_near_place,
        any(typos),
    )


def _street(x: PostalAddress, y: PostalAddress, states: KeyStates) -> Part:
    """Streets compared, also across the two lines (one record's line 2 is the other's
    street when the lines were swapped)."""
    cc = x.country or y.country
    best: Part | None = None
    for a, b in ((x.street, y.street), (x.street, y.extra), (x.extra, y.street)):
        if not a or not b:
            continue
        found = _weighed_part(a, b, -2.0, "street", states=states, key=_street_key(cc, a))
        if best is None or found[0] > best[0]:
            best = found
    return best or _NO_PART


@lru_cache(maxsize=_CACHED_STREETS)
def _street_key(country: str, street: str) -> str:
    """The frequency key of a street: its most telling word in its country."""
    return f"S:{country}|{street_word(street)}"


def _postal(x: PostalAddress, y: PostalAddress, states: KeyStates) -> Part:
    if not x.postal_code or not y.postal_code:
        return _NO_PART
    if x.postal_code == y.postal_code:
        weight = value_bits(states, f"Z:{x.country}|{x.postal_code}")
        return weight, f"same postal code {x.postal_code}", False
    if similar(x.postal_code, y.postal_code, edits=1):
        return 1.0, "postal codes one character apart", True
    return -2.0, "different postal codes", False


def _part(a: str, b: str, agree: float, disagree: float, label: str) -> Part:
    """Two values that agree only when equal."""
    if not a or not b:
        return _NO_PART
    if a == b:
        return agree, f"same {label}", False
    return disagree, f"different {label}", False


def _weighed_part(
    a: str, b: str, disagree: float, label: str, *, states: KeyStates, key: str
) -> Part:
    """Two values that also agree a typo apart, for what agreeing on ``key`` is worth."""
    if not a or not b:
        return _NO_PART
    if a == b:
        return value_bits(states, key), f"same {label}", False
    if alike(a, b):
        return value_bits(states, key) * 0.7, f"similar {label}", True
    return disagree, f"different {label}" if disagree else "", False


def _unit(a: str, b: str) -> Part:
    if not a or not b:
        return _NO_PART
    return (1.0, "same unit", False) if a == b else (-6.0, "different apartment or unit", False)
