"""Key states: how common each identity value is, and each account's name policy.

A key's state is the bit length of the number of buyers holding it (capped), so it changes
only when that number crosses a power of two. Scores depend on states, never on raw counts:
an incremental run rescoring the buyers of every key whose state changed gets exactly what a
full rebuild gets, at a cost that is amortized small.

Name policy: an account whose records are noisy (many of its sure links agree only through
typos: lists typed by hand, transcribed records) gets tolerant first names (``tolerant_key``
is 1): a different first name is then weak evidence, not a different person.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Mapping
from typing import TypeVar, overload

KeyStates = Mapping[str, int]  # key → state
T = TypeVar("T")

MAX_STATE = 16  # 32768 buyers and more are all alike
SATURATED = 1 << (MAX_STATE - 1)  # the smallest count whose state is MAX_STATE
TOTAL_KEY = "T:"  # state of the number of buyers
_TOLERANT = "M:"  # prefix of an account's name policy entry
MIN_TOTAL_STATE = 12  # weights assume at least ~4096 buyers: a name says something even in a
# short customer list
MIN_SURE_LINKS = 30  # below this an account keeps strict first names
NOISY_SHARE = 0.25  # share of sure links with typos from which an account counts as noisy
MAX_KEY_LENGTH = 200


def bounded_key(key: str) -> str:
    """Keys fit the store's key column: a long one is replaced by a digest of it."""
    if len(key) <= MAX_KEY_LENGTH:
        return key
    return f"{key[:2]}#{hashlib.sha256(key.encode()).hexdigest()}"


def key_state(count: int) -> int:
    return min(count.bit_length(), MAX_STATE)


def tolerant_key(account_id: str) -> str:
    """The states entry that is 1 when ``account_id``'s first names are not trusted."""
    return f"{_TOLERANT}{account_id}"


def is_given_key(key: str) -> bool:
    """Whether ``key`` is a states entry that is no stored key (the number of buyers' state,
    a name policy): its value is given by the run's parameters, or it has none."""
    return key == TOTAL_KEY or key.startswith(_TOLERANT)


def is_noisy(sure_links: int, with_typos: int) -> bool:
    """The name policy of an account from its sure links (both ends in the account)."""
    return sure_links >= MIN_SURE_LINKS and with_typos >= NOISY_SHARE * sure_links


# Frequency keys (upper-case kinds) and the range of their agreement weight in bits: first
# name, surname, postal code, street word, city, address line 2.
STAT_RANGES = {"F": (2, 8), "L": (2, 9), "Z": (2, 10), "S": (2, 10), "C": (1, 8), "X": (0, 8)}
RARE_STATE = 2  # a spelling held by at most 3 buyers may be a typo


def is_stat_key(key: str) -> bool:
    return key[:1] in STAT_RANGES


def value_bits(states: KeyStates, key: str) -> float:
    """The weight of two buyers agreeing on a value: about log2(buyers / buyers holding it),
    from the states, kept within the range of the key's kind."""
    total = max(states.get(TOTAL_KEY, 0), MIN_TOTAL_STATE)
    return _bits(key, states.get(bounded_key(key), 0), total)


def _bits(key: str, state: int, total: int) -> float:
    low, high = STAT_RANGES[key[0]]
    return float(max(low, min(high, total - state)))


RARITY_KINDS = "FL"  # the only kinds whose rarity is read: first names and surnames


def is_rare(states: KeyStates, key: str) -> bool:
    """Whether a name (a key of ``RARITY_KINDS``) is held by so few that it may be a typo."""
    return states.get(bounded_key(key), 0) <= RARE_STATE


def rarity_moves(key: str, before: int, after: int) -> bool:
    """Whether a name's key going from ``before`` to ``after`` holders stops or starts
    counting as rare. Rarity is read for one side of a pair (a rare spelling may be a typo of
    the other's), so every pair of its holders may move, not only those where both hold it.
    No other kind's rarity is read (a postal code's, which moves in most syncs, included)."""
    if key[0] not in RARITY_KINDS:
        return False
    return (key_state(before) <= RARE_STATE) != (key_state(after) <= RARE_STATE)


# Beside a shared e-mail or phone (a link on its own), a value held by more buyers than this
# state's counts weighs as one held by that many (``CappedStates``): the rarity of a name is
# read as it is, and how common a value is beyond that would only reorder links that stand.
CAPPED_STATE = RARE_STATE + 1


class CappedStates(Mapping[str, int]):
    """``states`` with every frequency key's state capped at ``CAPPED_STATE`` (the name
    policies and the number of buyers as they are): what scores beside a shared e-mail or
    phone read, so that a common name's count crossing a power of two leaves them alone."""

    __slots__ = ("_states",)

    def __init__(self, states: KeyStates) -> None:
        self._states = states

    @overload
    def get(self, key: str, /) -> int | None: ...

    @overload
    def get(self, key: str, /, default: int | T) -> int | T: ...

    def get(self, key: str, /, default: object = None) -> object:
        found = self._states.get(key)
        if found is None:
            return default
        return min(found, CAPPED_STATE) if key[:1] in STAT_RANGES else found

    def __getitem__(self, key: str) -> int:
        found = self._states[key]
        return min(found, CAPPED_STATE) if key[:1] in STAT_RANGES else found

    def __contains__(self, key: object) -> bool:
        return key in self._states

    def __iter__(self) -> Iterator[str]:
        return iter(self._states)

    def __len__(self) -> int:
        return len(self._states)


def capped_moves(key: str, before: int, after: int) -> bool:
    """Whether a frequency key going from ``before`` to ``after`` holders changes its state
    as ``CappedStates`` reads it (the scores beside a shared e-mail or phone may move)."""
    return min(key_state(before), CAPPED_STATE) != min(key_state(after), CAPPED_STATE)


def bits_move(key: str, before: int, after: int, total_state: int) -> bool:
    """Whether a frequency key going from ``before`` to ``after`` holders changes its clamped
    weight (which counts where both sides of a pair agree on the value)."""
    total = max(total_state, MIN_TOTAL_STATE)
    return _bits(key, key_state(before), total) != _bits(key, key_state(after), total)
