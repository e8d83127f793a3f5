"""The six tab views: which customers each shows and in which order (contract: "Report files")."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import ColumnElement, Select, select

from custsync.store import schema


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


def tab_select(tab: Tab) -> Select[tuple[object, ...]]:
    """The tab's customers (every contract column), unordered: see ``tab_order``."""
    c, w = schema.customers, schema.watchlist
    query = select(*(c.c[name] for name in CUSTOMER_COLUMNS)).where(c.c.merged_into.is_(None))
    if tab is Tab.MOST_RETURNS:
        return query.where(c.c.returned_units > 0)
    if tab is Tab.PROMO_CODES:
        return query.where(c.c.promo_codes_used > 0)
    if tab is Tab.WATCHLIST:
        return query.join(w, w.c.customer_id == c.c.customer_id)
    return query


def tab_order(tab: Tab) -> list[ColumnElement[object]]:
    """The contract order of ``tab``; ties are always broken by customer id."""
    c = schema.customers
    first: dict[Tab, ColumnElement[object]] = {
        Tab.ALL: c.c.last_order_at.desc().nulls_last(),
        Tab.HIGHEST_VALUE: c.c.amount_spent.desc(),
        Tab.MOST_ORDERS: c.c.orders.desc(),
        Tab.MOST_RETURNS: c.c.returned_units.desc(),
        Tab.PROMO_CODES: c.c.discount_received.desc(),
        Tab.WATCHLIST: schema.watchlist.c.added_at.desc(),
    }
    return [first[tab], c.c.customer_id]
