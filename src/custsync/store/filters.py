"""Filtered, sorted and paged tab rows: what ``custsync export`` and ``customers search`` ask.

Every filter is SQL; nothing is filtered in Python. Search is partial and case-insensitive over
the customer's id, name, email and phone and over every buyer's name, email, phone and company
(Unicode-aware on SQLite through ``custsync_lower``; on PostgreSQL through the database's
ctype, which must be a UTF-8 locale such as ``C.UTF-8``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select

from custsync.store import schema
from custsync.store.db import SQLITE_LOWER, Store
from custsync.store.tabs import CUSTOMER_COLUMNS, CustomerRow, Tab, tab_order, tab_select

STREAM_BATCH = 1000
PHONE_LIKE = re.compile(r"^[\d\s()+.\-/]+$")
MIN_PHONE_DIGITS = 4


@dataclass(frozen=True, slots=True)
class CustomerFilter:
    """Conditions a customer must meet; ``None`` means "any". Dates are UTC days, inclusive:
    ``since``/``until`` keep customers with at least one order placed in that window."""

    search: str | None = None
    min_spent: Decimal | None = None
    max_spent: Decimal | None = None
    min_orders: int | None = None
    max_orders: int | None = None
    since: date | None = None
    until: date | None = None
    account_id: str | None = None
    country: str | None = None


@dataclass(frozen=True, slots=True)
class SortOrder:
    column: str
    descending: bool = False


@dataclass(frozen=True, slots=True)
class PageWindow:
    number: int
    size: int

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size


def filtered_rows(
    store: Store,
    tab: Tab,
    where: CustomerFilter,
    *,
    sort: SortOrder | None = None,
    page: PageWindow | None = None,
) -> Iterator[CustomerRow]:
    """The rows of ``tab`` that match, in ``sort`` order (default: the tab's), streamed."""
    query = _filtered(store, tab, where).order_by(*_order(tab, sort))
    if page is not None:
        query = query.limit(page.size).offset(page.offset)
    with store.read() as conn:
        result = conn.execution_options(yield_per=STREAM_BATCH).execute(query)
        for row in result:
            yield CustomerRow(**row._mapping)


def count_filtered(store: Store, tab: Tab, where: CustomerFilter) -> int:
    query = select(func.count()).select_from(_filtered(store, tab, where).subquery())
    with store.read() as conn:
        return int(conn.execute(query).scalar() or 0)


def _order(tab: Tab, sort: SortOrder | None) -> list[ColumnElement[object]]:
    if sort is None:
        return tab_order(tab)
    if sort.column not in CUSTOMER_COLUMNS:
        raise ValueError(f"unknown column {sort.column!r}")
    column = schema.customers.c[sort.column]
    key = column.desc() if sort.descending else column.asc()
    return [key.nulls_last(), schema.customers.c.customer_id]


def _filtered(store: Store, tab: Tab, where: CustomerFilter) -> Select[tuple[object, ...]]:
    c = schema.customers
    conditions: list[ColumnElement[bool]] = []
    if where.search:
        conditions.append(_search(store.dialect, where.search))
    bounds = (
        (c.c.amount_spent, where.min_spent, where.max_spent),
        (c.c.orders, where.min_orders, where.max_orders),
    )
    for column, low, high in bounds:
        if low is not None:
            conditions.append(column >= low)
        if high is not None:
            conditions.append(column <= high)
    if where.since is not None or where.until is not None:
        conditions.append(_ordered_between(where.since, where.until))
    if where.account_id is not None:
        b = schema.buyers
        conditions.append(
            exists().where(b.c.customer_id == c.c.customer_id, b.c.account_id == where.account_id)
        )
    if where.country is not None:
        conditions.append(func.upper(c.c.country) == where.country.upper())
    return tab_select(tab).where(*conditions)


def _lower(dialect: str, column: ColumnElement[str]) -> ColumnElement[str]:
    if dialect == "sqlite":
        return getattr(func, SQLITE_LOWER)(column)  # type: ignore[no-any-return]
    return func.lower(column)


def _search(dialect: str, text: str) -> ColumnElement[bool]:
    c, b = schema.customers, schema.buyers
    needle = text.strip().lower()
    own = [c.c.customer_id, c.c.name, c.c.email, c.c.phone]
    theirs = [b.c.name, b.c.email, b.c.phone, b.c.company]
    matches: list[ColumnElement[bool]] = [
        _lower(dialect, col).contains(needle, autoescape=True) for col in own
    ]
    buyer_matches: list[ColumnElement[bool]] = [
        _lower(dialect, col).contains(needle, autoescape=True) for col in theirs
    ]
    digits = re.sub(r"\D", "", needle)
    if PHONE_LIKE.match(needle) and len(digits) >= MIN_PHONE_DIGITS:
        matches.append(_digits_only(c.c.phone).contains(digits, autoescape=True))
        buyer_matches.append(_digits_only(b.c.phone).contains(digits, autoescape=True))
    matches.append(exists().where(b.c.customer_id == c.c.customer_id, or_(*buyer_matches)))
    return or_(*matches)


def _digits_only(column: ColumnElement[str]) -> ColumnElement[str]:
    for separator in (" ", "-", "(", ")", ".", "/", "+"):
        column = func.replace(column, separator, "")
    return column


def _ordered_between(since: date | None, until: date | None) -> ColumnElement[bool]:
    o, b = schema.orders, schema.buyers
    window: list[ColumnElement[bool]] = []
    if since is not None:
        window.append(o.c.purchased_at >= datetime.combine(since, time(), tzinfo=UTC))
    if until is not None:
        end = datetime.combine(until + timedelta(days=1), time(), tzinfo=UTC)
        window.append(o.c.purchased_at < end)
    joined = and_(b.c.account_id == o.c.account_id, b.c.buyer_key == o.c.buyer_key)
    return (
        exists()
        .where(b.c.customer_id == schema.customers.c.customer_id, joined, *window)
        .correlate(schema.customers)
    )
