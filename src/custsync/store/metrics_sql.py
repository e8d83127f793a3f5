"""Customer metrics computed set-based in SQL: the same numbers as ``pipeline.metrics``.

Orders are summed per buyer, currency and rate period in integer cents, straight from the
covering index ``ix_orders_buyer_totals`` (the wide order rows are never read); the buyers'
sums are added up per customer in one pass.
Returned units, negative feedback and promo codes come from one small query each (the lines
through a partial index of those with a code). Converting to the base currency multiplies each
period's cents by its rate (exact decimals), so the result equals summing order by order. A
missing rate raises the same error ``FxTable`` does, naming the currency and the first date
without one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    Connection,
    Integer,
    String,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    select,
    type_coerce,
    update,
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


@dataclass(slots=True)
class _Acc:
    """One customer's sums so far; money in cents, converted money as exact decimals."""

    orders: int = 0
    units: int = 0
    spent: Decimal = Decimal(0)
    discount: Decimal = Decimal(0)
    totals: dict[str, list[int]] = field(default_factory=dict)  # currency → orders, cents, off
    accounts: set[str] = field(default_factory=set)
    first: Any = None  # as the driver returns it: text on SQLite, datetime on PostgreSQL
    last: Any = None
    returned: int = 0
    negative: int = 0
    codes: set[str] = field(default_factory=set)


def customer_metrics(
    conn: Connection, fx: FxTable
) -> dict[str, tuple[Metrics, tuple[CurrencyTotal, ...]]]:
    """Metrics and original-currency totals of every customer with orders."""
    rates = fx.schedule()
    b = schema.buyers
    with collector_paused():
        customer_of: _CustomerOf = {
            (account, key): cid
            for account, key, cid in conn.execute(
                select(b.c.account_id, b.c.buyer_key, b.c.customer_id)
            )
        }
        found: dict[str, _Acc] = {}
        for row in conn.execute(_money_query(rates)):
            cid = customer_of.get((row[0], row[1]))
            if cid is not None:
                acc = found.get(cid)
                if acc is None:
                    acc = found[cid] = _Acc()
                _add_money(acc, row, fx, rates)
        _add_extras(conn, found, customer_of)
        return {cid: _metrics(acc, fx.base_currency) for cid, acc in found.items()}


def _money_query(rates: Rates) -> Any:
    """Per buyer, currency and rate period: orders, units, cents (orders not cancelled) and
    the first and last time, as stored (text on SQLite, a datetime on PostgreSQL)."""
    o = schema.orders
    kept = o.c.status != CANCELLED
    period = _period(rates)
    moment = type_coerce(o.c.purchased_at, String)
    return (
        select(
            o.c.account_id,
            o.c.buyer_key,
            o.c.currency,
            period.label("period"),
            func.sum(case((kept, 1), else_=0)),
            func.sum(case((kept, o.c.units), else_=0)),
            func.sum(case((kept, type_coerce(o.c.total, Integer)), else_=0)),
            func.sum(case((kept, type_coerce(o.c.discount, Integer)), else_=0)),
            func.min(case((kept, moment), else_=None)),
            func.min(moment),
            func.max(moment),
        )
        .where(o.c.buyer_key.is_not(None))
        .group_by(o.c.account_id, o.c.buyer_key, o.c.currency, period)
    )


def _period(rates: Rates) -> Any:
    """Which rate applies to an order: the index of the latest ``valid_from`` ≤ its day."""
    o = schema.orders
    whens = []
    for currency, found in sorted(rates.items()):
        for index in reversed(range(len(found))):
            start = datetime.combine(found[index][0], time(), tzinfo=UTC)
            since = literal(start, UtcDateTime)
            whens.append((and_(o.c.currency == currency, o.c.purchased_at >= since), index))
    return case(*whens, else_=-1) if whens else literal(-1)


def _add_money(acc: _Acc, row: Any, fx: FxTable, rates: Rates) -> None:
    account, _, currency, period, orders, units, total, discount, first_kept, first, last = row
    acc.accounts.add(account)
    if orders:
        acc.orders += orders
        acc.units += units
        entry = acc.totals.get(currency)
        if entry is None:
            entry = acc.totals[currency] = [0, 0, 0]
        entry[0] += orders
        entry[1] += total
        entry[2] += discount
        if currency == fx.base_currency:
            acc.spent += total
            acc.discount += discount
        else:
            rate = _rate(currency, period, first_kept, fx, rates)
            acc.spent += total * rate
            acc.discount += discount * rate
    if acc.first is None or first < acc.first:
        acc.first = first
    if acc.last is None or last > acc.last:
        acc.last = last


def _rate(currency: str, period: int, first_kept: Any, fx: FxTable, rates: Rates) -> Decimal:
    if period < 0:  # raises the missing-rate error with the currency and the date
        fx.convert(Decimal(1), currency, _moment(first_kept).date())
    rate: Decimal = rates[currency][period][1]
    return rate


def _moment(value: Any) -> datetime:
    """A stored time as aware UTC, from SQLite's text (naive UTC) or PostgreSQL's datetime."""
    if isinstance(value, str):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    moment: datetime = value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _add_extras(conn: Connection, found: dict[str, _Acc], customer_of: _CustomerOf) -> None:
    """Returned units, negative feedbacks and promo codes of each customer in ``found``.
    Each event's order gives its buyer, ``customer_of`` the customer; the events are read as
    they are (no grouping in SQL, which would make SQLite walk every order instead)."""
    o, r, f = schema.orders, schema.returns, schema.feedback

    def of(account: str, key: str | None) -> _Acc | None:
        cid = customer_of.get((account, key))
        return None if cid is None else found.get(cid)

    on_order = (r.c.account_id == o.c.account_id) & (r.c.order_id == o.c.order_id)
    q = select(o.c.account_id, o.c.buyer_key, r.c.qty).select_from(r.join(o, on_order))
    for account, key, qty in conn.execute(q):
        if acc := of(account, key):
            acc.returned += qty
    on_feedback = (f.c.account_id == o.c.account_id) & (f.c.order_id == o.c.order_id)
    q = select(o.c.account_id, o.c.buyer_key).select_from(f.join(o, on_feedback))
    for account, key in conn.execute(q.where(f.c.rating <= 2)):
        if acc := of(account, key):
            acc.negative += 1
    for account, key, codes in _codes(conn):
        if acc := of(account, key):
            acc.codes.update(codes.split(";"))


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


def _metrics(acc: _Acc, base: str) -> tuple[Metrics, tuple[CurrencyTotal, ...]]:
    metrics = Metrics(
        orders=acc.orders,
        units=acc.units,
        amount_spent=(acc.spent * CENT).quantize(CENT),
        currency=base,
        discount_received=(acc.discount * CENT).quantize(CENT),
        promo_codes=tuple(sorted(acc.codes)),
        negative_feedbacks=acc.negative,
        returned_units=acc.returned,
        seller_accounts=cast(tuple[AccountId, ...], tuple(sorted(acc.accounts))),
        first_order_at=_moment(acc.first),
        last_order_at=_moment(acc.last),
    )
    totals = tuple(
        [
            CurrencyTotal(currency, n, Decimal(cents) * CENT, Decimal(off) * CENT)
            for currency, (n, cents, off) in sorted(acc.totals.items())
        ]
    )
    return metrics, totals


def write_metrics(
    conn: Connection,
    computed: Mapping[str, tuple[Metrics, tuple[CurrencyTotal, ...]]],
    *,
    now: datetime,
) -> None:
    """Store recomputed metrics on existing customer rows (identities stay as they are)."""
    c, t = schema.customers, schema.customer_totals
    rows = [
        {
            "cid": cid,
            "orders": m.orders,
            "units": m.units,
            "amount_spent": m.amount_spent,
            "discount_received": m.discount_received,
            "promo_codes_used": m.promo_codes_used,
            "promo_codes": ";".join(m.promo_codes),
            "negative_feedbacks": m.negative_feedbacks,
            "returned_units": m.returned_units,
            "updated_at": now,
        }
        for cid, (m, _) in sorted(computed.items())
    ]
    if rows:
        names = [name for name in rows[0] if name != "cid"]
        values = {name: bindparam(name, type_=c.c[name].type) for name in names}
        conn.execute(update(c).where(c.c.customer_id == bindparam("cid")).values(values), rows)
    conn.execute(delete(t).where(t.c.customer_id.in_(select(c.c.customer_id))))
    totals = [
        {"customer_id": cid, "currency": x.currency, "orders": x.orders,
         "amount_spent": x.amount_spent, "discount_received": x.discount_received}
        for cid, (_, money) in sorted(computed.items())
        for x in money
    ]  # fmt: skip
    if totals:
        conn.execute(insert(t), totals)
