"""Metrics as stored: integer conversion agrees with exact decimals, and the whole-store
refresh reads promo codes from their covering index."""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st
from sqlalchemy import event

from custsync.pipeline.fx import FxTable
from custsync.store.db import open_store, upgrade
from custsync.store.metrics_figures import Prices, merged_figures, single_figures
from custsync.store.metrics_sql import customer_metrics

FROM = date(2020, 1, 1)
NO_EVENTS = (0, 0, None)
rates = st.decimals(min_value=Decimal("0.000001"), max_value=Decimal(500), places=6)
cents = st.integers(min_value=-(10**12), max_value=10**12)


def _exact(amount: Decimal) -> int:
    return int(amount.to_integral_value(rounding=ROUND_HALF_EVEN))


@given(rate=rates, spent=cents, off=cents)
@example(rate=Decimal("0.5"), spent=5, off=-5)  # ties: 2.5 → 2, -2.5 → -2
@example(rate=Decimal("1.5"), spent=1, off=-1)  # 1.5 → 2, -1.5 → -2
def test_one_row_in_another_currency_equals_exact_decimals(
    rate: Decimal, spent: int, off: int
) -> None:
    prices = Prices({"EUR": [(FROM, rate)]})
    row = ("shop", "b1", "EUR", 0, 2, 3, spent, off, "2026-01-01", "2026-01-02")
    stored = single_figures(row, "USD", prices, NO_EVENTS)[0]
    assert stored[2:4] == (_exact(spent * rate), _exact(off * rate))


@given(
    eur=st.lists(rates, min_size=1, max_size=3),
    jpy=rates,
    rows=st.lists(
        st.tuples(st.sampled_from(["USD", "EUR", "JPY"]), st.integers(0, 2), cents, cents),
        min_size=2,
        max_size=6,
    ),
)
def test_several_rows_sum_exactly_and_round_once(
    eur: list[Decimal], jpy: Decimal, rows: list[tuple[str, int, int, int]]
) -> None:
    schedule = {"EUR": [(FROM, rate) for rate in eur], "JPY": [(FROM, jpy)]}
    prices = Prices(schedule)
    held: list[tuple[Any, ...]] = []
    spent = discount = Decimal(0)
    for currency, period, amount, off in rows:
        found = schedule.get(currency)
        index = min(period, len(found) - 1) if found else 0
        rate = found[index][1] if found else Decimal(1)
        spent += amount * rate
        discount += off * rate
        held.append(("shop", "b", currency, index, 1, 1, amount, off, "2026-01-01", "2026-01-01"))
    held.append(("etsy", "b", None, None, None, None, None, None, "2025-12-31", "2026-02-01"))
    stored, totals, accounts, first, last = merged_figures(held, "USD", prices, NO_EVENTS)
    assert stored[:4] == (len(rows), len(rows), _exact(spent), _exact(discount))
    assert [t[0] for t in totals] == sorted({r[0] for r in rows})
    assert sum(t[2] for t in totals) == sum(r[2] for r in rows)
    assert (accounts, first, last) == (("etsy", "shop"), "2025-12-31", "2026-02-01")


def test_promo_codes_are_read_from_the_covering_index_of_their_lines(sqlite_url: str) -> None:
    store = open_store(sqlite_url)
    upgrade(store)
    plans: list[str] = []

    def explain(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if "order_lines.promo_codes" in statement:
            rows = cursor.connection.execute("EXPLAIN QUERY PLAN " + statement, params)
            plans.append(" | ".join(row[3] for row in rows))

    event.listen(store.engine, "before_cursor_execute", explain)
    try:
        with store.engine.connect() as conn:
            customer_metrics(conn, FxTable.from_rates("USD", []))
    finally:
        event.remove(store.engine, "before_cursor_execute", explain)
        store.dispose()
    assert len(plans) == 1
    assert "SCAN order_lines USING COVERING INDEX ix_order_lines_promo" in plans[0], plans[0]
