"""Comparing two normalized names: a match weight, a note saying why, and whether they conflict.

First names conflict when both are written out, are not nickname forms of each other and are
not a plausible typo of each other. A typo is plausible only when one of the two spellings is
rare among the buyers (a common name one letter away from another common name, such as Anna
and Hanna, is another person) and at most two edits separate them: names that only look
alike (Charlotte and Charles, Francesca and Francis) are two people even when one spelling is
rare. Conflicting first names are what keeps a household apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import NamedTuple

from rapidfuzz.distance import OSA, JaroWinkler

from custsync.pipeline.normalize import PersonName, are_nickname_forms, first_name_forms
from custsync.pipeline.states import is_rare, value_bits

JARO_SIMILAR = 0.9
MAX_TYPO_EDITS = 2  # first names further apart are two names, however alike they look
CONFLICT_WEIGHT = -8.0
TOLERANT_CONFLICT_WEIGHT = -2.0  # where the data's first names are often wrong (see scoring)
_LONG = 8
_CACHED_PAIRS = 1 << 16


class NameMatch(NamedTuple):
    weight: float
    note: str
    is_conflict: bool
    is_fuzzy: bool = False  # agreement only through a typo
    surname_agrees: bool = False  # beside a first-name conflict under tolerant first names
    # both surnames given, neither a typo, a part or a middle name of the other
    surnames_differ: bool = False


def similar(a: str, b: str, *, edits: int | None = None, jaro: bool = True) -> bool:
    """A typo apart: at most ``edits`` edits (adjacent swaps count once; default 1, or 2 for
    long words), or Jaro–Winkler ≥ 0.9 when ``jaro``."""
    limit = edits if edits is not None else (2 if min(len(a), len(b)) >= _LONG else 1)
    if OSA.distance(a, b, score_cutoff=limit) <= limit:
        return True
    return jaro and JaroWinkler.similarity(a, b) >= JARO_SIMILAR


@lru_cache(maxsize=_CACHED_PAIRS)
def alike(a: str, b: str) -> bool:
    """``similar`` with its defaults, cached: for values that recur across many pairs (names,
    cities, streets)."""
    return similar(a, b)


def compare_names(
    x: PersonName, y: PersonName, states: Mapping[str, int]
) -> tuple[NameMatch, NameMatch]:
    """The match with strict first names and the match with tolerant ones: there a first-name
    conflict costs little (the data's first names are noisy); it is still reported as a
    conflict, with whether the surnames agree beside it."""
    if x.is_partial or y.is_partial:
        partial = _partial(x, y, states)
        return partial, partial
    first = _first(x.first, y.first, states)
    last = _last(x.last, y.last, states)
    if last.surnames_differ and (x.last in y.middle or y.last in x.middle):
        last = last._replace(surnames_differ=False)  # María García López and María García
    strict = _straight(first, last)
    tolerant = strict
    if first.is_conflict:
        relaxed = _straight(NameMatch(TOLERANT_CONFLICT_WEIGHT, first.note, True), last)
        tolerant = relaxed._replace(surname_agrees=last.weight > 0)
    if x.first == y.last or x.last == y.first or alike(x.first, y.last):
        swapped = _swapped(x, y, states)
        strict = swapped if swapped.weight > strict.weight else strict
        tolerant = swapped if swapped.weight > tolerant.weight else tolerant
    return strict, tolerant


def surely_conflict(x: PersonName, y: PersonName) -> bool:
    """Whether the strict comparison of ``x`` and ``y`` is a first-name conflict whatever the
    key states say (two close spellings may be one name when one is rare: not sure)."""
    if x.is_partial or y.is_partial or x.first == y.first:
        return False
    if x.first == y.last or x.last == y.first or alike(x.first, y.last):
        return False  # the swapped reading may win
    found = _first_spellings(x.first, y.first)
    return found is not None and found.is_conflict


def _straight(first: NameMatch, last: NameMatch) -> NameMatch:
    return NameMatch(
        first.weight + last.weight,
        f"{first.note}, {last.note}",
        first.is_conflict,
        first.is_fuzzy or last.is_fuzzy,
        surnames_differ=last.surnames_differ,
    )


def _first(a: str, b: str, states: Mapping[str, int]) -> NameMatch:
    if a == b:
        return NameMatch(value_bits(states, f"F:{a}"), f"same first name {a}", False)
    match = _first_spellings(a, b)
    if match is not None:
        return match
    if _is_rare(a, states) or _is_rare(b, states):
        return NameMatch(2.0, f"first names {a} ~ {b}", False, True)
    return NameMatch(-6.0, f"first names {a} and {b} are two common names", True)


@lru_cache(maxsize=_CACHED_PAIRS)
def _first_spellings(a: str, b: str) -> NameMatch | None:
    """What two different first names say, or ``None`` when one may be a typo of the other
    (then it depends on how rare they are)."""
    if len(a) == 1 or len(b) == 1:
        return _initial(a, b)
    if are_nickname_forms(a, b):
        return NameMatch(3.0, f"{a} and {b} are one name", False)
    if alike(a, b) and OSA.distance(a, b, score_cutoff=MAX_TYPO_EDITS) <= MAX_TYPO_EDITS:
        return None
    if len(a) >= 3 and len(b) >= 3 and (a.startswith(b) or b.startswith(a)):
        return NameMatch(1.0, f"first names {a} ~ {b} (shortened)", False, True)
    return NameMatch(CONFLICT_WEIGHT, f"first names {a} and {b} differ", True)


def _initial(a: str, b: str) -> NameMatch:
    """An initial against another first name: it fits the name, or a formal name the name is
    a nickname of (R. and Dick: Richard)."""
    initial, name = (a, b) if len(a) == 1 else (b, a)
    if name[0] == initial:
        return NameMatch(1.0, f"initial {initial} fits", False)
    formal = sorted(form for form in first_name_forms(name) if form[0] == initial)
    if formal:
        return NameMatch(1.0, f"initial {initial} fits {name} ({formal[0]})", False)
    return NameMatch(CONFLICT_WEIGHT, f"first names {a} and {b} differ", True)


def _last(a: str, b: str, states: Mapping[str, int]) -> NameMatch:
    if a == b:
        return NameMatch(value_bits(states, f"L:{a}"), f"same surname {a}", False)
    match = _surname_spellings(a, b)
    if match is not None:
        return match
    if _is_rare(a, states, "L") or _is_rare(b, states, "L"):
        return NameMatch(2.5, f"surnames {a} ~ {b}", False, True)
    return NameMatch(-3.0, f"surnames {a} and {b} are two common names", False)


@lru_cache(maxsize=_CACHED_PAIRS)
def _surname_spellings(a: str, b: str) -> NameMatch | None:
    """What two different surnames say, or ``None`` when one may be a typo of the other."""
    if alike(a, b):
        return None
    if min(len(a), len(b)) >= 4 and (a in b or b in a):
        return NameMatch(1.5, f"surname {a} within {b}", False, True)
    return NameMatch(-5.0, f"different surnames {a} and {b}", False, surnames_differ=True)


def _swapped(x: PersonName, y: PersonName, states: Mapping[str, int]) -> NameMatch:
    """The reading of ``y`` with its name parts swapped. When a part of it differs outright
    (John Kim and Alexander Johnson are not "Kim John" a typo apart), it is a first-name
    conflict, as the straight reading is."""
    one = _last(x.first, y.last, states)
    two = _last(x.last, y.first, states)
    weight = one.weight + two.weight - 1.0
    note = f"first and surname swapped ({one.note}, {two.note})"
    differ = one.surnames_differ or two.surnames_differ
    return NameMatch(weight, note, differ, one.is_fuzzy or two.is_fuzzy, surnames_differ=differ)


def _partial(x: PersonName, y: PersonName, states: Mapping[str, int]) -> NameMatch:
    """One of the two has a single name part: compare it with both parts of the other."""
    tokens_x = [t for t in (x.first, x.last) if t]
    tokens_y = [t for t in (y.first, y.last) if t]
    best = NameMatch(-2.0, "names share no part", False)
    for a in tokens_x:
        for b in tokens_y:
            if a == b:
                key = f"L:{a}" if f"L:{a}" in states else f"F:{a}"
                weight = value_bits(states, key)
                match = NameMatch(weight, f"name part {a} in both", False)
            elif len(a) > 1 and len(b) > 1 and alike(a, b):
                match = NameMatch(1.5, f"name parts {a} ~ {b}", False, True)
            else:
                continue
            if match.weight > best.weight:
                best = match
    return best


def _is_rare(value: str, states: Mapping[str, int], kind: str = "F") -> bool:
    return is_rare(states, f"{kind}:{value}")
