"""Customers from stored events: resolve identities, merge contact data, compute metrics.

Wiring between the store and the pure pipeline, in one transaction: ``resolve`` says which
buyers form which customers (only the touched ones and what they reach are redone), then each
customer gets a stable id (``pipeline.identity.assign_customer_ids``), its golden record,
metrics and original-currency totals. An id that no longer stands is kept as a pointer to the
customer that took its buyers. An incremental run leaves alone the customers it reclustered
into exactly what they were, with no new facts (only a link score moved), and the rows of the
buyers that stay in their customer with no new facts.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import structlog
from sqlalchemy import Connection

from custsync.collector import collector_paused
from custsync.pipeline.facts import BuyerFacts, BuyerRef
from custsync.pipeline.fx import FxTable
from custsync.pipeline.identity import assign_customer_ids, new_id_candidates
from custsync.pipeline.merge import golden_contact
from custsync.pipeline.metrics import compute_metrics, currency_totals
from custsync.pipeline.profiles import BuyerProfile, profile_to_json
from custsync.records import CustomerId
from custsync.resolve import Resolution, resolve
from custsync.store.customers import (
    CustomerRecord,
    buyer_counts,
    customer_ids_of,
    live_customer_ids,
    load_fx_rates,
    name_orders_customer,
    stale_buyer_refs,
    write_customers,
)
from custsync.store.db import Store
from custsync.store.facts import load_facts
from custsync.store.gone_buyers import drop_customers, order_owners, stray_orders, successors
from custsync.store.identity import set_link_customers, unowned_link_firsts
from custsync.store.identity_keys import load_profile_texts
from custsync.store.metrics_sql import customer_metrics
from custsync.store.metrics_write import write_metrics
from custsync.store.planner import GrowthStats

BATCH_BUYERS = 2000
PROGRESS_EVERY = 25_000  # customers written between two progress lines of a long refresh
log = structlog.get_logger()


def rebuild_customers(
    store: Store, touched: Iterable[BuyerRef] | None, *, base_currency: str, now: datetime
) -> int:
    """Recompute the customers of ``touched`` and stale buyers (all buyers when ``None``)."""
    refs = None if touched is None else set(touched) | set(stale_buyer_refs(store))
    fx = FxTable.from_rates(base_currency, load_fx_rates(store))
    started = time.perf_counter()
    with store.begin() as conn, collector_paused():  # profiles, keys, links: no cycles
        resolution = resolve(conn, refs, now=now)
        count = write_resolution(conn, resolution, fx, now=now)
    seconds = round(time.perf_counter() - started, 3)
    log.info("customers_rebuilt", scope=len(resolution.scope), customers=count, seconds=seconds)
    return count


def refresh_metrics(store: Store, *, base_currency: str, now: datetime) -> int:
    """Recompute every customer's metrics set-based in SQL, identities untouched (after
    exchange rates changed); returns how many customers have orders."""
    fx = FxTable.from_rates(base_currency, load_fx_rates(store))
    started = time.perf_counter()
    with store.begin() as conn:
        computed = customer_metrics(conn, fx)
        rewritten = write_metrics(conn, computed, now=now) if computed else 0
    seconds = round(time.perf_counter() - started, 3)
    log.info("metrics_refreshed", customers=len(computed), rewritten=rewritten, seconds=seconds)
    return len(computed)


def write_resolution(
    conn: Connection, resolution: Resolution, fx: FxTable, *, now: datetime
) -> int:
    """Give each cluster its id and write it as a customer; returns how many were written."""
    clusters = resolution.clusters
    previous = customer_ids_of(conn, resolution.scope)
    if resolution.retired:  # orders that went to a new buyer name the customer they had
        previous |= order_owners(conn, [r for r in resolution.scope if r not in previous])
    held = set(previous.values())
    live = live_customer_ids(conn, new_id_candidates(clusters)) - held
    assignment = assign_customer_ids(clusters, previous, live)
    left = set(resolution.retired.values()) - held  # customers whose only buyers went
    pending = list(zip(assignment.ids, clusters, strict=True))
    if resolution.renewed is not None:
        kept = unchanged_customers(conn, pending, previous, resolution.renewed)
        kept -= set(resolution.retired.values())  # a buyer went, and its orders' figures
        pending = [(cid, cluster) for cid, cluster in pending if cid not in kept]
    written = 0
    stats = GrowthStats(conn, enabled=resolution.renewed is None)  # a full run
    for batch in _batches(pending):
        refs = [ref for _, cluster in batch for ref in cluster]
        at_hand = resolution.facts or {}
        facts = {ref: at_hand[ref] for ref in refs if ref in at_hand}
        facts |= {f.ref: f for f in load_facts(conn, [r for r in refs if r not in facts])}
        standing = _standing_buyers(batch, previous, resolution.renewed)
        texts = _profile_texts(conn, [r for r in refs if r not in standing], resolution.profiles)
        records = [
            _record(cid, cluster, facts, texts, fx, standing=standing) for cid, cluster in batch
        ]
        write_customers(conn, records, {}, now=now)
        if (written + len(batch)) // PROGRESS_EVERY > written // PROGRESS_EVERY:
            log.info("customers_written", customers=written + len(batch), of=len(pending))
        written += len(batch)
        stats.wrote(written)
    strays = stray_orders(conn, resolution.renewed)  # orders moved: their buyers are renewed
    handed = successors(left, strays)  # customers whose buyers' orders went to another's
    merged = assignment.merged_into | handed
    write_customers(conn, [], merged, now=now, currency=fx.base_currency)
    owners = {ref: owner for ref, _, owner in strays}
    name_orders_customer(conn, [_owner_row(ref, owner) for ref, owner in sorted(owners.items())])
    drop_customers(conn, left - handed.keys())
    customer_of = {
        ref: cid for cid, cluster in zip(assignment.ids, clusters, strict=True) for ref in cluster
    }
    set_link_customers(conn, customer_of)
    set_link_customers(conn, customer_ids_of(conn, unowned_link_firsts(conn)))
    stats.finish()
    return len(clusters)


def unchanged_customers(
    conn: Connection,
    clusters: Sequence[tuple[CustomerId, tuple[BuyerRef, ...]]],
    previous: Mapping[BuyerRef, CustomerId],
    renewed: Collection[BuyerRef],
) -> set[CustomerId]:
    """Customers that stay exactly as stored: the same id and buyers as before, none of them
    with new facts (only a link score moved). Rewriting them would change nothing."""
    same = {
        cid: cluster
        for cid, cluster in clusters
        if all(previous.get(ref) == cid and ref not in renewed for ref in cluster)
    }
    members = buyer_counts(conn, same)
    return {cid for cid, cluster in same.items() if members.get(cid) == len(cluster)}


def _owner_row(ref: BuyerRef, owner: CustomerId) -> dict[str, Any]:
    return {"account_id": ref[0], "buyer_key": ref[1], "customer_id": owner}


def _standing_buyers(
    clusters: Sequence[tuple[CustomerId, tuple[BuyerRef, ...]]],
    previous: Mapping[BuyerRef, CustomerId],
    renewed: Collection[BuyerRef] | None,
) -> frozenset[BuyerRef]:
    """The buyers whose rows stand as stored: in the same customer as before and without new
    facts (``renewed``; ``None``: every buyer has them). Their customer is rewritten (another
    of its buyers has new orders), their own row would not change."""
    if renewed is None:
        return frozenset()
    return frozenset(
        ref
        for cid, cluster in clusters
        for ref in cluster
        if previous.get(ref) == cid and ref not in renewed
    )


def _batches(
    items: Sequence[tuple[CustomerId, tuple[BuyerRef, ...]]],
) -> Iterator[list[tuple[CustomerId, tuple[BuyerRef, ...]]]]:
    batch: list[tuple[CustomerId, tuple[BuyerRef, ...]]] = []
    size = 0
    for item in items:
        batch.append(item)
        size += len(item[1])
        if size >= BATCH_BUYERS:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def _profile_texts(
    conn: Connection, refs: Sequence[BuyerRef], profiles: Mapping[BuyerRef, BuyerProfile]
) -> dict[BuyerRef, str]:
    """The profile (JSON) to store for each of ``refs``: the one resolved, else the one stored
    (its buyer has no new facts, so it stands; written back as it reads). A buyer with
    neither keeps none: a profile is stored only with its keys (``resolve``), which read a
    buyer's old keys from its stored profile."""
    texts = {ref: profile_to_json(profiles[ref]) for ref in refs if ref in profiles}
    return texts | load_profile_texts(conn, [ref for ref in refs if ref not in texts])


def _record(
    customer_id: CustomerId,
    cluster: Sequence[BuyerRef],
    facts: dict[BuyerRef, BuyerFacts],
    texts: dict[BuyerRef, str],
    fx: FxTable,
    *,
    standing: frozenset[BuyerRef],
) -> CustomerRecord:
    buyers = tuple(facts[ref] for ref in cluster if ref in facts)
    orders = [order for buyer in buyers for order in buyer.orders]
    contacts = [contact for buyer in buyers for contact in buyer.contacts]
    written = [b for b in buyers if b.ref not in standing]
    return CustomerRecord(
        customer_id=customer_id,
        contact=golden_contact(orders, contacts),
        metrics=compute_metrics(orders, fx),
        buyers=buyers,
        totals=currency_totals(orders),
        profiles={b.ref: texts[b.ref] for b in written if b.ref in texts},
        standing=standing.intersection(cluster),
    )
