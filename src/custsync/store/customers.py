"""Which buyers need resolving, and writing customers, their buyers and totals back."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Subquery,
    bindparam,
    delete,
    func,
    insert,
    select,
    true,
    union,
    update,
)

from custsync.pipeline.facts import BuyerFacts, BuyerRef
from custsync.pipeline.fx import FxRate
from custsync.pipeline.merge import Contact, latest_sighting
from custsync.pipeline.metrics import CurrencyTotal, Metrics
from custsync.records import AccountId, BuyerKey, CustomerId
from custsync.store import schema
from custsync.store.annotations import follow_merges
from custsync.store.db import Store
from custsync.store.facts import load_buyer_facts
from custsync.store.refs import (
    chunks,
    insert_rows,
    one_of,
    over_arrays,
    pair_filters,
    pair_rows,
    rows_in,
)

__all__ = ["BuyerRef", "load_buyer_facts"]


def all_buyer_refs(store: Store) -> list[BuyerRef]:
    """Every (account, buyer key) that has an order or an imported contact row."""
    with store.engine.connect() as conn:
        return all_refs(conn)


def all_refs(conn: Connection) -> list[BuyerRef]:
    o, c = schema.orders, schema.contacts
    query = union(
        select(o.c.account_id, o.c.buyer_key).where(o.c.buyer_key.is_not(None)),
        select(c.c.account_id, c.c.buyer_key),
    )
    return sorted((AccountId(a), BuyerKey(k)) for a, k in conn.execute(query))


STALE_MARGIN = timedelta(hours=1)  # a write still committing, or a worker's clock behind


def stale_buyer_refs(store: Store) -> list[BuyerRef]:
    """Buyers whose customer is missing or older than one of their stored orders, or than a
    return, feedback or promo use of one of their orders.

    This is what makes customer refresh crash-safe: a sync that stored pages but died before
    refreshing leaves its buyers stale, and the next refresh picks them up. Imported contacts
    newer than their buyer row are stale too. (A store that never resolved identities gets a
    full resolution on its first refresh: ``resolve``.) Only changes stored after
    ``refreshed_through`` are looked at (indexed), so the cost follows what is new.
    """
    with store.engine.connect() as conn:
        since = refreshed_through(conn)
        queries = [select(q.c.account_id, q.c.buyer_key) for q in _stale_changes(since)]
        rows = conn.execute(union(*queries))
        return sorted((AccountId(a), BuyerKey(k)) for a, k in rows)


def stale_since(store: Store) -> datetime | None:
    """When the oldest change not yet in its customer was stored (``None``: all refreshed).

    A refresh that keeps failing (say, a missing exchange rate) shows here as a growing age."""
    with store.engine.connect() as conn:
        since = refreshed_through(conn)
        found = [
            conn.execute(select(func.min(q.c.changed_at))).scalar() for q in _stale_changes(since)
        ]
    moments = [m for m in found if m is not None]
    return min(moments) if moments else None


def refreshed_through(conn: Connection) -> datetime | None:
    """Every change stored before this moment is in its customer (``None``: nothing known).

    A refresh starting at S stamps the buyers it writes with S and takes in every change stored
    before it; one that fails writes nothing. So the newest buyer stamp, less a margin for
    writes still committing then and for clocks apart, bounds what can still be stale."""
    newest = conn.execute(select(func.max(schema.buyers.c.updated_at))).scalar()
    return newest - STALE_MARGIN if newest is not None else None


def _stale_changes(since: datetime | None) -> list[Subquery]:
    """(account, buyer key, changed_at) of every change stored after ``since`` (``None``:
    ever) that is newer than its buyer's row."""
    o, b = schema.orders, schema.buyers
    joined = o.outerjoin(b, (b.c.account_id == o.c.account_id) & (b.c.buyer_key == o.c.buyer_key))
    queries = [
        select(o.c.account_id, o.c.buyer_key, o.c.ingested_at.label("changed_at"))
        .select_from(joined)
        .where(o.c.buyer_key.is_not(None))
        .where(b.c.buyer_key.is_(None) | (o.c.ingested_at > b.c.updated_at))
        .where(_after(o.c.ingested_at, since))
    ]
    for event in (schema.returns, schema.feedback, schema.promo_uses):
        on_order = (event.c.account_id == o.c.account_id) & (event.c.order_id == o.c.order_id)
        queries.append(
            select(o.c.account_id, o.c.buyer_key, event.c.ingested_at.label("changed_at"))
            .select_from(joined.join(event, on_order))
            .where(o.c.buyer_key.is_not(None), b.c.buyer_key.is_not(None))
            .where(event.c.ingested_at > b.c.updated_at)
            .where(_after(event.c.ingested_at, since))
        )
    c = schema.contacts
    on_buyer = (b.c.account_id == c.c.account_id) & (b.c.buyer_key == c.c.buyer_key)
    queries.append(
        select(c.c.account_id, c.c.buyer_key, c.c.imported_at.label("changed_at"))
        .select_from(c.outerjoin(b, on_buyer))
        .where(b.c.buyer_key.is_(None) | (c.c.imported_at > b.c.updated_at))
        .where(_after(c.c.imported_at, since))
    )
    return [query.subquery() for query in queries]


def _after(column: ColumnElement[datetime], since: datetime | None) -> ColumnElement[bool]:
    return column > since if since is not None else true()


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    customer_id: CustomerId
    contact: Contact
    metrics: Metrics
    buyers: tuple[BuyerFacts, ...]
    totals: tuple[CurrencyTotal, ...] = ()
    profiles: Mapping[BuyerRef, str] = field(default_factory=dict)  # JSON per buyer written
    standing: frozenset[BuyerRef] = frozenset()  # buyers whose rows stay as stored


def save_customers(store: Store, records: Sequence[CustomerRecord], *, now: datetime) -> None:
    """Replace the given customers and the buyer rows that point at them, in one transaction."""
    with store.begin() as conn:
        write_customers(conn, records, {}, now=now)


def write_customers(
    conn: Connection,
    records: Sequence[CustomerRecord],
    merged_into: Mapping[CustomerId, CustomerId],
    *,
    now: datetime,
    currency: str = "USD",
) -> None:
    """Replace ``records`` and their buyer rows (but those ``standing``); each id of
    ``merged_into`` stays only as a pointer to the customer that took its buyers (notes and
    watchlist entries follow it)."""
    c, t, b = schema.customers, schema.customer_totals, schema.buyers
    ids = sorted({r.customer_id for r in records} | set(merged_into))
    written = [(r, x) for r in records for x in r.buyers if x.ref not in r.standing]
    refs = [(x.account_id, x.buyer_key) for _, x in written]
    for chunk in chunks(ids):
        conn.execute(delete(c).where(one_of(c.c.customer_id, chunk)))
        conn.execute(delete(t).where(one_of(t.c.customer_id, chunk)))
    held = customer_ids_of(conn, refs)  # whose orders name that customer already
    for where in pair_filters(b.c.account_id, b.c.buyer_key, refs):
        conn.execute(delete(b).where(where))
    # rows go in primary-key order, as a sync's identity keys do (``identity_keys._write_keys``)
    rows = [_customer_row(r, now) for r in records]
    rows += [_tombstone(old, new, currency, now) for old, new in sorted(merged_into.items())]
    rows.sort(key=lambda row: row["customer_id"])
    insert_rows(conn, c, rows)
    follow_merges(conn, merged_into)
    buyer_rows = sorted(
        (_buyer_row(r, x, now) for r, x in written),
        key=lambda row: (row["account_id"], row["buyer_key"]),
    )
    insert_rows(conn, b, buyer_rows)
    moved = [
        r for r in buyer_rows if held.get((r["account_id"], r["buyer_key"])) != r["customer_id"]
    ]
    name_orders_customer(conn, moved)
    totals = sorted(
        (_total_row(r.customer_id, total) for r in records for total in r.totals),
        key=lambda row: (row["customer_id"], row["currency"]),
    )
    insert_rows(conn, t, totals)


def name_orders_customer(conn: Connection, buyer_rows: Sequence[dict[str, Any]]) -> None:
    """The orders of these buyers, new or moved to another customer, name their customer
    (``orders.customer_id``, which the metrics of the whole store group by); the orders of
    a buyer that stays where it was name it already. Only the orders naming another one are
    written: an order row is wide (it keeps its source), and rewriting one costs."""
    o = schema.orders
    params = [
        {"account": r["account_id"], "key": r["buyer_key"], "owner": r["customer_id"]}
        for r in buyer_rows
    ]
    if conn.dialect.name == "postgresql":
        over_arrays(conn, _NAME_ORDERS, [tuple(p.values()) for p in params])
        return
    stale = o.c.customer_id.is_distinct_from(bindparam("owner"))
    mine = (o.c.account_id == bindparam("account"), o.c.buyer_key == bindparam("key"))
    named = update(o).where(*mine, stale).values(customer_id=bindparam("owner"))
    for batch in chunks(params, 2000):
        conn.execute(named, batch)


_NAME_ORDERS = (  # the same on PostgreSQL, over the buyers as arrays (``refs.over_arrays``)
    "UPDATE orders AS o SET customer_id = r.owner"
    " FROM unnest(%b::text[], %b::text[], %b::text[]) AS r (account, key, owner)"
    " WHERE o.account_id = r.account AND o.buyer_key = r.key"
    " AND o.customer_id IS DISTINCT FROM r.owner"
)


def _customer_row(record: CustomerRecord, now: datetime) -> dict[str, Any]:
    m, c = record.metrics, record.contact
    return {
        "customer_id": record.customer_id,
        "name": c.name,
        "email": c.email,
        "phone": c.phone,
        "address": c.address,
        "zip": c.zip,
        "city": c.city,
        "state": c.state,
        "country": c.country,
        "orders": m.orders,
        "units": m.units,
        "amount_spent": m.amount_spent,
        "currency": m.currency,
        "discount_received": m.discount_received,
        "promo_codes_used": m.promo_codes_used,
        "promo_codes": ";".join(m.promo_codes),
        "negative_feedbacks": m.negative_feedbacks,
        "returned_units": m.returned_units,
        "seller_accounts": ";".join(m.seller_accounts),
        "first_order_at": m.first_order_at,
        "last_order_at": m.last_order_at,
        "merged_into": None,
        "updated_at": now,
    }


def _tombstone(old: CustomerId, new: CustomerId, currency: str, now: datetime) -> dict[str, Any]:
    zero = Decimal(0)
    empty = Metrics(0, 0, zero, currency, zero, (), 0, 0, (), None, None)
    row = _customer_row(CustomerRecord(old, Contact(), empty, ()), now)
    return row | {"merged_into": new}


def _buyer_row(record: CustomerRecord, buyer: BuyerFacts, now: datetime) -> dict[str, Any]:
    latest = latest_sighting(buyer.orders, buyer.contacts)
    return {
        "account_id": buyer.account_id,
        "buyer_key": buyer.buyer_key,
        "marketplace": buyer.marketplace,
        "customer_id": record.customer_id,
        "is_weak_key": buyer.is_weak_key,
        **{name: getattr(latest, name) for name in schema.BUYER_FIELDS},
        "updated_at": now,
        "profile": record.profiles.get((buyer.account_id, buyer.buyer_key)),
    }


def _total_row(customer_id: CustomerId, total: CurrencyTotal) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "currency": total.currency,
        "orders": total.orders,
        "amount_spent": total.amount_spent,
        "discount_received": total.discount_received,
    }


def customer_ids_of(conn: Connection, refs: Sequence[BuyerRef]) -> dict[BuyerRef, CustomerId]:
    """The customer each buyer belongs to now (buyers never resolved are left out)."""
    query = (
        "SELECT account_id, buyer_key, customer_id FROM buyers"
        " WHERE account_id = %s AND buyer_key {}"
    )
    return {
        (AccountId(account), BuyerKey(key)): CustomerId(cid)
        for account, key, cid in pair_rows(conn, query, refs)
    }


def buyers_of(conn: Connection, customer_ids: Collection[str]) -> list[BuyerRef]:
    b = schema.buyers
    found: list[BuyerRef] = []
    for chunk in chunks(sorted(customer_ids)):
        query = select(b.c.account_id, b.c.buyer_key).where(one_of(b.c.customer_id, chunk))
        found += [(AccountId(a), BuyerKey(k)) for a, k in conn.execute(query)]
    return sorted(found)


def buyer_counts(conn: Connection, customer_ids: Collection[str]) -> dict[CustomerId, int]:
    """How many buyers each of ``customer_ids`` has now."""
    b = schema.buyers
    found: dict[CustomerId, int] = {}
    for chunk in chunks(sorted(customer_ids)):
        query = (
            select(b.c.customer_id, func.count())
            .where(one_of(b.c.customer_id, chunk))
            .group_by(b.c.customer_id)
        )
        found |= {CustomerId(cid): int(n) for cid, n in conn.execute(query)}
    return found


def live_customer_ids(conn: Connection, candidates: Collection[str]) -> set[CustomerId]:
    """Which of ``candidates`` name a customer that stands (not merged into another)."""
    query = "SELECT customer_id FROM customers WHERE merged_into IS NULL AND customer_id {}"
    return {CustomerId(cid) for (cid,) in rows_in(conn, query, candidates)}


def load_fx_rates(store: Store) -> list[FxRate]:
    t = schema.fx_rates
    with store.engine.connect() as conn:
        return [
            FxRate(r.currency, r.base_currency, r.valid_from, r.rate)
            for r in conn.execute(select(t))
        ]


def set_fx_rate(store: Store, rate: FxRate) -> None:
    t = schema.fx_rates
    with store.begin() as conn:
        conn.execute(
            delete(t).where(
                t.c.currency == rate.currency,
                t.c.base_currency == rate.base_currency,
                t.c.valid_from == rate.valid_from,
            )
        )
        conn.execute(
            insert(t).values(
                currency=rate.currency,
                base_currency=rate.base_currency,
                valid_from=rate.valid_from,
                rate=rate.rate,
            )
        )
