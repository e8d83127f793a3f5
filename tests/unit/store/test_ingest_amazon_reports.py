"""Ingest of report data: the strongest buyer key wins, events refresh their order's buyer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from custsync.connectors.base import Cursor, Page
from custsync.records import (
    AccountId,
    BuyerKey,
    Feedback,
    PromoUse,
    Record,
    Return,
    StreamName,
)
from custsync.store import schema
from custsync.store.customers import stale_buyer_refs
from custsync.store.db import Store
from custsync.store.ingest import PageCounts, key_strength, write_page
from custsync.store.state import register_account
from tests.support.records import order

NOW = datetime(2026, 2, 1, tzinfo=UTC)
ACCT = AccountId("acct")
EMAIL = "a@marketplace.amazon.com"
WEAK = "weak:0123456789abcdef0123"


@pytest.fixture
def account(store: Store) -> AccountId:
    register_account(store, ACCT, "amazon", None, now=NOW)
    return ACCT


def write(
    store: Store, *records: Record, stream: StreamName = StreamName.ORDERS, now: datetime = NOW
) -> PageCounts:
    page = Page(list(records), [], Cursor())
    return write_page(store, ACCT, stream, page, run_id="r", now=now)


def stored_order(store: Store) -> dict[str, object]:
    with store.engine.connect() as conn:
        return dict(conn.execute(select(schema.orders)).mappings().one())


def test_key_strength_orders_marketplace_weak_none() -> None:
    assert key_strength(EMAIL) > key_strength(WEAK) > key_strength(None)


def test_report_update_without_buyer_keeps_the_searched_key_and_buyer_data(
    store: Store, account: AccountId
) -> None:
    searched = order("A", buyer=EMAIL, name="Ann Buyer")
    write(store, searched)
    from_report = order(
        "A", buyer=None, name=None, total="12.00", updated=searched.updated_at + timedelta(hours=1)
    )
    counts = write(store, from_report)
    row = stored_order(store)
    assert (row["buyer_key"], row["buyer_name"], row["total"]) == (
        EMAIL,
        "Ann Buyer",
        Decimal("12.00"),
    )
    assert counts.unlinked_orders == 0
    assert counts.touched_buyers == {(ACCT, BuyerKey(EMAIL))}


def test_searched_key_upgrades_a_report_order_and_touches_both_buyers(
    store: Store, account: AccountId
) -> None:
    write(store, order("A", buyer=WEAK))
    later = order("A", buyer=EMAIL, updated=datetime(2026, 1, 5, 11, tzinfo=UTC))
    counts = write(store, later)
    assert stored_order(store)["buyer_key"] == EMAIL
    assert stored_order(store)["is_weak_key"] is False
    assert counts.touched_buyers == {(ACCT, BuyerKey(EMAIL)), (ACCT, BuyerKey(WEAK))}


def test_unkeyed_order_from_a_report_counts_as_unlinked(store: Store, account: AccountId) -> None:
    counts = write(store, order("A", buyer=None))
    assert counts.unlinked_orders == 1
    assert counts.touched_buyers == set()


def test_returns_feedback_and_promos_touch_their_orders_buyer(
    store: Store, account: AccountId
) -> None:
    write(store, order("A", buyer=EMAIL), order("B", buyer=None))
    events: list[Record] = [
        Return(ACCT, "RMA1:S", "A", "S", 1, "DEFECTIVE", NOW),
        Return(ACCT, "RMA2:S", "B", "S", 1, None, NOW),
        Feedback(ACCT, "A", 1, "bad", NOW),
        PromoUse(ACCT, "A", "SPRING15", Decimal("1.50"), "USD"),
    ]
    counts = write(store, *events, stream=StreamName.RETURNS)
    assert counts.inserted == 4
    assert counts.touched_buyers == {(ACCT, BuyerKey(EMAIL))}
    again = write(store, *events, stream=StreamName.RETURNS)
    assert (again.unchanged, again.touched_buyers) == (4, set())
    with store.engine.connect() as conn:
        stamps = conn.execute(select(schema.returns.c.ingested_at)).scalars().all()
    assert stamps == [NOW, NOW]


@pytest.mark.parametrize("table", ["returns", "feedback", "promo_uses"])
def test_an_event_newer_than_its_buyer_makes_the_buyer_stale(
    store: Store, account: AccountId, table: str
) -> None:
    write(store, order("A", buyer=EMAIL))
    with store.begin() as conn:
        conn.execute(
            schema.buyers.insert().values(
                account_id=ACCT,
                buyer_key=EMAIL,
                marketplace="ATVPDKIKX0DER",
                customer_id="c1",
                is_weak_key=False,
                updated_at=NOW + timedelta(minutes=1),
            )
        )
    assert stale_buyer_refs(store) == []
    events: dict[str, Record] = {
        "returns": Return(ACCT, "RMA1:S", "A", "S", 1, None, NOW),
        "feedback": Feedback(ACCT, "A", 2, None, NOW),
        "promo_uses": PromoUse(ACCT, "A", "X", Decimal(1), "USD"),
    }
    write(store, events[table], now=NOW + timedelta(minutes=5))
    assert stale_buyer_refs(store) == [(ACCT, BuyerKey(EMAIL))]
    with store.begin() as conn:
        conn.execute(update(schema.buyers).values(updated_at=NOW + timedelta(minutes=6)))
    assert stale_buyer_refs(store) == []
