"""Relinking the pairs of buyers a sync did not touch whose link may still have moved: the
holders of a frequency key whose weight moved (their pairs are rescored, but for those sharing
an e-mail or phone where it moved only beyond ``states.CappedStates``'s cap) and of a blocking key
that became usable or stopped being so (their pairs became candidates or stopped being ones:
``pipeline.states``, ``pipeline.identity.is_usable_block``)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from datetime import datetime

import structlog
from sqlalchemy import Connection

from custsync.pipeline.facts import BuyerRef
from custsync.pipeline.identity import is_usable_block, score_pair, worth_scoring
from custsync.pipeline.profiles import BuyerProfile, blocking_keys, is_contact_key, stat_keys
from custsync.pipeline.states import RARITY_KINDS
from custsync.store.identity import SureMoves, links_between, replace_links, reworded
from custsync.store.identity_keys import StoredStates, key_members, load_profiles

log = structlog.get_logger()


def repair_links(
    conn: Connection,
    reblocked: set[str],
    reweighed: dict[str, bool],
    changed: set[BuyerRef],
    profiles: dict[BuyerRef, BuyerProfile],
    *,
    states: StoredStates,
    now: datetime,
) -> tuple[set[BuyerRef], SureMoves]:
    """Relink the pairs of buyers not in ``changed`` (their profiles are as stored) whose link
    may have changed: pairs sharing a frequency key whose weight moved are rescored; pairs
    sharing a blocking key that became usable become candidates (scored) unless they already
    were, and pairs it was the last usable shared key of lose their link (only pairs with a
    stored link are looked at there: the others have nothing to lose). Returns the buyers of
    every pair whose link changed, and how the sure links moved."""
    members = key_members(conn, reblocked | reweighed.keys())
    holders = {key: [ref for ref in refs if ref not in changed] for key, refs in members.items()}
    involved, score, flips = _repair_pairs(
        conn, holders, reblocked, reweighed, profiles=profiles, states=states
    )
    scored = worth_scoring(score, profiles, states)
    fetch_stats(states, profiles, scored)
    found = [link for pair in scored if (link := score_pair(pair, profiles, states))]
    examined = score | flips.keys()
    old = links_between(conn, examined)
    moved = {(link.a, link.b) for link in set(found).symmetric_difference(old)}
    # the same outcome told from another address or name, now the weightiest: reworded only
    written = moved | reworded(conn, [x for x in found if (x.a, x.b) not in moved])
    moves = replace_links(
        conn,
        [x for x in old if (x.a, x.b) in written],
        [x for x in found if (x.a, x.b) in written],
        now=now,
    )
    if examined:  # counts only: keys are names and places
        log.info("identity_pairs_repaired", reweighed=len(reweighed), reblocked=len(reblocked),
                 holders=len(involved), pairs=len(examined), relinked=len(moved),
                 reworded=len(written) - len(moved))  # fmt: skip
    return {ref for pair in moved for ref in pair}, moves


def _repair_pairs(
    conn: Connection,
    holders: dict[str, list[BuyerRef]],
    reblocked: set[str],
    reweighed: dict[str, bool],
    *,
    profiles: dict[BuyerRef, BuyerProfile],
    states: StoredStates,
) -> tuple[set[BuyerRef], set[tuple[BuyerRef, BuyerRef]], dict[tuple[BuyerRef, BuyerRef], bool]]:
    """For ``repair_links``: the buyers looked at, the pairs to score and the flipped pairs. Of the
    holders of a key that stopped being usable, only the pairs with a stored link are looked
    at (a pair can only stop being a candidate, and then loses its link)."""
    shut = {k for k in reblocked & holders.keys() if not is_usable_block(k, states.get(k, 0))}
    linked = {(x.a, x.b) for x in links_between(conn, _pairs_within(holders[k] for k in shut))}
    opened = _pairs_within(holders[key] for key in reblocked & holders.keys() - shut)
    involved = {ref for key, refs in holders.items() if key not in shut for ref in refs}
    involved |= {ref for pair in linked for ref in pair}
    profiles |= load_profiles(conn, involved - set(profiles))
    blocking = {ref: blocking_keys(profiles[ref]) for ref in involved if ref in profiles}
    groups = [(refs, reweighed[key]) for key, refs in holders.items() if key in reweighed]
    score = _rescored_pairs(groups, blocking, states)
    flips = _flipped_pairs(opened | linked, blocking, states, reblocked)
    score |= {pair for pair, is_candidate in flips.items() if is_candidate}
    return involved, score, flips


def _rescored_pairs(
    groups: list[tuple[list[BuyerRef], bool]],
    blocking: dict[BuyerRef, frozenset[str]],
    states: StoredStates,
) -> set[tuple[BuyerRef, BuyerRef]]:
    """The candidate pairs within each group (the holders of one key, sorted; with whether
    its weight moved below the cap): the pairs sharing a usable blocking key, but for those
    sharing an e-mail or phone when the weight moved only beyond the cap (their scores read
    it capped: ``scoring.compare_both``)."""
    indexes = [(_by_key(refs, blocking), capped) for refs, capped in groups]
    states.fetch({key for index, _ in indexes for key in index})
    found: set[tuple[BuyerRef, BuyerRef]] = set()
    for index, capped in indexes:
        usable = _pairs_within(g for k, g in index.items() if is_usable_block(k, states.get(k, 0)))
        if not capped:
            usable -= _pairs_within(g for k, g in index.items() if is_contact_key(k))
        found |= usable
    return found


def _by_key(
    refs: list[BuyerRef], blocking: dict[BuyerRef, frozenset[str]]
) -> dict[str, list[BuyerRef]]:
    """The blocking keys two or more of ``refs`` share, each with its holders among them."""
    index: dict[str, list[BuyerRef]] = {}
    for ref in refs:
        for key in blocking.get(ref, ()):
            index.setdefault(key, []).append(ref)
    return {key: group for key, group in index.items() if len(group) > 1}


def _pairs_within(groups: Iterable[list[BuyerRef]]) -> set[tuple[BuyerRef, BuyerRef]]:
    """Every pair within each group (sorted buyers)."""
    return {(a, b) for refs in groups for i, a in enumerate(refs) for b in refs[i + 1 :]}


def _flipped_pairs(
    pairs: Collection[tuple[BuyerRef, BuyerRef]],
    blocking: dict[BuyerRef, frozenset[str]],
    states: StoredStates,
    reblocked: set[str],
) -> dict[tuple[BuyerRef, BuyerRef], bool]:
    """The ``pairs`` (of holders of a reblocked key) that became candidates (``True``) or
    stopped being ones (``False``): a pair is one when it shares a usable blocking key, and
    only the ``reblocked`` keys changed whether they are usable."""
    shared = {
        (a, b): blocking[a] & blocking[b] for a, b in pairs if a in blocking and b in blocking
    }
    states.fetch({key for keys in shared.values() for key in keys})
    flips: dict[tuple[BuyerRef, BuyerRef], bool] = {}
    for pair, keys in shared.items():
        usable = {key: is_usable_block(key, states.get(key, 0)) for key in keys}
        now = any(usable.values())
        if now != any(is_usable != (key in reblocked) for key, is_usable in usable.items()):
            flips[pair] = now
    return flips


def fetch_stats(
    states: StoredStates,
    profiles: dict[BuyerRef, BuyerProfile],
    pairs: Sequence[tuple[BuyerRef, BuyerRef]],
) -> None:
    """Read at once the states of the frequency keys the scores of ``pairs`` will mostly ask
    for (one query per thousand keys instead of one per key asked): the values both buyers
    of a pair hold (what their agreement weighs) and their names (how rare a spelling is).
    The few others (values a typo apart) are read as they are asked for."""
    held = {ref: stat_keys(profiles[ref]) for ref in {ref for pair in pairs for ref in pair}}
    keys = {key for found in held.values() for key in found if key[0] in RARITY_KINDS}
    for a, b in pairs:
        keys |= held[a] & held[b]
    states.fetch(keys)
