"""Storing recomputed metrics: only the customers whose figures or original-currency totals
changed are rewritten (after a new rate for one currency, those with orders in it). Stored
and new figures are compared as stored (money in integer cents), which skips turning every
stored amount into a Decimal.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Integer, bindparam, delete, insert, select, type_coerce, update

from custsync.pipeline.metrics import Metrics
from custsync.store import schema
from custsync.store.metrics_sql import Computed, plain_rows
from custsync.store.refs import chunks, one_of

_FIGURES = (
    "orders",
    "units",
    "amount_spent",
    "discount_received",
    "promo_codes_used",
    "promo_codes",
    "negative_feedbacks",
    "returned_units",
)  # the customer columns a refresh recomputes, in this order
_MONEY = frozenset({"amount_spent", "discount_received"})


def write_metrics(conn: Connection, computed: Computed, *, now: datetime) -> int:
    """Store recomputed metrics on existing customer rows (identities stay as they are);
    returns how many customers were rewritten."""
    c = schema.customers
    columns = [_raw(c.c[name]) for name in _FIGURES]
    stored = {row[0]: row[1:] for row in plain_rows(conn, select(c.c.customer_id, *columns))}
    rows = []
    for cid, (m, _) in computed.items():
        figures = _figures(m)
        as_stored = (*figures[:2], _cents(figures[2]), _cents(figures[3]), *figures[4:])
        if stored.get(cid) != as_stored:
            rows.append(
                {"cid": cid, **dict(zip(_FIGURES, figures, strict=True)), "updated_at": now}
            )
    if rows:
        values = {name: bindparam(name, type_=c.c[name].type) for name in [*_FIGURES, "updated_at"]}
        conn.execute(update(c).where(c.c.customer_id == bindparam("cid")).values(values), rows)
    moved = _write_totals(conn, computed)
    return len({row["cid"] for row in rows} | moved)


def _raw(column: Any) -> Any:
    """A money column read as its stored cents, others as they are."""
    return type_coerce(column, Integer) if column.name in _MONEY else column


def _cents(amount: Decimal) -> int:
    return int(amount.scaleb(2))


def _figures(m: Metrics) -> tuple[Any, ...]:
    """The values of ``_FIGURES``."""
    codes = ";".join(m.promo_codes)
    return (m.orders, m.units, m.amount_spent, m.discount_received, m.promo_codes_used, codes,
            m.negative_feedbacks, m.returned_units)  # fmt: skip


def _write_totals(conn: Connection, computed: Computed) -> set[str]:
    """Replace the original-currency totals of the customers where they changed (or who have
    no orders any more); returns those customers."""
    t = schema.customer_totals
    stored: dict[str, list[tuple[Any, ...]]] = {}
    query = select(t.c.customer_id, t.c.currency, t.c.orders, _raw(t.c.amount_spent),
                   _raw(t.c.discount_received)).order_by(t.c.customer_id, t.c.currency)  # fmt: skip
    for cid, *total in plain_rows(conn, query):
        stored.setdefault(cid, []).append(tuple(total))
    moved = {
        cid
        for cid, (_, money) in computed.items()
        if stored.get(cid, [])
        != [
            (x.currency, x.orders, _cents(x.amount_spent), _cents(x.discount_received))
            for x in money
        ]
    }
    moved |= stored.keys() - computed.keys()
    for chunk in chunks(sorted(moved)):
        conn.execute(delete(t).where(one_of(t.c.customer_id, chunk)))
    totals = [
        {"customer_id": cid, "currency": x.currency, "orders": x.orders,
         "amount_spent": x.amount_spent, "discount_received": x.discount_received}
        for cid in sorted(moved & computed.keys())
        for x in computed[cid][1]
    ]  # fmt: skip
    if totals:
        conn.execute(insert(t), totals)
    return moved
