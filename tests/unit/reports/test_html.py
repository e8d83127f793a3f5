from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from custsync.reports.html import write_html
from custsync.store.annotations import watch
from custsync.store.db import Store
from custsync.store.queries import Tab, tab_rows
from tests.support.reports import NOW, XSS_NAME, customer_id_named, seed, seed_linked


def _embedded(html: str, element_id: str) -> object:
    match = re.search(
        rf'<script type="application/json" id="{element_id}">(.*?)</script>', html, re.S
    )
    assert match is not None
    return json.loads(match.group(1))


@pytest.fixture
def page(store: Store, tmp_path: Path) -> str:
    seed(store)
    watch(store, customer_id_named(store, "Élodie Dupont"), "chargeback", now=NOW)
    assert write_html(store, tmp_path, now=NOW) == 5
    return (tmp_path / "index.html").read_text(encoding="utf-8")


def test_page_is_self_contained(page: str) -> None:
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert "@import" not in page
    assert re.search(r"<style>\s*:root", page)
    assert "default-src 'none'" in page  # the page may not fetch anything


def test_untrusted_text_cannot_close_the_data_element(page: str) -> None:
    assert XSS_NAME not in page
    rows = _embedded(page, "cs-rows")
    assert isinstance(rows, list)
    assert XSS_NAME in [row[1] for row in rows]


def test_rows_carry_contract_columns_money_in_cents_and_orders(page: str, store: Store) -> None:
    rows = _embedded(page, "cs-rows")
    meta = _embedded(page, "cs-meta")
    assert isinstance(rows, list)
    assert isinstance(meta, dict)
    ids = [c["id"] for c in meta["columns"]]
    assert ids == list(tab_rows.__globals__["CUSTOMER_COLUMNS"])
    by_id = {row[0]: row for row in rows}
    elodie = by_id[customer_id_named(store, "Élodie Dupont")]
    assert elodie[ids.index("amount_spent")] == 30000
    assert meta["dict"][elodie[ids.index("city")]] == "Montréal"
    company, watched, orders = elodie[len(ids) :]
    assert company == "Dupont Frères SARL"
    assert watched == [int(NOW.timestamp()), "chargeback"]
    assert [o[0] for o in orders] == ["N-1"]
    assert len(orders[0]) == 8  # trailing empty fields are left out


def test_each_customers_buyers_come_in_their_own_element_in_the_rows_order(
    page: str, store: Store
) -> None:
    rows, identities = _embedded(page, "cs-rows"), _embedded(page, "cs-identity")
    meta = _embedded(page, "cs-meta")
    assert isinstance(rows, list)
    assert isinstance(identities, list)
    assert isinstance(meta, dict)
    assert len(identities) == len(rows)
    at = [row[0] for row in rows].index(customer_id_named(store, "Élodie Dupont"))
    (buyers,) = identities[at]  # a single buyer: no links
    assert [[meta["dict"][account], key] for account, key in buyers] == [["na", "big@x"]]


def test_meta_has_client_statistics_and_the_six_tabs(page: str) -> None:
    meta = _embedded(page, "cs-meta")
    assert isinstance(meta, dict)
    assert [t["id"] for t in meta["tabs"]] == [t.value for t in Tab]
    stats = meta["stats"]
    # 5 customers, one with two orders; revenue 300 + 20 + 50 + 1 + 80
    assert (stats["customers"], stats["repeat_customers"], stats["orders"]) == (5, 1, 6)
    assert stats["revenue_cents"] == 45100
    assert stats["aov_cents"] == round(45100 / 6)
    assert stats["repeat_rate"] == 0.2


def test_same_store_and_time_give_the_same_page(store: Store, tmp_path: Path) -> None:
    seed(store)
    write_html(store, tmp_path / "a", now=NOW)
    write_html(store, tmp_path / "b", now=NOW)
    assert (tmp_path / "a" / "index.html").read_bytes() == (
        tmp_path / "b" / "index.html"
    ).read_bytes()


def test_empty_store_still_renders(store: Store, tmp_path: Path) -> None:
    assert write_html(store, tmp_path, now=NOW) == 0
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert _embedded(page, "cs-rows") == []


def test_rows_carry_each_customers_buyers_and_the_links_between_them(
    store: Store, tmp_path: Path
) -> None:
    seed_linked(store)
    write_html(store, tmp_path, now=NOW)
    page = (tmp_path / "index.html").read_text(encoding="utf-8")
    rows, meta = _embedded(page, "cs-rows"), _embedded(page, "cs-meta")
    identities = _embedded(page, "cs-identity")
    assert isinstance(rows, list)
    assert isinstance(identities, list)
    assert isinstance(meta, dict)
    text = meta["dict"]
    by_name = {row[1]: identity for row, identity in zip(rows, identities, strict=True)}
    buyers, links = by_name["Ann Lee"]
    keys = [[text[account], key] for account, key in buyers]
    assert keys == [["eu", "1001"], ["na", "ann.lee@x"], ["na", "ann@x"]]
    assert [(a, b, text[rule], sure) for a, b, rule, _, sure, *_ in links] == [
        (0, 1, "phone", 1),
        (0, 2, "phone", 1),
        (1, 2, "phone", 1),
    ]
    score, evidence = links[0][3], links[0][5:]
    assert score > 12
    found = {text[field]: [text[p] for p in parts] for field, *parts in evidence}
    assert [text[field] for field, *_ in evidence] == ["phone", "name", "address"]
    assert found["phone"] == ["same phone +12065550142"]
    assert found["address"][:2] == ["same postal code 10001", "same house number"]
    assert by_name["Bo Lee"] == [[[text.index("eu"), "bo"]]]  # kept apart from Ann
    merged = by_name["Cy Fox"]
    assert [key for _, key in merged[0]] == ["dm-77", "cy@x"]
    assert len(merged) == 1  # an operator's merge: buyers without a link between them
