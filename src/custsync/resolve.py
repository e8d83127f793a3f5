"""Identity resolution in the store: which buyers to rescore, their links, their clusters.

Wiring between the store and the pure ``pipeline`` (profiles, scoring, clustering), run inside
the caller's transaction. Incremental: the touched buyers whose profile changed are rescored
(a returning buyer with the same name, address and contacts keeps its links), and with them
every buyer holding a key whose state changed (``pipeline.states``); then every customer a
touched buyer is in is reclustered with everything linked to it. Full: everything, in memory.
Both store the same keys, links and parameters for the same data (tests compare them).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from itertools import chain

from sqlalchemy import Connection, delete

from custsync.pipeline.clusters import Overrides, cluster, fold_overrides
from custsync.pipeline.facts import BuyerFacts, BuyerRef
from custsync.pipeline.identity import (
    Link,
    block_members,
    find_links,
    find_links_both,
    is_usable_block,
    score_pair,
)
from custsync.pipeline.profiles import BuyerProfile, blocking_keys, build_profile, stat_keys
from custsync.pipeline.states import (
    TOTAL_KEY,
    is_noisy,
    is_stat_key,
    key_state,
    tolerant_key,
    weight_moves,
)
from custsync.store import schema
from custsync.store.customers import all_refs, buyers_of, customer_ids_of
from custsync.store.facts import load_all_facts, load_facts
from custsync.store.identity import (
    links_touching,
    load_overrides,
    load_params,
    replace_links,
    replace_pair_links,
    save_params,
    sure_link_counts,
)
from custsync.store.identity_keys import (
    clear_keys,
    key_counts,
    key_members,
    load_profiles,
    profiled_among,
    profiled_buyer_count,
    replace_keys,
    stored_keys,
)

TOTAL_PARAM = "total_state"
KEEP_FACTS = 50_000  # a full run keeps the facts it read for the metrics up to this many buyers
NOISY_PARAM = "noisy:"


@dataclass(frozen=True, slots=True)
class Resolution:
    scope: tuple[BuyerRef, ...]  # every buyer whose customer is recomputed
    clusters: list[tuple[BuyerRef, ...]]  # the customers of ``scope``
    profiles: dict[BuyerRef, BuyerProfile]  # of every buyer in ``scope``
    facts: dict[BuyerRef, BuyerFacts] | None = None  # of every buyer, when held anyway
    renewed: frozenset[BuyerRef] | None = None  # buyers with new facts (``None``: all of them)


def resolve(conn: Connection, touched: Collection[BuyerRef] | None, *, now: datetime) -> Resolution:
    """Resolve ``touched`` buyers (``None``: every buyer) and return what to recompute."""
    params = load_params(conn)
    if touched is None or _moves_total(conn, touched, params):
        return _resolve_all(conn, params, now)  # every weight moves: rescore everything
    fresh = {f.ref: build_profile(f) for f in load_facts(conn, sorted(set(touched)))}
    stored = load_profiles(conn, fresh.keys())
    changed = {ref: p for ref, p in fresh.items() if stored.get(ref) != p}
    reblocked, reweighed = _store_keys(conn, changed, params)
    rescore = set(changed) | reblocked
    profiles = dict(fresh) | load_profiles(conn, rescore - set(fresh))
    _rescore(conn, rescore, profiles, params, now)
    moved = rescore | _reweigh(conn, reweighed, rescore, profiles, params=params, now=now)
    flipped = _update_policy(conn, {ref[0] for ref in rescore}, params, now)
    if flipped:
        extra = set(_account_refs(conn, flipped)) - rescore
        profiles |= load_profiles(conn, extra)
        rescore |= extra
        _rescore(conn, rescore, profiles, params, now)
        moved |= rescore
    found = _cluster_scope(conn, moved | set(fresh), profiles)  # new orders: new metrics
    return replace(found, renewed=frozenset(fresh))


def _moves_total(conn: Connection, touched: Collection[BuyerRef], params: dict[str, int]) -> bool:
    """Whether resolving ``touched`` changes the state of the number of buyers."""
    if TOTAL_PARAM not in params:
        return True
    new = len(set(touched)) - len(profiled_among(conn, touched))
    return key_state(profiled_buyer_count(conn) + new) != params[TOTAL_PARAM]


def _store_keys(
    conn: Connection, fresh: dict[BuyerRef, BuyerProfile], params: dict[str, int]
) -> tuple[set[BuyerRef], list[str]]:
    """Store the new keys of ``fresh``. Returns the holders of every blocking key that became
    usable or unusable (their candidates changed) and every frequency key whose weight moved
    (only pairs of its holders need rescoring)."""
    old = stored_keys(conn, fresh)
    new = {ref: blocking_keys(p) | stat_keys(p) for ref, p in fresh.items()}
    moved = {key for ref in new for key in new[ref].symmetric_difference(old.get(ref, set()))}
    before = key_counts(conn, moved)
    replace_keys(conn, new, old)
    after = key_counts(conn, moved)
    total = params.get(TOTAL_PARAM, 0)
    reweighed: list[str] = []
    reblocked: list[str] = []
    for k in sorted(moved):
        one, two = before.get(k, 0), after.get(k, 0)
        if is_stat_key(k):
            if weight_moves(k, one, two, total):
                reweighed.append(k)
        elif is_usable_block(k, key_state(one)) != is_usable_block(k, key_state(two)):
            reblocked.append(k)
    return {ref for refs in key_members(conn, reblocked).values() for ref in refs}, reweighed


def _reweigh(
    conn: Connection,
    keys: list[str],
    rescored: set[BuyerRef],
    profiles: dict[BuyerRef, BuyerProfile],
    *,
    params: dict[str, int],
    now: datetime,
) -> set[BuyerRef]:
    """Rescore the candidate pairs of buyers who share a frequency key whose weight moved;
    return the buyers of every pair whose link changed."""
    holders = {
        key: [ref for ref in refs if ref not in rescored]
        for key, refs in key_members(conn, keys).items()
    }
    involved = {ref for refs in holders.values() for ref in refs}
    if not involved:
        return set()
    profiles |= load_profiles(conn, involved - set(profiles))
    blocking = {ref: blocking_keys(profiles[ref]) for ref in involved if ref in profiles}
    shared = _shared_blocks(holders, blocking)
    counts = key_counts(conn, {key for key, _ in shared})
    pairs = {
        (a, b)
        for key, group in shared
        if is_usable_block(key, key_state(counts.get(key, 0)))
        for i, a in enumerate(group)
        for b in group[i + 1 :]
    }
    paired = {ref for pair in pairs for ref in pair}
    stats = {key for ref in paired for key in stat_keys(profiles[ref])}
    counts |= key_counts(conn, stats - set(counts))
    states = _states(counts, params)
    fresh_links = [
        link for pair in sorted(pairs) if (link := score_pair(pair, profiles, states)) is not None
    ]
    old_links = [x for x in links_touching(conn, paired) if (x.a, x.b) in pairs]
    changed = set(fresh_links).symmetric_difference(old_links)
    moved = {(link.a, link.b) for link in changed}
    replace_pair_links(conn, moved, [x for x in fresh_links if (x.a, x.b) in moved], now=now)
    return {ref for pair in moved for ref in pair}


def _shared_blocks(
    holders: dict[str, list[BuyerRef]], blocking: dict[BuyerRef, frozenset[str]]
) -> list[tuple[str, list[BuyerRef]]]:
    """Per holder group (the holders of one key): each blocking key that two or more of them
    share, with those holders (sorted). Only these keys can pair holders up."""
    shared: list[tuple[str, list[BuyerRef]]] = []
    for refs in holders.values():
        index: dict[str, list[BuyerRef]] = {}
        for ref in refs:
            for key in blocking.get(ref, ()):
                index.setdefault(key, []).append(ref)
        shared += [(key, sorted(group)) for key, group in index.items() if len(group) > 1]
    return shared


def _rescore(
    conn: Connection,
    rescore: set[BuyerRef],
    profiles: dict[BuyerRef, BuyerProfile],
    params: dict[str, int],
    now: datetime,
) -> None:
    """Find every link of ``rescore`` against its candidates and store them."""
    keys = {key for ref in rescore for key in blocking_keys(profiles[ref])}
    counts = key_counts(conn, keys)
    usable = [k for k in keys if is_usable_block(k, key_state(counts.get(k, 0)))]
    members = key_members(conn, usable)
    candidates = {ref for refs in members.values() for ref in refs} - set(profiles)
    profiles |= load_profiles(conn, candidates)
    involved = rescore | candidates
    stats = {key for ref in involved if ref in profiles for key in stat_keys(profiles[ref])}
    counts |= key_counts(conn, stats - set(counts))
    states = _states(counts, params)
    present = {k: [r for r in refs if r in profiles] for k, refs in members.items()}
    links = find_links(rescore, profiles, present, states)
    replace_links(conn, rescore, links, now=now)


def _states(counts: dict[str, int], params: dict[str, int]) -> dict[str, int]:
    states = {key: key_state(n) for key, n in counts.items()}
    states[TOTAL_KEY] = params.get(TOTAL_PARAM, 0)
    for name, value in params.items():
        if name.startswith(NOISY_PARAM) and value:
            states[tolerant_key(name[len(NOISY_PARAM) :])] = 1
    return states


def _update_policy(
    conn: Connection, accounts: Collection[str], params: dict[str, int], now: datetime
) -> set[str]:
    """Re-learn the name policy of ``accounts``; return the accounts whose policy flipped."""
    flipped: set[str] = set()
    for account, (sure, typos) in sure_link_counts(conn, accounts).items():
        noisy = int(is_noisy(sure, typos))
        if noisy != params.get(NOISY_PARAM + account, 0):
            params[NOISY_PARAM + account] = noisy
            flipped.add(account)
    save_params(conn, {NOISY_PARAM + a: params[NOISY_PARAM + a] for a in flipped}, now=now)
    return flipped


def _account_refs(conn: Connection, accounts: Collection[str]) -> list[BuyerRef]:
    return [ref for ref in all_refs(conn) if ref[0] in accounts]


def _cluster_scope(
    conn: Connection, rescore: set[BuyerRef], profiles: dict[BuyerRef, BuyerProfile]
) -> Resolution:
    """Recluster everything linked to the rescored buyers or sharing a customer with them."""
    overrides = fold_overrides(load_overrides(conn))
    previous = customer_ids_of(conn, sorted(rescore))
    scope = set(rescore) | set(buyers_of(conn, set(previous.values())))
    links: dict[tuple[BuyerRef, BuyerRef], Link] = {}
    frontier = set(scope)
    while frontier:
        found = links_touching(conn, frontier)
        links |= {(link.a, link.b): link for link in found}
        reached = {ref for link in found if link.is_link for ref in (link.a, link.b)}
        reached |= _override_partners(overrides, frontier)
        frontier = reached - scope
        scope |= frontier
    inside = [link for link in links.values() if link.a in scope and link.b in scope]
    profiles |= load_profiles(conn, scope - set(profiles))
    return Resolution(tuple(sorted(scope)), cluster(scope, inside, overrides), profiles)


def _override_partners(overrides: Overrides, refs: Collection[BuyerRef]) -> set[BuyerRef]:
    return {ref for group in overrides.merge_groups if group & set(refs) for ref in group}


# ---------------------------------------------------------------- full


def _resolve_all(conn: Connection, params: dict[str, int], now: datetime) -> Resolution:
    facts: dict[BuyerRef, BuyerFacts] | None = {}
    profiles: dict[BuyerRef, BuyerProfile] = {}
    for found in load_all_facts(conn):
        profiles[found.ref] = build_profile(found)
        if facts is not None:
            facts[found.ref] = found
            facts = facts if len(facts) <= KEEP_FACTS else None
    blocking = {ref: blocking_keys(p) for ref, p in profiles.items()}
    counts = _store_all_keys(conn, profiles, blocking)
    params[TOTAL_PARAM] = key_state(len(profiles))
    members = block_members(blocking)
    strict, tolerant = find_links_both(profiles, members, _states(counts, params), blocking)
    noisy = _learn_policy(strict, {ref[0] for ref in profiles}, params)
    links = [x for x in strict if not (x.a[0] in noisy and x.b[0] in noisy)]
    links += [x for x in tolerant if x.a[0] in noisy and x.b[0] in noisy]
    links.sort(key=lambda x: (x.a, x.b))
    conn.execute(delete(schema.identity_links))
    replace_links(conn, (), links, now=now)
    save_params(conn, params, now=now)
    overrides = fold_overrides(load_overrides(conn))
    clusters = cluster(profiles, links, overrides)
    return Resolution(tuple(sorted(profiles)), clusters, profiles, facts)


def _store_all_keys(
    conn: Connection,
    profiles: dict[BuyerRef, BuyerProfile],
    blocking: dict[BuyerRef, frozenset[str]],
) -> dict[str, int]:
    """Store every buyer's blocking and frequency keys anew; returns how many hold each."""
    stats = {ref: stat_keys(p) for ref, p in profiles.items()}
    clear_keys(conn)
    replace_keys(conn, blocking)
    replace_keys(conn, stats)  # the two kinds of key never collide
    counts: dict[str, int] = {}
    for held in chain(blocking.values(), stats.values()):
        for key in held:
            counts[key] = counts.get(key, 0) + 1
    return counts


def _learn_policy(links: Iterable[Link], accounts: set[str], params: dict[str, int]) -> set[str]:
    """Set each account's name policy from its sure links; return the noisy accounts."""
    counts = {account: [0, 0] for account in accounts}
    for link in links:
        if link.is_sure and link.a[0] == link.b[0]:
            counts[link.a[0]][0] += 1
            counts[link.a[0]][1] += link.has_typos
    for account, (sure, typos) in counts.items():
        params[NOISY_PARAM + account] = int(is_noisy(sure, typos))
    return {account for account in accounts if params[NOISY_PARAM + account]}
