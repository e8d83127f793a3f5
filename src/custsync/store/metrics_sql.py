"""Customer metrics computed set-based in SQL: the same numbers as ``pipeline.metrics``.

Orders not cancelled are summed per buyer, currency and rate period in integer cents, straight
from the covering index ``ix_orders_buyer_totals`` (the wide order rows are never read);
cancelled orders give only first and last times and seller accounts, from a second pass over
the same index. The buyers' sums are added up per customer in one pass over those rows.
Returned units, negative feedback and promo codes come from one small query each, joined to
their buyer through the order. Converting to the base currency multiplies each period's cents
by its rate (exact decimals), so the result equals summing order by order. A missing rate
raises the same error ``FxTable`` does, naming the currency and the first date without one.

The loops here run once per buyer row and once per customer of the whole store, so they stay
on plain tuples, lists and dicts, and rows are read as the driver returns them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    ColumnClause,
    Connection,
    Integer,
    String,
    and_,
    case,
    func,
    literal,
    literal_column,
    select,
    type_coerce,
)

from custsync.collector import collector_paused
from custsync.pipeline.fx import FxTable
from custsync.pipeline.metrics import CENT, CurrencyTotal, Metrics
from custsync.records import AccountId, OrderStatus
from custsync.store import schema
from custsync.store.types import UtcDateTime

CANCELLED = OrderStatus.CANCELLED.value
Rates = Mapping[str, list[tuple[date, Decimal]]]
_CustomerOf = dict[tuple[str, str | None], str]  # (account, buyer key) → customer
_ONE_PERIOD: ColumnClause[Any] = literal_column("0")  # every order in the same rate period
Computed = dict[str, tuple[Metrics, tuple[CurrencyTotal, ...]]]


# A buyer's row of the kept-orders query: account, buyer key, currency, rate period, orders,
# units, cents, discount cents, first and last time (as the driver returns them: text on
# SQLite, datetimes on PostgreSQL). Most customers have exactly one such row and nothing else,
# so a customer's row is kept as it is until a second one comes.
_Row = tuple[Any, ...]


class _Sums:
    """A customer's sums over several rows: money in cents per currency, and per currency and
    rate period for the currencies to convert."""

    __slots__ = ("accounts", "converted", "first", "last", "orders", "totals", "units")

    def __init__(self, account: str, first: Any, last: Any) -> None:
        self.orders = 0
        self.units = 0
        self.first = first
        self.last = last
        self.accounts = {account}
        self.totals: dict[str, list[int]] = {}  # currency → orders, cents, discount cents
        self.converted: dict[tuple[str, int], list[int]] = {}  # → cents, discount cents

    @classmethod
    def of(cls, row: _Row, base: str) -> _Sums:
        sums = cls(row[0], row[8], row[9])
        sums.add(row, base)
        return sums

    def seen(self, account: str, first: Any, last: Any) -> None:
        self.accounts.add(account)
        self.first = min(self.first, first)
        self.last = max(self.last, last)

    def add(self, row: _Row, base: str) -> None:
        account, _, currency, period, orders, units, cents, off, first, last = row
        self.seen(account, first, last)
        self.orders += orders
        self.units += units
        total = self.totals.get(currency)
        if total is None:
            self.totals[currency] = [orders, cents, off]
        else:
            total[0] += orders
            total[1] += cents
            total[2] += off
        if currency != base:
            money = self.converted.get((currency, period))
            if money is None:
                self.converted[(currency, period)] = [cents, off]
            else:
                money[0] += cents
                money[1] += off


def customer_metrics(conn: Connection, fx: FxTable) -> Computed:
    """Metrics and original-currency totals of every customer with orders."""
    rates = fx.schedule()
    b = schema.buyers
    with collector_paused():
        customer_of: _CustomerOf = {
            (account, key): cid
            for account, key, cid in plain_rows(
                conn, select(b.c.account_id, b.c.buyer_key, b.c.customer_id)
            )
        }
        found = _kept_sums(plain_rows(conn, _kept_query(rates)), customer_of, fx, rates)
        _add_cancelled(conn, found, customer_of, fx.base_currency)
        returned, negative, codes = _events(conn, customer_of)
        base = fx.base_currency
        return {
            cid: _metrics(
                held,
                base,
                rates,
                returned=returned.get(cid, 0),
                negative=negative.get(cid, 0),
                codes=codes.get(cid),
            )
            for cid, held in found.items()
        }


def plain_rows(conn: Connection, query: Any) -> Sequence[tuple[Any, ...]]:
    """The rows of ``query`` as the driver's own tuples: SQLAlchemy's row objects cost about
    half a second per million rows here. Only for queries whose columns need no result
    processing (plain strings and integers, or type-coerced to them)."""
    result = conn.execute(query)
    try:
        rows: Sequence[tuple[Any, ...]] = result.cursor.fetchall()
    finally:
        result.close()
    return rows


def _kept_query(rates: Rates) -> Any:
    """Per buyer, currency and rate period of the orders not cancelled: orders, units, cents,
    discount cents and the first and last time, as stored."""
    o = schema.orders
    moment = type_coerce(o.c.purchased_at, String)
    period = _period(rates)
    grouped = [o.c.account_id, o.c.buyer_key, o.c.currency]
    return (
        select(
            *grouped,
            period,
            func.count(),
            func.sum(o.c.units),
            func.sum(type_coerce(o.c.total, Integer)),
            func.sum(type_coerce(o.c.discount, Integer)),
            func.min(moment),
            func.max(moment),
        )
        .where(o.c.buyer_key.is_not(None), o.c.status != CANCELLED)
        .group_by(*grouped, *([] if period is _ONE_PERIOD else [period]))
    )


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


def _kept_sums(
    rows: Iterable[_Row], customer_of: _CustomerOf, fx: FxTable, rates: Rates
) -> dict[str, _Row | _Sums]:
    base = fx.base_currency
    found: dict[str, _Row | _Sums] = {}
    for row in rows:
        cid = customer_of.get((row[0], row[1]))
        if cid is None:
            continue
        if row[2] != base:
            _check_rate(row[2], row[3], row[8], fx, rates)
        held = found.get(cid)
        if held is None:
            found[cid] = row
        elif isinstance(held, _Sums):
            held.add(row, base)
        else:
            sums = found[cid] = _Sums.of(held, base)
            sums.add(row, base)
    return found


def _check_rate(currency: str, period: int, first: Any, fx: FxTable, rates: Rates) -> None:
    """Raise the missing-rate error (currency and date) unless ``period`` has a rate valid on
    the day of ``first``, the group's earliest order."""
    found = rates.get(currency)
    day = _moment(first).date()
    if period < 0 or not found or day < found[period][0]:
        fx.convert(Decimal(1), currency, day)


def _moment(value: Any) -> datetime:
    """A stored time as aware UTC, from SQLite's text (naive UTC) or PostgreSQL's datetime."""
    if isinstance(value, str):
        return datetime.fromisoformat(value + "+00:00")
    moment: datetime = value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _add_cancelled(
    conn: Connection, found: dict[str, _Row | _Sums], customer_of: _CustomerOf, base: str
) -> None:
    """First and last times and seller accounts of the cancelled orders."""
    o = schema.orders
    moment = type_coerce(o.c.purchased_at, String)
    query = (
        select(o.c.account_id, o.c.buyer_key, func.min(moment), func.max(moment))
        .where(o.c.buyer_key.is_not(None), o.c.status == CANCELLED)
        .group_by(o.c.account_id, o.c.buyer_key)
    )
    for account, key, first, last in conn.execute(query):
        cid = customer_of.get((account, key))
        if cid is None:
            continue
        held = found.get(cid)
        if held is None:
            found[cid] = _Sums(account, first, last)
        else:
            sums = held if isinstance(held, _Sums) else _Sums.of(held, base)
            sums.seen(account, first, last)
            found[cid] = sums


def _events(
    conn: Connection, customer_of: _CustomerOf
) -> tuple[dict[str, int], dict[str, int], dict[str, set[str]]]:
    """Returned units, negative feedbacks and promo codes per customer. Each event's order
    gives its buyer, ``customer_of`` the customer; the events are read as they are (no
    grouping in SQL, which would make SQLite walk every order instead)."""
    o, r, f = schema.orders, schema.returns, schema.feedback
    returned: dict[str, int] = {}
    on_order = (r.c.account_id == o.c.account_id) & (r.c.order_id == o.c.order_id)
    q = select(o.c.account_id, o.c.buyer_key, r.c.qty).select_from(r.join(o, on_order))
    for account, key, qty in conn.execute(q):
        if (cid := customer_of.get((account, key))) is not None:
            returned[cid] = returned.get(cid, 0) + qty
    negative: dict[str, int] = {}
    on_feedback = (f.c.account_id == o.c.account_id) & (f.c.order_id == o.c.order_id)
    q = select(o.c.account_id, o.c.buyer_key).select_from(f.join(o, on_feedback))
    for account, key in conn.execute(q.where(f.c.rating <= 2)):
        if (cid := customer_of.get((account, key))) is not None:
            negative[cid] = negative.get(cid, 0) + 1
    codes: dict[str, set[str]] = {}
    for account, key, joined in _codes(conn):
        if (cid := customer_of.get((account, key))) is not None:
            held = codes.get(cid)
            if held is None:
                codes[cid] = set(joined.split(";"))
            else:
                held.update(joined.split(";"))
    return returned, negative, codes


def _codes(conn: Connection) -> list[tuple[str, str | None, str]]:
    """(account, buyer, codes) of the order lines with a promo code and of the promo uses,
    on orders not cancelled; a line's codes are joined by ``;``."""
    o, lines, uses = schema.orders, schema.order_lines, schema.promo_uses
    kept = o.c.status != CANCELLED
    on_line = (lines.c.account_id == o.c.account_id) & (lines.c.order_id == o.c.order_id)
    q = (
        select(o.c.account_id, o.c.buyer_key, lines.c.promo_codes)
        .select_from(lines.join(o, on_line))
        .where(kept, lines.c.promo_codes != "")
    )
    on_use = (uses.c.account_id == o.c.account_id) & (uses.c.order_id == o.c.order_id)
    used = select(o.c.account_id, o.c.buyer_key, uses.c.code).select_from(uses.join(o, on_use))
    return [*conn.execute(q), *conn.execute(used.where(kept))]


def _metrics(
    held: _Row | _Sums,
    base: str,
    rates: Rates,
    *,
    returned: int,
    negative: int,
    codes: set[str] | None,
) -> tuple[Metrics, tuple[CurrencyTotal, ...]]:
    if isinstance(held, _Sums):
        return _merged_metrics(held, base, rates, returned=returned, negative=negative, codes=codes)
    account, _, currency, period, orders, units, cents, off, first, last = held
    spent, discount = Decimal(cents) * CENT, Decimal(off) * CENT
    totals = (CurrencyTotal(currency, orders, spent, discount),)
    if currency != base:
        rate = rates[currency][period][1]
        spent, discount = (spent * rate).quantize(CENT), (discount * rate).quantize(CENT)
    metrics = Metrics(
        orders,
        units,
        spent,
        base,
        discount,
        tuple(sorted(codes)) if codes else (),
        negative,
        returned,
        (account,),
        _moment(first),
        _moment(last),
    )
    return metrics, totals


def _merged_metrics(
    sums: _Sums,
    base: str,
    rates: Rates,
    *,
    returned: int,
    negative: int,
    codes: set[str] | None,
) -> tuple[Metrics, tuple[CurrencyTotal, ...]]:
    own = sums.totals.get(base)
    spent = Decimal(own[1] if own else 0)
    discount = Decimal(own[2] if own else 0)
    for (currency, period), (cents, off) in sums.converted.items():
        rate = rates[currency][period][1]
        spent += cents * rate
        discount += off * rate
    metrics = Metrics(
        sums.orders,
        sums.units,
        (spent * CENT).quantize(CENT),
        base,
        (discount * CENT).quantize(CENT),
        tuple(sorted(codes)) if codes else (),
        negative,
        returned,
        cast(tuple[AccountId, ...], tuple(sorted(sums.accounts))),
        _moment(sums.first),
        _moment(sums.last),
    )
    totals = tuple(
        [
            CurrencyTotal(currency, n, Decimal(cents) * CENT, Decimal(off) * CENT)
            for currency, (n, cents, off) in sorted(sums.totals.items())
        ]
    )
    return metrics, totals
