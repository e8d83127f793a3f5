"""Buyers left with no order and no contact row, and the customers they leave behind.

A buyer goes when every order it had was seen again under a stronger key (an Amazon order
first read without the buyer's e-mail, so under a key derived from the recipient, then with
it): a full rebuild knows no such buyer, so a refresh drops its row (and ``resolve`` its keys
and links). The order keeps naming the gone buyer's customer until the refresh after
(``store.ingest``): a new buyer with no customer yet takes that customer over; a new buyer
that has one takes it in, and the gone buyer's customer is recorded as merged into it (its
notes and watchlist entry follow, as after any merge). A customer left with no buyer that
no order names is deleted.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from typing import Any

from sqlalchemy import Connection, delete, exists, select

from custsync.pipeline.facts import BuyerRef
from custsync.records import AccountId, BuyerKey, CustomerId
from custsync.store import schema
from custsync.store.customers import customer_ids_of
from custsync.store.refs import chunks, one_of, pair_filters, pair_rows


def retire_buyers(conn: Connection, refs: Collection[BuyerRef]) -> dict[BuyerRef, CustomerId]:
    """Delete the rows of ``refs`` (buyers with no facts left; their profile goes with the
    row); returns the customer each had."""
    had = customer_ids_of(conn, sorted(refs))
    b = schema.buyers
    for where in pair_filters(b.c.account_id, b.c.buyer_key, sorted(had)):
        conn.execute(delete(b).where(where))
    return had


def factless_buyers(conn: Connection) -> list[BuyerRef]:
    """Every buyer with a row but no order and no contact row (a full run drops them)."""
    b, o, c = schema.buyers, schema.orders, schema.contacts
    has_orders = exists().where(o.c.account_id == b.c.account_id, o.c.buyer_key == b.c.buyer_key)
    has_contacts = exists().where(c.c.account_id == b.c.account_id, c.c.buyer_key == b.c.buyer_key)
    query = select(b.c.account_id, b.c.buyer_key).where(~has_orders, ~has_contacts)
    return sorted((AccountId(a), BuyerKey(k)) for a, k in conn.execute(query))


def order_owners(conn: Connection, refs: Collection[BuyerRef]) -> dict[BuyerRef, CustomerId]:
    """The customer the orders of each of ``refs`` name, for those whose orders name one
    (a buyer not resolved yet whose orders came from a buyer that went)."""
    query = (
        "SELECT account_id, buyer_key, customer_id FROM orders"
        " WHERE account_id = %s AND customer_id IS NOT NULL AND buyer_key {}"
    )
    found: dict[BuyerRef, CustomerId] = {}
    for account, key, cid in pair_rows(conn, query, sorted(refs)):
        ref = (AccountId(account), BuyerKey(key))
        found[ref] = min(found.get(ref, cid), cid)  # orders of two gone buyers: the smaller
    return found


def stray_orders(
    conn: Connection, refs: Collection[BuyerRef] | None
) -> list[tuple[BuyerRef, CustomerId, CustomerId]]:
    """(buyer, a customer some of its orders name, the buyer's customer) wherever the two
    differ, for the buyers of ``refs`` (``None``: every buyer): orders that went to another
    buyer key keep naming the customer they had until the refresh after (``store.ingest``)."""
    query = (
        "SELECT DISTINCT o.account_id, o.buyer_key, o.customer_id, b.customer_id"
        " FROM orders AS o JOIN buyers AS b"
        " ON b.account_id = o.account_id AND b.buyer_key = o.buyer_key"
        " WHERE o.customer_id <> b.customer_id"
    )
    if refs is None:
        rows: Iterable[Any] = conn.exec_driver_sql(query)
    else:
        rows = pair_rows(conn, f"{query} AND o.account_id = %s AND o.buyer_key {{}}", refs)
    return sorted(
        ((AccountId(a), BuyerKey(k)), CustomerId(named), CustomerId(owner))
        for a, k, named, owner in rows
    )


def successors(
    left: Collection[CustomerId], strays: Iterable[tuple[BuyerRef, CustomerId, CustomerId]]
) -> dict[CustomerId, CustomerId]:
    """For each customer of ``left`` (whose buyers went) that orders still name, the customer
    now holding most of the buyers of those orders (ties: the smaller id): it is recorded as
    merged into that one, as when two customers merge."""
    holders: dict[CustomerId, Counter[CustomerId]] = {}
    for _, named, owner in strays:
        if named in left:
            holders.setdefault(named, Counter())[owner] += 1
    return {
        old: min(counts, key=lambda cid: (-counts[cid], cid)) for old, counts in holders.items()
    }


def drop_customers(conn: Connection, customer_ids: Collection[str]) -> None:
    """Delete those of ``customer_ids`` (customers left with no buyer) that no order names,
    with their totals."""
    c, t, o = schema.customers, schema.customer_totals, schema.orders
    for chunk in chunks(sorted(customer_ids)):
        named = select(o.c.customer_id).where(one_of(o.c.customer_id, chunk)).distinct()
        unnamed = sorted(set(chunk) - set(conn.execute(named).scalars()))
        if unnamed:
            conn.execute(delete(t).where(one_of(t.c.customer_id, unnamed)))
            conn.execute(delete(c).where(one_of(c.c.customer_id, unnamed)))
