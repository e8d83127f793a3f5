from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from custsync.store.db import Store
from custsync.store.queries import (
    CustomerFilter,
    PageWindow,
    SortOrder,
    Tab,
    count_filtered,
    filtered_rows,
    tab_rows,
)
from tests.support.reports import seed


def _names(store: Store, where: CustomerFilter, tab: Tab = Tab.ALL, **kw: object) -> list[str]:
    return [r.name or "" for r in filtered_rows(store, tab, where, **kw)]  # type: ignore[arg-type]


@pytest.fixture
def seeded(store: Store) -> Store:
    seed(store)
    return store


def test_search_is_partial_and_case_insensitive_across_scripts(seeded: Store) -> None:
    assert _names(seeded, CustomerFilter(search="ÉLODIE")) == ["Élodie Dupont"]
    assert _names(seeded, CustomerFilter(search="élo")) == ["Élodie Dupont"]
    assert _names(seeded, CustomerFilter(search="山田")) == ["山田 太郎"]
    assert _names(seeded, CustomerFilter(search="example.COM")) == ["Élodie Dupont"]


def test_search_matches_company_and_phone_digits(seeded: Store) -> None:
    assert _names(seeded, CustomerFilter(search="frères")) == ["Élodie Dupont"]
    assert _names(seeded, CustomerFilter(search="555-010")) == ["Élodie Dupont"]
    assert _names(seeded, CustomerFilter(search="5550102030")) == ["Élodie Dupont"]


def test_search_treats_like_wildcards_as_text(seeded: Store) -> None:
    assert _names(seeded, CustomerFilter(search="%")) == []
    assert _names(seeded, CustomerFilter(search="_")) == []


def test_money_and_count_bounds(seeded: Store) -> None:
    where = CustomerFilter(min_spent=Decimal("20"), max_spent=Decimal("80"))
    assert sorted(r.amount_spent for r in filtered_rows(seeded, Tab.ALL, where)) == [
        Decimal("20.00"),
        Decimal("50.00"),
        Decimal("80.00"),
    ]
    assert count_filtered(seeded, Tab.ALL, CustomerFilter(min_orders=2)) == 1
    assert count_filtered(seeded, Tab.ALL, CustomerFilter(max_orders=1)) == 4


def test_order_window_account_and_country(seeded: Store) -> None:
    window = CustomerFilter(since=date(2026, 1, 3), until=date(2026, 1, 5))
    # many@x ordered on the 3rd and 4th, promo@x and xss@x on the 5th, the JP buyer on the 6th
    assert count_filtered(seeded, Tab.ALL, window) == 3
    assert _names(seeded, CustomerFilter(account_id="eu")) == ["山田 太郎"]
    assert _names(seeded, CustomerFilter(country="ca")) == ["Élodie Dupont"]


def test_filters_apply_within_the_tab(seeded: Store) -> None:
    assert _names(seeded, CustomerFilter(), Tab.PROMO_CODES) == [
        '=HYPERLINK("http://x")',
        "山田 太郎",
    ]
    assert _names(seeded, CustomerFilter(country="JP"), Tab.PROMO_CODES) == ["山田 太郎"]
    assert count_filtered(seeded, Tab.MOST_RETURNS, CustomerFilter()) == 1


def test_default_order_is_the_tab_order_and_sort_breaks_ties_by_id(seeded: Store) -> None:
    tab = [r.customer_id for r in tab_rows(seeded, Tab.HIGHEST_VALUE)]
    assert [
        r.customer_id for r in filtered_rows(seeded, Tab.HIGHEST_VALUE, CustomerFilter())
    ] == tab
    by_orders = list(
        filtered_rows(seeded, Tab.ALL, CustomerFilter(), sort=SortOrder("orders", descending=False))
    )
    keys = [(r.orders, r.customer_id) for r in by_orders]
    assert keys == sorted(keys)


def test_paging_returns_one_window(seeded: Store) -> None:
    every = [r.customer_id for r in filtered_rows(seeded, Tab.ALL, CustomerFilter())]
    page = [
        r.customer_id
        for r in filtered_rows(seeded, Tab.ALL, CustomerFilter(), page=PageWindow(2, 4))
    ]
    assert page == every[4:8]
