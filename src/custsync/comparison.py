"""``customers compare A B``: why two customers are two people, pair of buyers by pair; and
``customers compare A``: the other customers whose buyers the resolution compared with A's.

Each pair of their buyers is told as the resolution sees it (``pipeline.explain``): the
stored link or kept-apart pair when there is one, else the pair scored again from the stored
profiles and key counts, which says whether it was ever compared and what it lacks to link.
When a link does cross between the two, the clustering guard that keeps them apart is named.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from custsync.pipeline.clusters import apart_reason, fold_overrides
from custsync.pipeline.explain import Outcome, Verdict, explain_pair, link_verdict
from custsync.pipeline.facts import BuyerRef
from custsync.pipeline.identity import Link, is_usable_block
from custsync.pipeline.profiles import BuyerProfile, blocking_keys
from custsync.resolve import given_states
from custsync.store import schema
from custsync.store.annotations import resolve_customer
from custsync.store.customers import buyers_of, customer_ids_of
from custsync.store.db import Store
from custsync.store.identity import (
    explained_links,
    links_touching,
    load_params,
    ref_text,
)
from custsync.store.identity_keys import StoredStates, key_counts, key_members, load_profiles
from custsync.store.overrides import load_overrides


@dataclass(frozen=True, slots=True)
class Side:
    asked: str  # the id as given
    customer_id: str  # where it stands now (after merges)
    name: str | None
    buyers: tuple[BuyerRef, ...]


@dataclass(frozen=True, slots=True)
class BuyerPair:
    a: BuyerRef  # a buyer of the first customer
    b: BuyerRef  # one of the second
    verdict: Verdict


@dataclass(frozen=True, slots=True)
class Comparison:
    first: Side
    second: Side
    pairs: tuple[BuyerPair, ...]  # closest first
    apart: str | None  # why clustering keeps them apart although a link crosses

    @property
    def is_one(self) -> bool:
        return self.first.customer_id == self.second.customer_id


@dataclass(frozen=True, slots=True)
class Neighbour:
    side: Side  # another customer
    closest: BuyerPair  # of its pairs with the customer asked about (``a``: that one's buyer)
    compared: int  # how many of its buyers' pairs with that customer's were compared


@dataclass(frozen=True, slots=True)
class Neighbourhood:
    customer: Side
    neighbours: tuple[Neighbour, ...]  # closest first


def compare_customers(store: Store, first: str, second: str) -> Comparison:
    """Every pair of buyers of ``first`` and ``second``, explained (``StoreError``: an id is
    unknown)."""
    with store.engine.connect() as conn:
        one, two = _side(conn, first), _side(conn, second)
        if one.customer_id == two.customer_id:
            return Comparison(one, two, (), None)
        refs = one.buyers + two.buyers
        profiles = load_profiles(conn, refs)
        pairs = [(a, b) for a in one.buyers for b in two.buyers]
        stored = explained_links(conn, [_ordered(a, b) for a, b in pairs])
        shared = {k for a, b in pairs for k in _shared(profiles.get(a), profiles.get(b))}
        counts = key_counts(conn, shared)
        states = StoredStates(conn, given_states(load_params(conn)))
        judge = _Judge(profiles, stored, states, counts)
        found = [judge.pair(a, b) for a, b in pairs]
        links = _links_around(conn, refs)
        apart = apart_reason(one.buyers, two.buyers, links, fold_overrides(load_overrides(conn)))
    found.sort(key=_closeness)
    return Comparison(one, two, tuple(found), apart)


def nearest_customers(store: Store, asked: str) -> Neighbourhood:
    """Every other customer with a buyer that blocking pairs with a buyer of ``asked``,
    closest first, each with its closest pair explained (``StoreError``: unknown id)."""
    with store.engine.connect() as conn:
        me = _side(conn, asked)
        profiles = load_profiles(conn, me.buyers)
        states = StoredStates(conn, given_states(load_params(conn)))
        pairs = _candidate_pairs(conn, profiles, states, set(me.buyers))
        others = {b for _, b in pairs}
        profiles |= load_profiles(conn, others)
        stored = explained_links(conn, [_ordered(a, b) for a, b in pairs])
        judge = _Judge(profiles, stored, states, {})
        found = [judge.pair(a, b) for a, b in pairs]
        customer_of = customer_ids_of(conn, sorted(others))
        by_customer: dict[str, list[BuyerPair]] = {}
        for pair in found:
            if cid := customer_of.get(pair.b):  # none: a buyer not refreshed yet
                by_customer.setdefault(cid, []).append(pair)
        neighbours = [
            Neighbour(_side(conn, cid), min(near, key=_closeness), len(near))
            for cid, near in by_customer.items()
        ]
    neighbours.sort(key=lambda n: (_closeness(n.closest), n.side.customer_id))
    return Neighbourhood(me, tuple(neighbours))


def _candidate_pairs(
    conn: Connection,
    profiles: dict[BuyerRef, BuyerProfile],
    states: StoredStates,
    own: set[BuyerRef],
) -> list[tuple[BuyerRef, BuyerRef]]:
    """Each (buyer of ``profiles``, another buyer) pair sharing a usable blocking key."""
    keys = {ref: blocking_keys(p) for ref, p in profiles.items()}
    states.fetch(k for held in keys.values() for k in held)
    usable = {k for held in keys.values() for k in held if is_usable_block(k, states.get(k, 0))}
    members = key_members(conn, usable)
    found = {(a, b) for a, held in keys.items() for k in held for b in members.get(k, ())}
    return sorted(pair for pair in found if pair[1] not in own)


def _closeness(pair: BuyerPair) -> tuple[int, bool, float, BuyerRef, BuyerRef]:
    """Closest first: by outcome, then the higher score (a pair with none after the rest)."""
    score = pair.verdict.score
    return pair.verdict.outcome.rank, score is None, -(score or 0.0), pair.a, pair.b


def _side(conn: Connection, asked: str) -> Side:
    current = resolve_customer(conn, asked)
    c = schema.customers
    name = conn.execute(select(c.c.name).where(c.c.customer_id == current)).scalar_one()
    return Side(asked, current, name, tuple(sorted(buyers_of(conn, {current}))))


def _ordered(a: BuyerRef, b: BuyerRef) -> tuple[BuyerRef, BuyerRef]:
    return (a, b) if a < b else (b, a)


def _shared(a: BuyerProfile | None, b: BuyerProfile | None) -> frozenset[str]:
    return blocking_keys(a) & blocking_keys(b) if a and b else frozenset()


@dataclass(frozen=True, slots=True)
class _Judge:
    """Tells pairs of buyers: the stored finding, else ``explain_pair`` on the profiles."""

    profiles: dict[BuyerRef, BuyerProfile]
    stored: dict[tuple[BuyerRef, BuyerRef], Link]
    states: StoredStates
    counts: dict[str, int]  # of the blocking keys the pairs share (``explain_pair``)

    def pair(self, a: BuyerRef, b: BuyerRef) -> BuyerPair:
        return BuyerPair(a, b, self._verdict(a, b))

    def _verdict(self, a: BuyerRef, b: BuyerRef) -> Verdict:
        if link := self.stored.get(_ordered(a, b)):
            return link_verdict(link)
        bare = " and ".join(ref_text(ref) for ref in (a, b) if ref not in self.profiles)
        if bare:
            reason = f"nothing to match on for {bare} (no name or contact)"
            return Verdict(Outcome.NOT_COMPARED, reason)
        return explain_pair(self.profiles[a], self.profiles[b], self.states, self.counts)


def _links_around(conn: Connection, refs: tuple[BuyerRef, ...]) -> list[Link]:
    """The links of ``refs`` and of their partners (``clusters.apart_reason``)."""
    near = links_touching(conn, refs)
    partners = {ref for link in near for ref in (link.a, link.b)} - set(refs)
    more = links_touching(conn, partners) if partners else []
    return list({(x.a, x.b): x for x in near + more}.values())
