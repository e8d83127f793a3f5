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
from custsync.store.metrics_figures import Prices, merged_figures, single_figures, with_events
from custsync.store.metrics_sql import customer_metrics

FROM = date(2020, 1, 1)
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
    first, last = "2026-01-01", "2026-01-02"
    row = ("C1", "EUR", 0, 2, 3, spent, off, first, first, last, "shop")
    stored = single_figures(row, "USD", prices)[0]
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
        day = "2026-01-01"
        held.append(("C1", currency, index, 1, 1, amount, off, day, day, day, "shop"))
    held.append(("C1", "USD", 0, 0, 0, 0, 0, None, "2025-12-31", "2026-02-01", "etsy,shop"))
    stored, totals, accounts, first, last = merged_figures(held, "USD", prices)
    assert stored[:4] == (len(rows), len(rows), _exact(spent), _exact(discount))
    assert [t[0] for t in totals] == sorted({r[0] for r in rows})
    assert sum(t[2] for t in totals) == sum(r[2] for r in rows)
    assert (accounts, first, last) == (("etsy", "shop"), "2025-12-31", "2026-02-01")


def test_events_come_into_the_figures_without_touching_the_money() -> None:
    row = ("C1", "EUR", 0, 2, 3, 1000, 100, "2026-01-01", "2026-01-01", "2026-01-05", "shop")
    bare = single_figures(row, "USD", Prices({"EUR": [(FROM, Decimal("1.5"))]}))
    assert bare[0] == (2, 3, 1500, 150, 0, "", 0, 0)
    stored, *rest = with_events(bare, (4, 1, {"SPRING", "AUTUMN"}))
    assert stored == (2, 3, 1500, 150, 2, "AUTUMN;SPRING", 1, 4)
    assert tuple(rest) == bare[1:]


def _plans(sqlite_url: str) -> list[str]:
    """The query plan of every statement a whole-store metrics run sends, on SQLite."""
    store = open_store(sqlite_url)
    upgrade(store)
    plans: list[str] = []

    def explain(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if statement.lstrip().startswith("SELECT"):
            rows = cursor.connection.execute("EXPLAIN QUERY PLAN " + statement, params)
            plans.append(" | ".join(row[3] for row in rows))

    event.listen(store.engine, "before_cursor_execute", explain)
    try:
        with store.engine.connect() as conn:
            customer_metrics(conn, FxTable.from_rates("USD", []))
    finally:
        event.remove(store.engine, "before_cursor_execute", explain)
        store.dispose()
    return plans


def test_promo_codes_are_read_from_the_covering_index_of_their_lines(sqlite_url: str) -> None:
    lines = [plan for plan in _plans(sqlite_url) if "ix_order_lines_promo" in plan]
    assert len(lines) == 1
    assert lines[0].startswith("SCAN e USING COVERING INDEX ix_order_lines_promo"), lines[0]


def test_events_reach_their_customer_through_the_index_of_orders_by_id(sqlite_url: str) -> None:
    """Returns, feedback, promo lines and promo uses each look their order's customer up in
    ``ix_orders_customer_by_order`` alone, never in the wide order rows."""
    plans = [plan for plan in _plans(sqlite_url) if "ix_orders_customer_totals" not in plan]
    assert len(plans) == 4
    for plan in plans:
        orders = [step for step in plan.split(" | ") if step.startswith(("SEARCH o ", "SCAN o "))]
        assert orders == [
            "SEARCH o USING COVERING INDEX ix_orders_customer_by_order"
            " (account_id=? AND order_id=?)"
        ], plan


def test_metrics_never_sort_nor_read_whole_order_rows(sqlite_url: str) -> None:
    """The sums come straight from the customer-ordered covering index in its order: no
    temporary B-tree for grouping or ordering (only the one that keeps a group's distinct
    seller accounts), and orders are only scanned through ``ix_orders_customer_totals``."""
    plans = _plans(sqlite_url)
    totals = [p for p in plans if "ix_orders_customer_totals" in p]
    assert len(totals) == 1
    assert "USING COVERING INDEX ix_orders_customer_totals" in totals[0], totals[0]
    for plan in plans:
        steps = plan.split(" | ")
        sorts = [s for s in steps if "TEMP B-TREE" in s and "DISTINCT" not in s]
        assert sorts == [], plan
        scans = [step for step in steps if step.startswith(("SCAN orders", "SCAN o "))]
        assert all("COVERING INDEX" in step for step in scans), plan
