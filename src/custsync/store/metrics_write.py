"""Storing recomputed metrics: only the customers whose figures or original-currency totals
changed are rewritten (after a new rate for one currency, those with orders in it). Stored
and new figures are compared as stored (money in integer cents), so unchanged customers cost
one tuple comparison.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Integer, bindparam, delete, insert, select, type_coerce, update

from custsync.store import schema
from custsync.store.metrics_figures import FIGURES, MONEY, Computed, Total
from custsync.store.metrics_sql import plain_rows
from custsync.store.refs import chunks, one_of


def write_metrics(conn: Connection, computed: Computed, *, now: datetime) -> int:
    """Store recomputed metrics on existing customer rows (identities stay as they are);
    returns how many customers were rewritten."""
    c = schema.customers
    columns = [_raw(c.c[name]) for name in FIGURES]
    stored = {row[0]: row[1:] for row in plain_rows(conn, select(c.c.customer_id, *columns))}
    rows = [
        {"cid": cid, **dict(zip(FIGURES, found[0], strict=True)), "updated_at": now}
        for cid, found in computed.figures.items()
        if stored.get(cid) != found[0]
    ]
    if rows:
        values = {name: bindparam(name, type_=_raw(c.c[name]).type) for name in FIGURES}
        values["updated_at"] = bindparam("updated_at", type_=c.c.updated_at.type)
        conn.execute(update(c).where(c.c.customer_id == bindparam("cid")).values(values), rows)
    moved = _write_totals(conn, computed)
    return len({row["cid"] for row in rows} | moved)


def _raw(column: Any) -> Any:
    """A money column read and written as its stored cents, others as they are."""
    return type_coerce(column, Integer) if column.name in MONEY else column


def _write_totals(conn: Connection, computed: Computed) -> set[str]:
    """Replace the original-currency totals of the customers where they changed (or who have
    no orders any more); returns those customers."""
    t = schema.customer_totals
    stored: dict[str, tuple[Total, ...]] = {}
    query = select(t.c.customer_id, t.c.currency, t.c.orders, _raw(t.c.amount_spent),
                   _raw(t.c.discount_received))  # fmt: skip
    for row in plain_rows(conn, query):  # in table order: reading by key costs 3× more
        held = stored.get(row[0])
        stored[row[0]] = (row[1:],) if held is None else tuple(sorted((*held, row[1:])))
    figures = computed.figures
    moved = {cid for cid, found in figures.items() if stored.get(cid, ()) != found[1]}
    moved |= stored.keys() - figures.keys()
    for chunk in chunks(sorted(moved)):
        conn.execute(delete(t).where(one_of(t.c.customer_id, chunk)))
    totals = [
        {"customer_id": cid, "currency": currency, "orders": orders, "amount_spent": cents,
         "discount_received": off}
        for cid in sorted(moved & figures.keys())
        for currency, orders, cents, off in figures[cid][1]
    ]  # fmt: skip
    if totals:
        money = {name: bindparam(name, type_=Integer) for name in MONEY}
        conn.execute(insert(t).values(money), totals)
    return moved
