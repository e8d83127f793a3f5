"""``customers compare A B``: why two customers are two people, pair of buyers by pair.

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
from custsync.pipeline.identity import Link
from custsync.pipeline.profiles import BuyerProfile, blocking_keys
from custsync.resolve import given_states
from custsync.store import schema
from custsync.store.annotations import resolve_customer
from custsync.store.customers import buyers_of
from custsync.store.db import Store
from custsync.store.identity import explained_links, links_touching, load_overrides, load_params
from custsync.store.identity_keys import StoredStates, key_counts, load_profiles


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
        found = [
            BuyerPair(
                a, b, _verdict(a, b, profiles=profiles, stored=stored, states=states, counts=counts)
            )
            for a, b in pairs
        ]
        links = _links_around(conn, refs)
        apart = apart_reason(one.buyers, two.buyers, links, fold_overrides(load_overrides(conn)))
    found.sort(key=lambda p: (p.verdict.outcome.rank, -(p.verdict.score or 0.0), p.a, p.b))
    return Comparison(one, two, tuple(found), apart)


def _side(conn: Connection, asked: str) -> Side:
    current = resolve_customer(conn, asked)
    c = schema.customers
    name = conn.execute(select(c.c.name).where(c.c.customer_id == current)).scalar_one()
    return Side(asked, current, name, tuple(sorted(buyers_of(conn, {current}))))


def _ordered(a: BuyerRef, b: BuyerRef) -> tuple[BuyerRef, BuyerRef]:
    return (a, b) if a < b else (b, a)


def _shared(a: BuyerProfile | None, b: BuyerProfile | None) -> frozenset[str]:
    return blocking_keys(a) & blocking_keys(b) if a and b else frozenset()


def _verdict(
    a: BuyerRef,
    b: BuyerRef,
    *,
    profiles: dict[BuyerRef, BuyerProfile],
    stored: dict[tuple[BuyerRef, BuyerRef], Link],
    states: StoredStates,
    counts: dict[str, int],
) -> Verdict:
    if link := stored.get(_ordered(a, b)):
        return link_verdict(link)
    bare = [f"{ref[0]}:{ref[1]}" for ref in (a, b) if ref not in profiles]
    if bare:
        what = " and ".join(bare)
        return Verdict(Outcome.NOT_COMPARED, f"nothing to match on for {what} (no name or contact)")
    return explain_pair(profiles[a], profiles[b], states, counts)


def _links_around(conn: Connection, refs: tuple[BuyerRef, ...]) -> list[Link]:
    """The links of ``refs`` and of their partners (``clusters.apart_reason``)."""
    near = links_touching(conn, refs)
    partners = {ref for link in near for ref in (link.a, link.b)} - set(refs)
    more = links_touching(conn, partners) if partners else []
    return list({(x.a, x.b): x for x in near + more}.values())
