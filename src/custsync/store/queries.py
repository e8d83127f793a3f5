"""Read-only queries for reports: tab rows, buyer membership and the order list, streamed."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import Select, func, select

from custsync.store import schema
from custsync.store.db import Store

STREAM_BATCH = 1000


class Tab(StrEnum):
    ALL = "all"
    HIGHEST_VALUE = "highest-value"
    MOST_ORDERS = "most-orders"
    MOST_RETURNS = "most-returns"
    PROMO_CODES = "promo-codes"
    WATCHLIST = "watchlist"


@dataclass(frozen=True, slots=True)
class CustomerRow:
    customer_id: str
    name: str | None
    email: str | None
    phone: str | None
    address: str | None
    zip: str | None
    city: str | None
    state: str | None
    country: str | None
    orders: int
    units: int
    amount_spent: Decimal
    currency: str
    discount_received: Decimal
    promo_codes_used: int
    negative_feedbacks: int
    returned_units: int
    seller_accounts: str
    first_order_at: datetime | None
    last_order_at: datetime | None


CUSTOMER_COLUMNS = tuple(CustomerRow.__slots__)


def _tab_query(tab: Tab) -> Select[tuple[object, ...]]:
    c = schema.customers
    query = select(*(c.c[name] for name in CUSTOMER_COLUMNS)).where(c.c.merged_into.is_(None))
    if tab is Tab.ALL:
        return query.order_by(c.c.last_order_at.desc().nulls_last(), c.c.customer_id)
    if tab is Tab.HIGHEST_VALUE:
        return query.order_by(c.c.amount_spent.desc(), c.c.customer_id)
    if tab is Tab.MOST_ORDERS:
        return query.order_by(c.c.orders.desc(), c.c.customer_id)
    if tab is Tab.MOST_RETURNS:
        return query.where(c.c.returned_units > 0).order_by(
            c.c.returned_units.desc(), c.c.customer_id
        )
    if tab is Tab.PROMO_CODES:
        return query.where(c.c.promo_codes_used > 0).order_by(
            c.c.discount_received.desc(), c.c.customer_id
        )
    w = schema.watchlist
    return query.join(w, w.c.customer_id == c.c.customer_id).order_by(
        w.c.added_at.desc(), c.c.customer_id
    )


def tab_rows(store: Store, tab: Tab) -> Iterator[CustomerRow]:
    """The rows of ``tab`` in contract order, streamed from the database."""
    with store.engine.connect() as conn:
        result = conn.execution_options(yield_per=STREAM_BATCH).execute(_tab_query(tab))
        for row in result:
            yield CustomerRow(**row._mapping)


def count_customers(store: Store) -> int:
    c = schema.customers
    with store.engine.connect() as conn:
        return int(
            conn.execute(select(func.count()).where(c.c.merged_into.is_(None))).scalar() or 0
        )


@dataclass(frozen=True, slots=True)
class BuyerRow:
    customer_id: str
    account_id: str
    marketplace: str
    buyer_key: str


def buyer_rows(store: Store) -> Iterator[BuyerRow]:
    b = schema.buyers
    query = select(b.c.customer_id, b.c.account_id, b.c.marketplace, b.c.buyer_key).order_by(
        b.c.customer_id, b.c.account_id, b.c.buyer_key
    )
    with store.engine.connect() as conn:
        for row in conn.execution_options(yield_per=STREAM_BATCH).execute(query):
            yield BuyerRow(**row._mapping)


@dataclass(frozen=True, slots=True)
class OrderRow:
    order_id: str
    account_id: str
    marketplace: str
    customer_id: str | None
    purchased_at: datetime
    status: str
    currency: str
    total: Decimal
    discount: Decimal
    units: int


def order_rows(store: Store) -> Iterator[OrderRow]:
    o, b = schema.orders, schema.buyers
    query = (
        select(
            o.c.order_id,
            o.c.account_id,
            o.c.marketplace,
            b.c.customer_id,
            o.c.purchased_at,
            o.c.status,
            o.c.currency,
            o.c.total,
            o.c.discount,
            o.c.units,
        )
        .select_from(
            o.outerjoin(b, (b.c.account_id == o.c.account_id) & (b.c.buyer_key == o.c.buyer_key))
        )
        .order_by(o.c.account_id, o.c.order_id)
    )
    with store.engine.connect() as conn:
        for row in conn.execution_options(yield_per=STREAM_BATCH).execute(query):
            yield OrderRow(**row._mapping)
