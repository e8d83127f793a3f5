"""Customer metrics computed set-based in SQL: the same numbers as ``pipeline.metrics``.

One GROUP BY over orders ⋈ buyers per (customer, currency, rate period) gives counts and
money in integer cents; returned units, negative feedback, accounts and promo codes come from
one query each. Converting to the base currency multiplies each period's cents by its rate
(exact decimals), so the result equals summing order by order. A missing rate raises the
same error ``FxTable`` does, naming the currency and the first date without one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
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

from custsync.pipeline.fx import FxTable
from custsync.pipeline.metrics import CENT, CurrencyTotal, Metrics
from custsync.records import AccountId, OrderStatus
from custsync.store import schema
from custsync.store.types import UtcDateTime

CANCELLED = OrderStatus.CANCELLED.value


@dataclass(slots=True)
class _Acc:
    orders: int = 0
    units: int = 0
    spent: Decimal = Decimal(0)
    discount: Decimal = Decimal(0)
    totals: dict[str, list[Any]] = field(default_factory=dict)
    first: datetime | None = None
    last: datetime | None = None


def customer_metrics(
    conn: Connection, fx: FxTable
) -> dict[str, tuple[Metrics, tuple[CurrencyTotal, ...]]]:
    """Metrics and original-currency totals of every customer with orders."""
    rates = fx.schedule()
    found: dict[str, _Acc] = defaultdict(_Acc)
    for row in conn.execute(_money_query(rates)):
        _add_money(found[row.customer_id], row, fx, rates)
    extras = _extras(conn)
    return {cid: _metrics(acc, fx.base_currency, extras, cid) for cid, acc in found.items()}


def _joined() -> Any:
    o, b = schema.orders, schema.buyers
    return o.join(b, and_(b.c.account_id == o.c.account_id, b.c.buyer_key == o.c.buyer_key))


def _money_query(rates: Mapping[str, list[tuple[date, Decimal]]]) -> Any:
    o, b = schema.orders, schema.buyers
    kept = o.c.status != CANCELLED
    period = _period(rates)
    return (
        select(
            b.c.customer_id,
            o.c.currency,
            period.label("period"),
            func.sum(case((kept, 1), else_=0)).label("orders"),
            func.sum(case((kept, o.c.units), else_=0)).label("units"),
            func.sum(case((kept, type_coerce(o.c.total, Integer)), else_=0)).label("total"),
            func.sum(case((kept, type_coerce(o.c.discount, Integer)), else_=0)).label("discount"),
            func.min(case((kept, o.c.purchased_at), else_=None)).label("first_kept"),
            func.min(o.c.purchased_at).label("first_at"),
            func.max(o.c.purchased_at).label("last_at"),
        )
        .select_from(_joined())
        .group_by(b.c.customer_id, o.c.currency, period)
    )


def _period(rates: Mapping[str, list[tuple[date, Decimal]]]) -> Any:
    """Which rate applies to an order: the index of the latest ``valid_from`` ≤ its day."""
    o = schema.orders
    whens = []
    for currency, found in sorted(rates.items()):
        for index in reversed(range(len(found))):
            start = datetime.combine(found[index][0], time(), tzinfo=UTC)
            since = literal(start, UtcDateTime)
            whens.append((and_(o.c.currency == currency, o.c.purchased_at >= since), index))
    return case(*whens, else_=-1) if whens else literal(-1)


def _add_money(
    acc: _Acc, row: Any, fx: FxTable, rates: Mapping[str, list[tuple[date, Decimal]]]
) -> None:
    total, discount = Decimal(int(row.total or 0)) * CENT, Decimal(int(row.discount or 0)) * CENT
    if row.orders:
        rate = _rate(row, fx, rates)
        acc.spent += total * rate
        acc.discount += discount * rate
    acc.orders += int(row.orders or 0)
    acc.units += int(row.units or 0)
    entry = acc.totals.setdefault(row.currency, [0, Decimal(0), Decimal(0)])
    entry[0] += int(row.orders or 0)
    entry[1] += total
    entry[2] += discount
    first, last = row.first_at, row.last_at
    acc.first = first if acc.first is None else min(acc.first, first)
    acc.last = last if acc.last is None else max(acc.last, last)


def _rate(row: Any, fx: FxTable, rates: Mapping[str, list[tuple[date, Decimal]]]) -> Decimal:
    if row.currency == fx.base_currency:
        return Decimal(1)
    if row.period < 0:  # raises the missing-rate error with the currency and the date
        fx.convert(Decimal(1), row.currency, row.first_kept.date())
    rate: Decimal = rates[row.currency][row.period][1]
    return rate


def _extras(conn: Connection) -> dict[str, dict[str, Any]]:
    """Per customer: returned units, negative feedbacks, accounts, promo codes."""
    o, b, r, f = schema.orders, schema.buyers, schema.returns, schema.feedback
    on_order = (r.c.account_id == o.c.account_id) & (r.c.order_id == o.c.order_id)
    extras: dict[str, dict[str, Any]] = defaultdict(lambda: {"codes": set(), "accounts": set()})
    q = select(b.c.customer_id, func.sum(r.c.qty)).select_from(_joined().join(r, on_order))
    for cid, qty in conn.execute(q.group_by(b.c.customer_id)):
        extras[cid]["returned"] = int(qty or 0)
    on_feedback = (f.c.account_id == o.c.account_id) & (f.c.order_id == o.c.order_id)
    q = select(b.c.customer_id, func.count()).select_from(_joined().join(f, on_feedback))
    for cid, n in conn.execute(q.where(f.c.rating <= 2).group_by(b.c.customer_id)):
        extras[cid]["negative"] = int(n)
    q = select(b.c.customer_id, o.c.account_id).select_from(_joined()).distinct()
    for cid, account in conn.execute(q):
        extras[cid]["accounts"].add(account)
    _codes(conn, extras)
    return extras


def _codes(conn: Connection, extras: dict[str, dict[str, Any]]) -> None:
    o, b, lines, uses = schema.orders, schema.buyers, schema.order_lines, schema.promo_uses
    kept = o.c.status != CANCELLED
    on_line = (lines.c.account_id == o.c.account_id) & (lines.c.order_id == o.c.order_id)
    q = (
        select(b.c.customer_id, lines.c.promo_codes)
        .select_from(_joined().join(lines, on_line))
        .where(kept, lines.c.promo_codes != "")
        .distinct()
    )
    for cid, text in conn.execute(q):
        extras[cid]["codes"].update(text.split(";"))
    on_use = (uses.c.account_id == o.c.account_id) & (uses.c.order_id == o.c.order_id)
    q = select(b.c.customer_id, uses.c.code).select_from(_joined().join(uses, on_use)).where(kept)
    for cid, code in conn.execute(q.distinct()):
        extras[cid]["codes"].add(code)


def _metrics(
    acc: _Acc, base: str, extras: dict[str, dict[str, Any]], cid: str
) -> tuple[Metrics, tuple[CurrencyTotal, ...]]:
    more = extras.get(cid, {"codes": set(), "accounts": set()})
    metrics = Metrics(
        orders=acc.orders,
        units=acc.units,
        amount_spent=acc.spent.quantize(CENT),
        currency=base,
        discount_received=acc.discount.quantize(CENT),
        promo_codes=tuple(sorted(more["codes"])),
        negative_feedbacks=more.get("negative", 0),
        returned_units=more.get("returned", 0),
        seller_accounts=tuple(sorted(AccountId(a) for a in more["accounts"])),
        first_order_at=acc.first,
        last_order_at=acc.last,
    )
    totals = tuple(
        CurrencyTotal(currency, n, spent.quantize(CENT), off.quantize(CENT))
        for currency, (n, spent, off) in sorted(acc.totals.items())
        if n
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
