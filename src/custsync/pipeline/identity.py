"""Which buyers are the same person: candidate pairs by blocking, scored links, stable ids.

Blocking: every profile has keys (same phone, same house, same street and postal code, same
name, ...; ``profiles.blocking_keys``); only pairs sharing a usable key are scored, so cost
grows with candidate pairs, not n². A key shared by too many buyers is not usable: a shop's
phone number or a common name alone says nothing.

Key states: each key's state is the bit length of its buyer count (capped). Scores depend only
on the states of the two buyers' keys, so an incremental run that rescored every buyer whose
key changed state gets exactly the links a full rebuild would.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from custsync.pipeline.facts import BuyerRef
from custsync.pipeline.profiles import BuyerProfile, blocking_keys
from custsync.pipeline.scoring import PairScore, Rule, compare, compare_both, surely_nothing
from custsync.pipeline.states import KeyStates
from custsync.records import AccountId, BuyerKey, CustomerId

# Largest usable state per key kind: ≤ 15 buyers on one phone or e-mail, ≤ 63 in one house
# (so that the neighbours of a big building are compared, and households kept apart), ≤ 7 in
# any other block (a name, a street in a postal code or a city, a name with a place or a
# street). In a sync of 1,000 orders into a 1M-order world, the pairs met only in blocks of 8
# to 63 buyers were 64 % of the candidates, and none linked.
_BLOCK_LIMITS = {"p": 4, "e": 4, "r": 4, "a": 6}
_DEFAULT_BLOCK_LIMIT = 3

# The version of the rules above, of the scores and of the keys a profile is stored under
# (``profiles.blocking_keys``, ``stat_keys``: a sync reads a buyer's stored keys back from its
# stored profile, so changing them means a new version): a store whose buyers were resolved
# under another is resolved again in full on its next refresh (``resolve``).
RULES_VERSION = 7


@dataclass(frozen=True, slots=True)
class Link:
    """What one rule found between buyers ``a`` < ``b``."""

    a: BuyerRef
    b: BuyerRef
    rule: Rule
    score: float
    evidence: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    is_link: bool = True  # False: kept apart
    names_conflict: bool = False
    is_sure: bool = False
    has_typos: bool = False


def is_usable_block(key: str, state: int) -> bool:
    return state <= _BLOCK_LIMITS.get(key[0], _DEFAULT_BLOCK_LIMIT)


def most_holders(key: str) -> int:
    """The most buyers a usable block of ``key``'s kind holds."""
    return int(2 ** _BLOCK_LIMITS.get(key[0], _DEFAULT_BLOCK_LIMIT) - 1)


def find_links(
    focus: Iterable[BuyerRef],
    profiles: Mapping[BuyerRef, BuyerProfile],
    members: Mapping[str, Sequence[BuyerRef]],
    states: KeyStates,
    keys: Mapping[BuyerRef, frozenset[str]] | None = None,
    *,
    prepare: Callable[[list[tuple[BuyerRef, BuyerRef]]], None] | None = None,
) -> list[Link]:
    """Every link or kept-apart pair among candidate pairs with a buyer in ``focus``.

    ``members`` maps each usable blocking key of the focus buyers to every buyer holding it;
    ``profiles`` holds those buyers; ``states`` the state of their keys; ``keys`` (optional)
    the focus buyers' blocking keys, when already known. ``prepare`` (optional) is given the
    pairs left to score once those that surely record nothing are set aside, before any is
    scored (to read at once the states their scores will ask for).
    """
    pairs = worth_scoring(candidate_pairs(focus, profiles, members, states, keys), profiles, states)
    if prepare is not None:
        prepare(pairs)
    return [link for pair in pairs if (link := score_pair(pair, profiles, states)) is not None]


def worth_scoring(
    pairs: Iterable[tuple[BuyerRef, BuyerRef]],
    profiles: Mapping[BuyerRef, BuyerProfile],
    states: KeyStates,
) -> list[tuple[BuyerRef, BuyerRef]]:
    """``pairs`` (sorted) without those that surely record nothing (``scoring.surely_nothing``):
    what is left to score."""
    return sorted(p for p in pairs if not surely_nothing(profiles[p[0]], profiles[p[1]], states))


def score_pair(
    pair: tuple[BuyerRef, BuyerRef], profiles: Mapping[BuyerRef, BuyerProfile], states: KeyStates
) -> Link | None:
    """The link between two buyers (``pair[0]`` < ``pair[1]``), if any."""
    scored = compare(profiles[pair[0]], profiles[pair[1]], states)
    return None if scored is None else _link(pair, scored)


def find_links_both(
    profiles: Mapping[BuyerRef, BuyerProfile],
    members: Mapping[str, Sequence[BuyerRef]],
    states: KeyStates,
    keys: Mapping[BuyerRef, frozenset[str]],
) -> tuple[list[Link], list[Link]]:
    """Every link among all buyers (``keys``: each buyer's blocking keys, ``members`` built
    from them), with strict and with tolerant first names, in one pass."""
    strict: list[Link] = []
    tolerant: list[Link] = []
    for pair in every_candidate_pair(members, states, keys):
        one, two = compare_both(profiles[pair[0]], profiles[pair[1]], states)
        if one is not None:
            strict.append(_link(pair, one))
        if two is not None:
            tolerant.append(_link(pair, two))
    return strict, tolerant


def every_candidate_pair(
    members: Mapping[str, Sequence[BuyerRef]],
    states: KeyStates,
    keys: Mapping[BuyerRef, frozenset[str]],
) -> Iterator[tuple[BuyerRef, BuyerRef]]:
    """``candidate_pairs`` of every buyer, in the same order, when ``members`` holds exactly
    the buyers of each key in ``keys``: a pair is then met first from its smaller end, so
    only that buyer's own candidates need remembering, not every pair seen so far."""
    for ref in sorted(keys):
        mine: set[BuyerRef] = set()
        for key in keys[ref]:
            if not is_usable_block(key, states.get(key, 0)):
                continue
            for other in members.get(key, ()):
                if other > ref and other not in mine:
                    mine.add(other)
                    yield ref, other


def candidate_pairs(
    focus: Iterable[BuyerRef],
    profiles: Mapping[BuyerRef, BuyerProfile],
    members: Mapping[str, Sequence[BuyerRef]],
    states: KeyStates,
    keys: Mapping[BuyerRef, frozenset[str]] | None = None,
) -> Iterator[tuple[BuyerRef, BuyerRef]]:
    """Each pair (a < b) sharing a usable blocking key, once."""
    seen: set[tuple[BuyerRef, BuyerRef]] = set()
    for ref in sorted(focus):
        own = keys[ref] if keys is not None else blocking_keys(profiles[ref])
        for key in own:
            if not is_usable_block(key, states.get(key, 0)):
                continue
            for other in members.get(key, ()):
                pair = (ref, other) if ref < other else (other, ref)
                if other != ref and pair not in seen:
                    seen.add(pair)
                    yield pair


def _link(pair: tuple[BuyerRef, BuyerRef], scored: PairScore) -> Link:
    return Link(
        pair[0],
        pair[1],
        scored.rule,
        scored.score,
        scored.evidence,
        is_link=scored.is_link,
        names_conflict=scored.names_conflict,
        is_sure=scored.is_sure,
        has_typos=scored.has_typos,
    )


def block_members(keys: Mapping[BuyerRef, Iterable[str]]) -> dict[str, list[BuyerRef]]:
    """Blocking key → its buyers (sorted), from each buyer's blocking keys."""
    members: dict[str, list[BuyerRef]] = {}
    for ref, found in keys.items():
        for key in found:
            members.setdefault(key, []).append(ref)
    for refs in members.values():
        refs.sort()
    return members


# ---------------------------------------------------------------- customer ids


def customer_id_for(account_id: AccountId, buyer_key: BuyerKey, attempt: int = 0) -> CustomerId:
    """The id a new customer takes from its first buyer (``attempt`` > 0: on a collision)."""
    salt = f"\x1f{attempt}" if attempt else ""
    digest = hashlib.sha256(f"{account_id}\x1f{buyer_key}{salt}".encode()).hexdigest()
    return CustomerId(f"C{digest[:12].upper()}")


ID_ATTEMPTS = 4


@dataclass(frozen=True, slots=True)
class IdAssignment:
    ids: tuple[CustomerId, ...]  # one per cluster, in the clusters' order
    merged_into: dict[CustomerId, CustomerId]  # ids that no longer stand → the id that took over


def assign_customer_ids(
    clusters: Sequence[Sequence[BuyerRef]],
    previous: Mapping[BuyerRef, CustomerId],
    live_elsewhere: Collection[CustomerId],
) -> IdAssignment:
    """Stable ids: a cluster keeps the smallest id its buyers had (bigger clusters choose
    first); a cluster with no free previous id takes one from its first buyer. Every previous
    id left without a cluster is merged into the one that holds most of its buyers."""
    order = sorted(range(len(clusters)), key=lambda i: (-len(clusters[i]), clusters[i][0]))
    claimed: dict[CustomerId, int] = {}
    ids: dict[int, CustomerId] = {}
    for index in order:
        held = {previous[ref] for ref in clusters[index] if ref in previous}
        owned = sorted(cid for cid in held if cid not in claimed)
        chosen = owned[0] if owned else _new_id(clusters[index][0], claimed, live_elsewhere)
        claimed[chosen] = index
        ids[index] = chosen
    return IdAssignment(
        tuple(ids[i] for i in range(len(clusters))),
        _merged_into(clusters, previous, ids, claimed),
    )


def _new_id(
    first: BuyerRef, claimed: Mapping[CustomerId, int], live: Collection[CustomerId]
) -> CustomerId:
    for attempt in range(ID_ATTEMPTS):
        candidate = customer_id_for(*first, attempt=attempt)
        if candidate not in claimed and candidate not in live:
            return candidate
    raise ValueError(f"no free customer id for buyer {first[0]}:{first[1]}")


def _merged_into(
    clusters: Sequence[Sequence[BuyerRef]],
    previous: Mapping[BuyerRef, CustomerId],
    ids: Mapping[int, CustomerId],
    claimed: Mapping[CustomerId, int],
) -> dict[CustomerId, CustomerId]:
    holders: dict[CustomerId, dict[CustomerId, int]] = {}
    for index, cluster in enumerate(clusters):
        for ref in cluster:
            old = previous.get(ref)
            if old is not None and old not in claimed:
                counts = holders.setdefault(old, {})
                counts[ids[index]] = counts.get(ids[index], 0) + 1
    return {
        old: min(counts, key=lambda cid: (-counts[cid], cid))
        for old, counts in sorted(holders.items())
    }


def new_id_candidates(clusters: Iterable[Sequence[BuyerRef]]) -> list[CustomerId]:
    """Ids ``assign_customer_ids`` may create: check these against the store first."""
    return [
        customer_id_for(*cluster[0], attempt=attempt)
        for cluster in clusters
        for attempt in range(ID_ATTEMPTS)
    ]
