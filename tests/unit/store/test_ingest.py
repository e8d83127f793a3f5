from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import Table, func, select

from custsync.connectors.amazon.mapping import map_order
from custsync.connectors.base import Cursor, Page
from custsync.records import AccountId, Order, OrderStatus, Reject, StreamName
from custsync.store import schema
from custsync.store.db import Store
from custsync.store.ingest import write_page
from custsync.store.state import load_cursor, register_account
from tests.support.records import order

NOW = datetime(2026, 2, 1, tzinfo=UTC)
ACCT = AccountId("acct")


@pytest.fixture
def account(store: Store) -> AccountId:
    register_account(store, ACCT, "amazon", None, now=NOW)
    return ACCT


def _count(store: Store, table: Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)


def test_replayed_page_changes_nothing(store: Store, account: AccountId) -> None:
    page = Page([order("A"), order("B", buyer=None)], [], Cursor(position=NOW))
    first = write_page(store, account, StreamName.ORDERS, page, run_id="r1", now=NOW)
    second = write_page(store, account, StreamName.ORDERS, page, run_id="r2", now=NOW)
    assert (first.inserted, first.unlinked_orders) == (2, 1)
    assert (second.inserted, second.updated, second.unchanged) == (0, 0, 2)
    assert second.touched_buyers == set()
    assert _count(store, schema.orders) == 2
    assert _count(store, schema.order_lines) == 2


def test_newer_update_replaces_order_and_lines(store: Store, account: AccountId) -> None:
    old = order("A", status=OrderStatus.PENDING, total="5.00")
    new = order(
        "A",
        status=OrderStatus.SHIPPED,
        total="7.25",
        qty=3,
        updated=old.updated_at + timedelta(hours=2),
    )
    write_page(store, account, StreamName.ORDERS, Page([old], [], Cursor()), run_id="r", now=NOW)
    counts = write_page(
        store, account, StreamName.ORDERS, Page([new], [], Cursor()), run_id="r", now=NOW
    )
    assert counts.updated == 1
    with store.engine.connect() as conn:
        row = conn.execute(select(schema.orders)).mappings().one()
        lines = conn.execute(select(schema.order_lines)).mappings().all()
    assert (row["status"], row["total"], row["units"]) == ("shipped", Decimal("7.25"), 3)
    assert [line["qty"] for line in lines] == [3]


def test_stale_update_does_not_overwrite_newer_order(store: Store, account: AccountId) -> None:
    newer = order("A", status=OrderStatus.SHIPPED, updated=NOW)
    older = order("A", status=OrderStatus.PENDING, updated=NOW - timedelta(days=1))
    write_page(store, account, StreamName.ORDERS, Page([newer], [], Cursor()), run_id="r", now=NOW)
    counts = write_page(
        store, account, StreamName.ORDERS, Page([older], [], Cursor()), run_id="r", now=NOW
    )
    assert counts.unchanged == 1
    with store.engine.connect() as conn:
        assert conn.execute(select(schema.orders.c.status)).scalar() == "shipped"


def test_same_order_twice_in_a_page_keeps_the_later_update(
    store: Store, account: AccountId
) -> None:
    early = order("A", status=OrderStatus.UNSHIPPED, updated=NOW - timedelta(hours=1))
    late = order("A", status=OrderStatus.CANCELLED, updated=NOW)
    write_page(
        store, account, StreamName.ORDERS, Page([late, early], [], Cursor()), run_id="r", now=NOW
    )
    with store.engine.connect() as conn:
        assert conn.execute(select(schema.orders.c.status)).scalar() == "cancelled"


def test_rejects_and_cursor_are_stored_with_the_page(store: Store, account: AccountId) -> None:
    reject = Reject(StreamName.ORDERS, "X-1", "quantityOrdered is negative", '{"id": "X-1"}')
    page = Page([order("A")], [reject], Cursor(position=NOW, extra={"k": "v"}))
    counts = write_page(store, account, StreamName.ORDERS, page, run_id="r1", now=NOW)
    assert counts.rejected == 1
    with store.engine.connect() as conn:
        stored = conn.execute(select(schema.rejects)).mappings().one()
    assert (stored["source_id"], stored["reason"], stored["run_id"]) == (
        "X-1",
        "quantityOrdered is negative",
        "r1",
    )
    assert load_cursor(store, account, StreamName.ORDERS) == Cursor(position=NOW, extra={"k": "v"})


def test_failed_page_leaves_neither_rows_nor_cursor(store: Store, account: AccountId) -> None:
    good = Page([order("A")], [], Cursor(position=NOW))
    write_page(store, account, StreamName.ORDERS, good, run_id="r", now=NOW)
    naive = order("B", purchased=datetime(2026, 1, 1))  # naive time: the store refuses it
    bad = Page([naive], [], Cursor(position=NOW + timedelta(days=1)))
    with pytest.raises(Exception, match="naive datetime"):
        write_page(store, account, StreamName.ORDERS, bad, run_id="r", now=NOW)
    assert _count(store, schema.orders) == 1
    assert load_cursor(store, account, StreamName.ORDERS).position == NOW


def test_money_is_exact_to_the_cent(store: Store, account: AccountId) -> None:
    page = Page(
        [order("A", total="0.10"), order("B", total="0.20"), order("C", total="123456789.99")],
        [],
        Cursor(),
    )
    write_page(store, account, StreamName.ORDERS, page, run_id="r", now=NOW)
    with store.engine.connect() as conn:
        totals = sorted(conn.execute(select(schema.orders.c.total)).scalars())
    assert totals == [Decimal("0.10"), Decimal("0.20"), Decimal("123456789.99")]
    assert sum(totals[:2]) == Decimal("0.30")


def test_nul_characters_from_a_marketplace_are_dropped_not_a_stuck_page(
    store: Store, account: AccountId
) -> None:
    raw = {
        "orderId": "302-0000000-0000001",
        "createdTime": "2026-01-05T10:00:00Z",
        "lastUpdatedTime": "2026-01-05T10:00:00Z",
        "salesChannel": {"marketplaceId": "A1PA6795UKMFR9"},
        "buyer": {"buyerName": "Ann\x00 Lee", "buyerEmail": "ann@example.com"},
        "recipient": {"deliveryAddress": {"name": "Ann Lee", "postalCode": "04420",
                                          "countryCode": "DE", "city": "Mark\x00kleeberg"}},
        "fulfillment": {"fulfillmentStatus": "SHIPPED"},
        "orderItems": [],
    }  # fmt: skip
    sent = map_order(raw, account_id=account, marketplace_ids=["A1PA6795UKMFR9"])
    reject = map_order({"orderId": "B\x00"}, account_id=account, marketplace_ids=["A1PA6795UKMFR9"])
    assert isinstance(sent, Order)
    assert isinstance(reject, Reject)
    page = Page([sent], [reject], Cursor(position=NOW))
    counts = write_page(store, account, StreamName.ORDERS, page, run_id="r1", now=NOW)
    assert (counts.inserted, counts.rejected) == (1, 1)
    o = schema.orders
    with store.engine.connect() as conn:
        assert conn.execute(select(o.c.buyer_name, o.c.buyer_city)).one() == (
            "Ann Lee",
            "Markkleeberg",
        )
        assert conn.execute(select(schema.rejects.c.source_id)).scalar() == "B"
    again = write_page(store, account, StreamName.ORDERS, page, run_id="r2", now=NOW)
    assert again.unchanged == 1  # the same record, cleaned the same way


def _too_long(bad: Order, field: str, value: str) -> Order:
    if field == "sku":
        return dataclasses.replace(bad, lines=(dataclasses.replace(bad.lines[0], sku=value),))
    if field == "currency":
        return dataclasses.replace(bad, currency=value)
    return dataclasses.replace(bad, order_id=value)


@pytest.mark.parametrize(
    ("field", "value", "reason"),
    [
        ("order_id", "O" * 300, "order_id has 300 characters; the store keeps at most 255"),
        ("currency", "EURO", "currency has 4 characters; the store keeps at most 3"),
        ("sku", "S" * 256, "line sku has 256 characters; the store keeps at most 255"),
    ],
)
def test_a_record_too_long_for_its_column_is_rejected_and_the_page_stored(
    store: Store, account: AccountId, field: str, value: str, reason: str
) -> None:
    bad = _too_long(order("B"), field, value)
    long_reject = Reject(StreamName.ORDERS, "R" * 300, "no total", "{}")
    page = Page([order("A"), bad], [long_reject], Cursor(position=NOW))
    counts = write_page(store, account, StreamName.ORDERS, page, run_id="r", now=NOW)
    assert (counts.inserted, counts.rejected) == (1, 2)
    r = schema.rejects
    with store.engine.connect() as conn:
        assert conn.execute(select(schema.orders.c.order_id)).scalars().all() == ["A"]
        stored = conn.execute(select(r.c.source_id, r.c.reason).order_by(r.c.reject_id)).all()
    assert stored == [("R" * 255, "no total"), (bad.order_id[:255], reason)]
    assert load_cursor(store, account, StreamName.ORDERS).position == NOW
