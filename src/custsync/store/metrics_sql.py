"""Customer metrics computed set-based in SQL: the same numbers as ``pipeline.metrics``.

Every order names its buyer's customer (``orders.customer_id``), so one pass over the
covering index ``ix_orders_customer_totals`` sums the orders per customer, currency and rate
period in integer cents, in the index's order (the wide order rows are never read, nothing
is sorted): orders not cancelled give counts and money, all orders the first and last times
and the seller accounts. Each customer then gets its figures as stored (``metrics_figures``).
Returned units, negative feedback and promo codes come from one small query each, through
the customer their order names, which the index ``ix_orders_customer_by_order`` holds by
order id (the order lines with a code read from their covering index
``ix_order_lines_promo``). Converting to the base currency multiplies each period's cents by
its rate in exact integer arithmetic, so the result equals summing order by order. A missing
rate raises the same error ``FxTable`` does, naming the currency and the first date without
one.

The loops here run once per row and once per customer of the whole store, so they stay on
plain tuples, lists and dicts, and rows are read as the driver returns them. Reading half the
customers in a second thread does not pay on SQLite: its driver takes the interpreter lock
back for every row (measured at 1M orders: totals and promo codes 2.0 s one after the other,
2.2–2.4 s side by side).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnClause,
    Connection,
    Integer,
    String,
    and_,
    case,
    cast,
    distinct,
    func,
    literal,
    literal_column,
    select,
    type_coerce,
)

from custsync.collector import collector_paused
from custsync.pipeline.fx import FxTable
from custsync.records import OrderStatus
from custsync.store import schema
from custsync.store.metrics_figures import (
    Computed,
    Figures,
    Prices,
    Rates,
    merged_figures,
    moment,
    single_figures,
    with_events,
)
from custsync.store.refs import all_rows, driver_sql
from custsync.store.types import UtcDateTime

CANCELLED = OrderStatus.CANCELLED.value
_ONE_PERIOD: ColumnClause[Any] = literal_column("0")  # every order in the same rate period
_Events = tuple[dict[str, int], dict[str, int], dict[str, set[str]]]  # returned, negative, codes


# A row of the totals query: customer, currency, rate period, orders not cancelled, their
# units, cents and discount cents and first time, then the first and last time of all the
# orders and their seller accounts joined by "," (times as the driver returns them: text on
# SQLite, datetimes on PostgreSQL). Most customers have exactly one row, so a customer's row
# is kept as it is until a second one comes; then its rows are gathered in a list.
_Row = tuple[Any, ...]


def customer_metrics(conn: Connection, fx: FxTable) -> Computed:
    """Figures of every customer with orders."""
    rates = fx.schedule()
    with collector_paused():
        rows = plain_rows(conn, _totals_query(conn.dialect.name, rates))
        found = _per_customer(rows, fx, rates)
        figures = _figures(found, fx.base_currency, Prices(rates))
        _with_events(figures, _events(conn))
        return Computed(figures, fx.base_currency)


def _figures(found: dict[str, _Row | list[_Row]], base: str, prices: Prices) -> dict[str, Figures]:
    """Every customer's figures, before returns, feedback and promo codes (``_with_events``:
    most customers have none)."""
    figures = {}
    for cid, held in found.items():
        if isinstance(held, list):
            figures[cid] = merged_figures(held, base, prices)
        elif held[3]:
            figures[cid] = single_figures(held, base, prices)
        else:  # cancelled orders only
            figures[cid] = merged_figures([held], base, prices)
    return figures


def _with_events(figures: dict[str, Figures], events: _Events) -> None:
    """The returned units, negative feedbacks and promo codes into the figures of the
    customers that have some."""
    returned, negative, codes = events
    for cid in returned.keys() | negative.keys() | codes.keys():
        held = figures.get(cid)
        if held is not None:
            own = (returned.get(cid, 0), negative.get(cid, 0), codes.get(cid))
            figures[cid] = with_events(held, own)


def plain_rows(conn: Connection, query: Any) -> Sequence[tuple[Any, ...]]:
    """The rows of ``query`` as the driver's own tuples (``refs.all_rows``). Only for queries
    whose columns need no result processing (plain strings and integers, or type-coerced to
    them)."""
    return all_rows(conn.execute(query))


def _totals_query(dialect: str, rates: Rates) -> Any:
    """Per customer, currency and rate period (``_Row``)."""
    o = schema.orders
    kept = o.c.status != CANCELLED
    moment = type_coerce(o.c.purchased_at, String)
    period = _period(rates)
    grouped = [o.c.customer_id, o.c.currency]
    return (
        select(
            *grouped,
            period,
            func.sum(case((kept, 1), else_=0)),
            func.sum(case((kept, o.c.units), else_=0)),
            _cents(case((kept, o.c.total), else_=0)),
            _cents(case((kept, o.c.discount), else_=0)),
            func.min(case((kept, moment))),
            func.min(moment),
            func.max(moment),
            _joined(o.c.account_id, dialect),
        )
        .where(o.c.customer_id.is_not(None))
        .group_by(*grouped, *([] if period is _ONE_PERIOD else [period]))
    )


def _joined(column: Any, dialect: str) -> Any:
    """The distinct values of ``column`` in a group, joined by ``,``."""
    if dialect == "postgresql":
        return func.string_agg(distinct(column), literal_column("','"))
    return func.group_concat(distinct(column))


def _cents(column: Any) -> Any:
    """The sum of a money column in cents, as an integer (PostgreSQL sums a bigint as a
    numeric, which the driver would return as a Decimal)."""
    return cast(func.sum(type_coerce(column, Integer)), BigInteger)


def _period(rates: Rates) -> Any:
    """Which rate applies to an order of a currency with several: the index of the latest
    ``valid_from`` on or before its day (-1: none). Currencies with one rate (or none) are
    all period 0, checked against the first order's day instead, so grouping by period is
    needed only when some currency has several rates."""
    o = schema.orders
    whens = []
    for currency, found in sorted(rates.items()):
        if len(found) < 2:
            continue
        for index in reversed(range(len(found))):
            start = datetime.combine(found[index][0], time(), tzinfo=UTC)
            since = literal(start, UtcDateTime)
            whens.append((and_(o.c.currency == currency, o.c.purchased_at >= since), index))
        whens.append((o.c.currency == currency, -1))
    return case(*whens, else_=0).label("period") if whens else _ONE_PERIOD


def _per_customer(rows: Iterable[_Row], fx: FxTable, rates: Rates) -> dict[str, _Row | list[_Row]]:
    """The rows per customer; raises when an order has no rate to the base currency."""
    base = fx.base_currency
    found: dict[str, _Row | list[_Row]] = {}
    earliest: dict[tuple[str, int], Any] = {}  # first order per currency and rate period
    for row in rows:
        if row[1] != base and row[3]:
            seen = earliest.get((row[1], row[2]))
            if seen is None or row[7] < seen:
                earliest[(row[1], row[2])] = row[7]
        cid = row[0]
        held = found.get(cid)
        if held is None:
            found[cid] = row
        elif isinstance(held, list):
            held.append(row)
        else:
            found[cid] = [held, row]
    for (currency, period), first in sorted(earliest.items(), key=lambda item: item[1]):
        _check_rate(currency, period, first, fx, rates)
    return found


def _check_rate(currency: str, period: int, first: Any, fx: FxTable, rates: Rates) -> None:
    """Raise the missing-rate error (currency and date) unless ``period`` has a rate valid on
    the day of ``first``, the earliest order of the period."""
    found = rates.get(currency)
    day = moment(first).date()
    if period < 0 or not found or day < found[period][0]:
        fx.convert(Decimal(1), currency, day)


def _events(conn: Connection) -> _Events:
    """Returned units, negative feedbacks and promo codes per customer, through the customer
    each event's order names; the events are read as they are (no grouping in SQL, which
    would make SQLite walk every order instead)."""
    returned: dict[str, int] = {}
    for cid, qty in _event_rows(conn, _RETURNED):
        if cid is not None:
            returned[cid] = returned.get(cid, 0) + qty
    negative: dict[str, int] = {}
    for (cid,) in _event_rows(conn, _NEGATIVE):
        if cid is not None:
            negative[cid] = negative.get(cid, 0) + 1
    codes: dict[str, set[str]] = {}
    for query in (_LINE_CODES, _USED_CODES):  # a line's codes are joined by ";"
        for cid, joined in _event_rows(conn, query, CANCELLED):
            if cid is not None:
                held = codes.get(cid)
                if held is None:
                    codes[cid] = set(joined.split(";"))
                else:
                    held.update(joined.split(";"))
    return returned, negative, codes


# The events' queries: (customer, value) per returned line, negative feedback, order line with
# promo codes and promo use (on orders not cancelled), each event's order looked up in the
# index that holds its status and customer by its id. SQLite is told to (its planner takes
# the primary key's index, then reads the wide order row: 0.6-0.9 s instead of 0.2-0.3 s for
# the 127,105 promo lines of a million orders), and to read the events first (CROSS JOIN),
# not every order. The customer is tested in Python: a test in SQL would lead SQLite to walk
# the orders of every customer instead.
_RETURNED = (
    "SELECT o.customer_id, e.qty FROM returns e"
    " {join_orders} ON o.account_id = e.account_id AND o.order_id = e.order_id"
)
_NEGATIVE = (
    "SELECT o.customer_id FROM feedback e"
    " {join_orders} ON o.account_id = e.account_id AND o.order_id = e.order_id"
    " WHERE e.rating <= 2"
)
_LINE_CODES = (
    "SELECT o.customer_id, e.promo_codes FROM order_lines e"
    " {join_orders} ON o.account_id = e.account_id AND o.order_id = e.order_id"
    " WHERE e.promo_codes <> '' AND o.status <> %s"
)
_USED_CODES = (
    "SELECT o.customer_id, e.code FROM promo_uses e"
    " {join_orders} ON o.account_id = e.account_id AND o.order_id = e.order_id"
    " WHERE o.status <> %s"
)
_JOIN_ORDERS = {"sqlite": "CROSS JOIN orders o INDEXED BY ix_orders_customer_by_order"}


def _event_rows(conn: Connection, query: str, *params: Any) -> Sequence[tuple[Any, ...]]:
    statement = query.format(join_orders=_JOIN_ORDERS.get(conn.dialect.name, "JOIN orders o"))
    return all_rows(conn.exec_driver_sql(driver_sql(conn, statement), params))
