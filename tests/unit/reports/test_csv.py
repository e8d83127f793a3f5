from __future__ import annotations

import csv
from datetime import UTC, datetime, timedelta
from pathlib import Path

from custsync.connectors.base import Cursor, Page
from custsync.rebuild import rebuild_customers
from custsync.records import AccountId, OrderStatus, StreamName
from custsync.reports.cells import text_cell
from custsync.reports.csv import write_tab_csvs
from custsync.store.db import Store
from custsync.store.ingest import write_page
from custsync.store.state import register_account
from tests.support.records import order

HEADER = (
    "customer_id,name,email,phone,address,zip,city,state,country,orders,units,amount_spent,"
    "currency,discount_received,promo_codes_used,negative_feedbacks,returned_units,"
    "seller_accounts,first_order_at,last_order_at"
)
NOW = datetime(2026, 3, 1, tzinfo=UTC)
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _seed(store: Store) -> None:
    register_account(store, AccountId("acct"), "amazon", None, now=NOW)
    orders = [
        order("1", buyer="big@x", total="300.00", purchased=T0),
        order("2", buyer="many@x", total="10.00", purchased=T0 + timedelta(days=1)),
        order("3", buyer="many@x", total="10.00", purchased=T0 + timedelta(days=2), qty=2),
        order(
            "4",
            buyer="many@x",
            total="10.00",
            purchased=T0 + timedelta(days=3),
            status=OrderStatus.CANCELLED,
        ),
        order(
            "5",
            buyer="promo@x",
            total="50.00",
            purchased=T0 + timedelta(days=4),
            discount="5.00",
            codes=("SAVE5",),
            name='=HYPERLINK("http://x")',
        ),
        order("6", buyer=None, total="5.00"),
    ]
    write_page(
        store, AccountId("acct"), StreamName.ORDERS, Page(orders, [], Cursor()), run_id="r", now=NOW
    )
    rebuild_customers(store, None, base_currency="USD", now=NOW)


def _read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_tab_files_have_contract_header_and_order(store: Store, tmp_path: Path) -> None:
    _seed(store)
    written = write_tab_csvs(store, tmp_path)
    assert written["all.csv"] == 3
    assert (tmp_path / "all.csv").read_text(encoding="utf-8").splitlines()[0] == HEADER
    by_value = _read(tmp_path / "highest-value.csv")
    assert [r["amount_spent"] for r in by_value] == ["300.00", "50.00", "20.00"]
    most = _read(tmp_path / "most-orders.csv")[0]
    assert (most["orders"], most["units"], most["amount_spent"]) == ("2", "3", "20.00")
    assert most["first_order_at"] == "2026-01-02T00:00:00Z"
    promo = _read(tmp_path / "promo-codes.csv")
    assert [(r["promo_codes_used"], r["discount_received"]) for r in promo] == [("1", "5.00")]
    assert [r["amount_spent"] for r in _read(tmp_path / "all.csv")] == ["50.00", "20.00", "300.00"]
    assert _read(tmp_path / "most-returns.csv") == []


def test_formula_cells_are_neutralised(store: Store, tmp_path: Path) -> None:
    _seed(store)
    write_tab_csvs(store, tmp_path)
    names = {r["name"] for r in _read(tmp_path / "all.csv")}
    assert '\'=HYPERLINK("http://x")' in names
    assert text_cell("+1 555") == "'+1 555"
    assert text_cell("Ann") == "Ann"


def test_orders_and_buyers_files_cover_every_order(store: Store, tmp_path: Path) -> None:
    _seed(store)
    write_tab_csvs(store, tmp_path)
    orders = _read(tmp_path / "orders.csv")
    assert len(orders) == 6
    assert {r["order_id"]: r["customer_id"] for r in orders}["6"] == ""
    buyers = _read(tmp_path / "buyers.csv")
    assert sorted(r["buyer_key"] for r in buyers) == ["big@x", "many@x", "promo@x"]
    by_customer = {r["customer_id"] for r in buyers}
    assert {r["customer_id"] for r in orders if r["customer_id"]} == by_customer


def test_same_store_gives_byte_identical_files(store: Store, tmp_path: Path) -> None:
    _seed(store)
    write_tab_csvs(store, tmp_path / "a")
    rebuild_customers(store, None, base_currency="USD", now=NOW + timedelta(days=1))
    write_tab_csvs(store, tmp_path / "b")
    for name in ("all.csv", "buyers.csv", "orders.csv", "highest-value.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()
