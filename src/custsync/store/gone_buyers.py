"""Buyers left with no order and no contact row, and the customers they leave behind.

A buyer goes when every order it had was seen again under a stronger key (an Amazon order
first read without the buyer's e-mail, so under a key derived from the recipient, then with
it): a full rebuild knows no such buyer, so a refresh drops its row (and ``resolve`` its keys
and links). The order keeps naming the gone buyer's customer until its new buyer has one
(``store.ingest``), so that customer passes to the new buyer; one left with no buyer and no
order is deleted.
"""

from __future__ import annotations

from collections.abc import Collection

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
