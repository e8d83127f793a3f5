"""Identity resolution in the store: which buyers to rescore, their links, their clusters.

Wiring between the store and the pure ``pipeline`` (profiles, scoring, clustering), run inside
the caller's transaction. Incremental: the touched buyers whose profile changed are rescored
against their candidates (a returning buyer with the same name, address and contacts keeps
its links), and so are the few holders of a spelling that stopped or started being rare;
between the other buyers only the pairs a key's change can reach are redone (the holders of
a frequency key whose weight moved, of a blocking key that became usable or not:
``pipeline.states``). Scores read each key's state from the stored counts as they ask for it.
A touched buyer with no facts left (its orders went to a stronger key) leaves with its keys
and links (``store.gone_buyers``). Then every customer a touched buyer is in is reclustered
with everything linked to it. Full: everything, in memory, without the buyers with no facts.
Both store the same keys, links and parameters for the same data (tests compare them).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import partial

import structlog
from sqlalchemy import Connection, delete

from custsync.name_policy import combine, learn_policy, policy_states, update_policy
from custsync.pipeline.clusters import Overrides, cluster, fold_overrides
from custsync.pipeline.facts import BuyerFacts, BuyerRef
from custsync.pipeline.identity import (
    RULES_VERSION,
    Link,
    block_members,
    find_links,
    find_links_both,
    is_usable_block,
)
from custsync.pipeline.profiles import BuyerProfile, blocking_keys, build_profile, stat_keys
from custsync.pipeline.states import (
    SATURATED,
    TOTAL_KEY,
    bits_move,
    capped_moves,
    is_stat_key,
    key_state,
    rarity_moves,
)
from custsync.records import CustomerId
from custsync.repair import fetch_stats, repair_links
from custsync.store import schema
from custsync.store.customers import all_refs, buyers_of, customer_ids_of
from custsync.store.facts import load_all_facts, load_facts
from custsync.store.gone_buyers import factless_buyers, order_owners, retire_buyers
from custsync.store.identity import (
    SureMoves,
    add_links,
    links_touching,
    load_params,
    replace_links,
    save_params,
)
from custsync.store.identity_keys import (
    StoredStates,
    key_members,
    load_profiles,
    profiled_among,
    profiled_buyer_count,
    replace_keys,
    store_all_keys,
)
from custsync.store.overrides import load_overrides

TOTAL_PARAM = "total_state"
RULES_PARAM = "rules_version"  # the ``RULES_VERSION`` of the last full resolution
KEEP_FACTS = 50_000  # a full run keeps the facts it read for the metrics up to this many buyers
log = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class Resolution:
    scope: tuple[BuyerRef, ...]  # every buyer whose customer is recomputed
    clusters: list[tuple[BuyerRef, ...]]  # the customers of ``scope``
    profiles: dict[BuyerRef, BuyerProfile]  # those at hand (all, in a full run)
    facts: dict[BuyerRef, BuyerFacts] | None = None  # those at hand (the touched buyers'; all)
    renewed: frozenset[BuyerRef] | None = None  # buyers with new facts (``None``: all of them)
    # buyers left with no facts, whose rows went (``store.gone_buyers``): the customer each had
    retired: Mapping[BuyerRef, CustomerId] = field(default_factory=dict)


def resolve(conn: Connection, touched: Collection[BuyerRef] | None, *, now: datetime) -> Resolution:
    """Resolve ``touched`` buyers (``None``: every buyer) and return what to recompute."""
    params = load_params(conn)
    if touched is None:
        return _resolve_all(conn, params, now)
    facts = {f.ref: f for f in load_facts(conn, sorted(set(touched)))}
    vanished = set(touched) - facts.keys() | _left_behind(conn, facts)
    gone = load_profiles(conn, vanished)  # their keys, to take out
    retired = retire_buyers(conn, vanished)
    if reason := _full_reason(conn, facts.keys(), params):  # rescore everything
        log.info("identity_full_rescore", reason=reason)
        everyone = _resolve_all(conn, params, now)
        return replace(everyone, retired={**everyone.retired, **retired})
    fresh = {ref: build_profile(f) for ref, f in facts.items()}
    moved, profiles = _relink(conn, fresh, gone, params, now)
    left = set(buyers_of(conn, set(retired.values())))  # the rest of a gone buyer's customer
    found = _cluster_scope(conn, moved | set(fresh) | left, profiles)  # new orders: new metrics
    return replace(found, facts=facts, renewed=frozenset(fresh), retired=retired)


def _left_behind(conn: Connection, facts: Mapping[BuyerRef, BuyerFacts]) -> set[BuyerRef]:
    """Buyers a run left with no facts when it stopped before its refresh (their orders went
    to a stronger key): the others of the customers that the orders of ``facts``' buyers not
    resolved yet still name (``store.ingest`` keeps that customer until they have one)."""
    unresolved = set(facts) - set(customer_ids_of(conn, sorted(facts)))
    named = set(order_owners(conn, unresolved).values())
    others = set(buyers_of(conn, named)) - facts.keys() if named else set()
    return others - {f.ref for f in load_facts(conn, sorted(others))}


def _relink(
    conn: Connection,
    fresh: dict[BuyerRef, BuyerProfile],
    gone: dict[BuyerRef, BuyerProfile],
    params: dict[str, int],
    now: datetime,
) -> tuple[set[BuyerRef], dict[BuyerRef, BuyerProfile]]:
    """Store the keys and links of the touched buyers whose profile changed (``fresh``: every
    touched buyer's) and take out those of the buyers with no facts left (``gone``: their
    stored profiles), repair the pairs whose keys' counts moved, update the name policies.
    Returns every buyer whose links may have moved, and the profiles at hand."""
    stored = load_profiles(conn, fresh.keys())
    changed = {ref: p for ref, p in fresh.items() if stored.get(ref) != p}
    reblocked, reweighed, rarity, held = _store_keys(conn, changed, stored | gone, params, gone)
    dropped = replace_links(conn, links_touching(conn, gone.keys()), [], now=now)
    rescore = set(changed) | {ref for refs in key_members(conn, rarity).values() for ref in refs}
    profiles = dict(fresh) | load_profiles(conn, rescore - fresh.keys())
    states = StoredStates(conn, given_states(params), held)
    relinked = _rescore(conn, rescore, profiles, states, now)
    repaired, moves = repair_links(
        conn, reblocked, reweighed, rescore, profiles, states=states, now=now
    )
    moved = rescore | repaired
    accounts = {ref[0] for ref in moved | set(gone)}
    flipped = update_policy(conn, accounts, params, combine(relinked, moves, dropped), now=now)
    if flipped:
        extra = set(_account_refs(conn, flipped)) - rescore
        profiles |= load_profiles(conn, extra)
        rescore |= extra
        states = StoredStates(conn, given_states(params), held)  # the new name policies
        relinked = _rescore(conn, rescore, profiles, states, now)
        update_policy(conn, flipped, params, relinked, now=now)  # sure links stay: no new flip
        moved |= rescore
    return moved, profiles


def _full_reason(
    conn: Connection, touched: Collection[BuyerRef], params: dict[str, int]
) -> str | None:
    """Why resolving ``touched`` has to rescore every buyer (every weight moves, or the rules
    changed), if it does."""
    if TOTAL_PARAM not in params:
        return "no buyer resolved yet"
    if params.get(RULES_PARAM) != RULES_VERSION:
        return "the matching rules changed since the buyers were resolved"
    new = len(set(touched)) - len(profiled_among(conn, touched))
    if key_state(profiled_buyer_count(conn, at_most=SATURATED) + new) != params[TOTAL_PARAM]:
        return "the number of buyers crossed a power of two"
    return None


def _store_keys(
    conn: Connection,
    fresh: dict[BuyerRef, BuyerProfile],
    stored: dict[BuyerRef, BuyerProfile],
    params: dict[str, int],
    gone: Collection[BuyerRef] = (),
) -> tuple[set[str], dict[str, bool], set[str], dict[str, int]]:
    """Store the new keys of ``fresh`` instead of those of their ``stored`` profiles, and none
    for the ``gone`` buyers (they have no facts left). Returns
    every blocking key that became usable or unusable (the pairs of its holders may have
    become or stopped being candidates), every frequency key whose weight moved (only pairs
    of its holders need rescoring) with whether it moved below the cap of the scores beside
    a shared e-mail or phone too (``states.CappedStates``), every frequency key that stopped
    or started being rare (its few holders are rescored whole), and how many now hold each
    key whose count moved (the scores need not read those again)."""
    new = {ref: _keys(p) for ref, p in fresh.items()} | dict.fromkeys(gone, frozenset[str]())
    old = {ref: _keys(stored[ref]) for ref in new if ref in stored}
    counted = replace_keys(conn, new, old)
    total = params.get(TOTAL_PARAM, 0)
    reweighed: dict[str, bool] = {}
    reblocked: set[str] = set()
    rarity: set[str] = set()
    for k, (one, two) in counted.items():
        if is_stat_key(k):
            if bits_move(k, one, two, total):
                reweighed[k] = capped_moves(k, one, two)
            if rarity_moves(k, one, two):
                rarity.add(k)
        elif is_usable_block(k, key_state(one)) != is_usable_block(k, key_state(two)):
            reblocked.add(k)
    return reblocked, reweighed, rarity, {k: after for k, (_, after) in counted.items()}


def _keys(profile: BuyerProfile) -> frozenset[str]:
    return blocking_keys(profile) | stat_keys(profile)


def _rescore(
    conn: Connection,
    rescore: set[BuyerRef],
    profiles: dict[BuyerRef, BuyerProfile],
    states: StoredStates,
    now: datetime,
) -> SureMoves:
    """Find every link of ``rescore`` against its candidates and store them."""
    keys = {key for ref in rescore for key in blocking_keys(profiles[ref])}
    states.fetch(keys)
    members = key_members(conn, [k for k in keys if is_usable_block(k, states.get(k, 0))])
    candidates = {ref for refs in members.values() for ref in refs}
    profiles |= load_profiles(conn, candidates - set(profiles))
    present = {k: [r for r in refs if r in profiles] for k, refs in members.items()}
    prepare = partial(fetch_stats, states, profiles)
    links = find_links(rescore, profiles, present, states, prepare=prepare)
    return replace_links(conn, links_touching(conn, rescore), links, now=now)


def _full_states(counts: dict[str, int], params: dict[str, int]) -> dict[str, int]:
    return {key: key_state(n) for key, n in counts.items()} | given_states(params)


def given_states(params: dict[str, int]) -> dict[str, int]:
    """The states entries that are no stored key: the number of buyers, the name policies."""
    return {TOTAL_KEY: params.get(TOTAL_PARAM, 0)} | policy_states(params)


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
        reached |= _override_partners(conn, overrides, frontier)
        frontier = reached - scope
        scope |= frontier
    inside = [link for link in links.values() if link.a in scope and link.b in scope]
    return Resolution(tuple(sorted(scope)), cluster(scope, inside, overrides), profiles)


def _override_partners(
    conn: Connection, overrides: Overrides, refs: Collection[BuyerRef]
) -> set[BuyerRef]:
    """The buyers an operator merged with any of ``refs`` (but those gone since)."""
    partners = {ref for group in overrides.merge_groups if group & set(refs) for ref in group}
    return set(customer_ids_of(conn, sorted(partners - set(refs)))) | (partners & set(refs))


# ---------------------------------------------------------------- full


def _resolve_all(conn: Connection, params: dict[str, int], now: datetime) -> Resolution:
    """Every buyer, in memory; logs ``identity_full_progress`` after each step (minutes at
    500k buyers)."""
    step = _Steps()
    retired = retire_buyers(conn, factless_buyers(conn))
    facts: dict[BuyerRef, BuyerFacts] | None = {}
    profiles: dict[BuyerRef, BuyerProfile] = {}
    for found in load_all_facts(conn):
        profiles[found.ref] = build_profile(found)
        if facts is not None:
            facts[found.ref] = found
            facts = facts if len(facts) <= KEEP_FACTS else None
    step("profiles", profiles=len(profiles))
    blocking = {ref: blocking_keys(p) for ref, p in profiles.items()}
    members = block_members(blocking)
    counts = _store_all_keys(conn, profiles, members)
    step("keys", keys=len(counts))
    params[TOTAL_PARAM] = key_state(len(profiles))
    params[RULES_PARAM] = RULES_VERSION
    strict, tolerant = find_links_both(profiles, members, _full_states(counts, params), blocking)
    noisy = learn_policy(strict, {ref[0] for ref in profiles}, params)
    links = [x for x in strict if not (x.a[0] in noisy and x.b[0] in noisy)]
    links += [x for x in tolerant if x.a[0] in noisy and x.b[0] in noisy]
    links.sort(key=lambda x: (x.a, x.b))
    conn.execute(delete(schema.identity_links))
    add_links(conn, links, now=now)
    save_params(conn, params, now=now)
    step("links", links=len(links))
    overrides = fold_overrides(load_overrides(conn))
    clusters = cluster(profiles, links, overrides)
    step("clusters", customers=len(clusters))
    return Resolution(tuple(sorted(profiles)), clusters, profiles, facts, retired=retired)


class _Steps:
    """Logs each step of a long run as it ends, with the seconds since the run began."""

    def __init__(self) -> None:
        self._started = time.perf_counter()

    def __call__(self, name: str, **counts: int) -> None:
        seconds = round(time.perf_counter() - self._started, 1)
        log.info("identity_full_progress", step=name, seconds=seconds, **counts)


def _store_all_keys(
    conn: Connection,
    profiles: dict[BuyerRef, BuyerProfile],
    members: dict[str, list[BuyerRef]],
) -> dict[str, int]:
    """Store every buyer's frequency keys and blocking keys (``members``: each with its
    holders) anew; returns how many hold each."""
    stats = block_members({ref: stat_keys(p) for ref, p in profiles.items()})
    store_all_keys(conn, members, stats)  # the two kinds of key never collide
    return {key: len(refs) for part in (members, stats) for key, refs in part.items()}
