"""The read-only API reports use: tab rows, filtered exports, the HTML feed, customer detail,
buyer membership and the order list, all streamed or bounded.

Reports import from here only; the queries live in small modules (``tabs``, ``filters``,
``feed``, ``detail``) and are re-exported below.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select

from custsync.store import schema
from custsync.store.annotations import Note, WatchEntry
from custsync.store.db import Store
from custsync.store.detail import (
    AccountInfo,
    Alternates,
    BuyerInfoRow,
    CustomerDetail,
    FeedbackDetail,
    LineDetail,
    LinkDetail,
    OrderDetail,
    ReturnDetail,
    customer_detail,
)
from custsync.store.feed import FeedBuyer, FeedCustomer, FeedLink, FeedOrder, feed_customers
from custsync.store.filters import (
    CustomerFilter,
    PageWindow,
    SortOrder,
    count_filtered,
    filtered_rows,
)
from custsync.store.tabs import CUSTOMER_COLUMNS, CustomerRow, Tab, tab_order, tab_select

__all__ = [
    "CUSTOMER_COLUMNS",
    "AccountInfo",
    "Alternates",
    "BuyerInfoRow",
    "BuyerRow",
    "CustomerDetail",
    "CustomerFilter",
    "CustomerRow",
    "FeedBuyer",
    "FeedCustomer",
    "FeedLink",
    "FeedOrder",
    "FeedbackDetail",
    "LineDetail",
    "LinkDetail",
    "Note",
    "OrderDetail",
    "OrderRow",
    "PageWindow",
    "ReturnDetail",
    "SortOrder",
    "Tab",
    "WatchEntry",
    "account_ids",
    "buyer_rows",
    "count_customers",
    "count_filtered",
    "customer_detail",
    "feed_customers",
    "filtered_rows",
    "order_rows",
    "tab_rows",
]

STREAM_BATCH = 1000


def tab_rows(store: Store, tab: Tab) -> Iterator[CustomerRow]:
    """The rows of ``tab`` in contract order, streamed from the database."""
    with store.read() as conn:
        query = tab_select(tab).order_by(*tab_order(tab))
        result = conn.execution_options(yield_per=STREAM_BATCH).execute(query)
        for row in result:
            yield CustomerRow(**row._mapping)


def account_ids(store: Store) -> list[str]:
    """Every registered seller account id, sorted."""
    a = schema.accounts
    with store.read() as conn:
        return [r for (r,) in conn.execute(select(a.c.account_id).order_by(a.c.account_id))]


def count_customers(store: Store) -> int:
    c = schema.customers
    with store.read() as conn:
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
    with store.read() as conn:
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
    """Every order with the customer it names (none while its buyer has none)."""
    o = schema.orders
    query = select(
        o.c.order_id,
        o.c.account_id,
        o.c.marketplace,
        o.c.customer_id,
        o.c.purchased_at,
        o.c.status,
        o.c.currency,
        o.c.total,
        o.c.discount,
        o.c.units,
    ).order_by(o.c.account_id, o.c.order_id)
    with store.read() as conn:
        for row in conn.execution_options(yield_per=STREAM_BATCH).execute(query):
            yield OrderRow(**row._mapping)
