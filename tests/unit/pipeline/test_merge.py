from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from custsync.pipeline.facts import ContactFact
from custsync.pipeline.merge import golden_contact, reading_order
from custsync.pipeline.metrics import CurrencyTotal, currency_totals
from custsync.records import AccountId, BuyerInfo, BuyerKey, OrderStatus
from tests.unit.pipeline.test_metrics import fact


def test_the_most_frequent_name_spelling_wins_and_ties_go_to_the_newest() -> None:
    orders = [
        fact("1", day=1, buyer=BuyerInfo(name="Robert Smith")),
        fact("2", day=2, buyer=BuyerInfo(name="Robert Smith")),
        fact("3", day=3, buyer=BuyerInfo(name="Bob Smith")),
    ]
    assert golden_contact(orders).name == "Robert Smith"
    assert golden_contact(orders[1:]).name == "Bob Smith"


def test_a_personal_email_beats_a_relay_alias_and_junk_never_shows() -> None:
    orders = [
        fact("1", day=1, buyer=BuyerInfo(email="ann@example.org")),
        fact("2", day=2, buyer=BuyerInfo(email="ann.lee@gmail.com")),
        fact("3", day=3, buyer=BuyerInfo(email="a1b2@marketplace.amazon.com")),
        fact("4", day=4, buyer=BuyerInfo(email="no-reply-amazon-iba-buyer@marketplace.amazon.com")),
    ]
    contact = golden_contact(orders)
    assert contact.email == "ann.lee@gmail.com"
    assert contact.alternate_emails == ("ann.lee@gmail.com", "a1b2@marketplace.amazon.com")


def test_imported_contact_rows_count_by_their_import_time() -> None:
    old = fact("1", day=1, buyer=BuyerInfo(name="Ann Lee", phone="111", city="Boston"))
    row = ContactFact(
        AccountId("list"),
        BuyerKey("7"),
        BuyerInfo(name="Ann Lee", phone="222"),
        datetime(2026, 6, 1, tzinfo=UTC),
    )
    contact = golden_contact([old], [row])
    assert (contact.phone, contact.city) == ("222", "Boston")
    assert contact.alternate_phones == ("222", "111")
    assert golden_contact([], [row]).name == "Ann Lee"


def test_currency_totals_keep_original_money_without_cancelled_orders() -> None:
    orders = [
        fact("1", total="10.00", discount="1.00"),
        fact("2", total="5.50", currency="EUR"),
        fact("3", total="99.00", status=OrderStatus.CANCELLED),
    ]
    assert currency_totals(orders) == (
        CurrencyTotal("EUR", 1, Decimal("5.50"), Decimal("0.00")),
        CurrencyTotal("USD", 1, Decimal("10.00"), Decimal("1.00")),
    )


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("Weiß, Sören", "Sören Weiß"),
        ("  Smith ,  John  ", "John Smith"),
        ("Smith, John, Jr.", "John Smith Jr."),
        ("Robert Smith", "Robert Smith"),
        ("Smith,", "Smith,"),
        ("a, b, c", "a, b, c"),
    ],
)
def test_names_are_shown_in_reading_order(raw: str, shown: str) -> None:
    assert reading_order(raw) == shown


def test_last_first_and_first_last_count_as_one_spelling() -> None:
    orders = [
        fact("1", day=1, buyer=BuyerInfo(name="Weiß, Sören")),
        fact("2", day=2, buyer=BuyerInfo(name="Sören Weiß")),
        fact("3", day=3, buyer=BuyerInfo(name="Soren Weiss")),
    ]
    assert golden_contact(orders).name == "Sören Weiß"
