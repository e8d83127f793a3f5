from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from custsync.errors import ConfigError
from custsync.pipeline.facts import OrderFact
from custsync.pipeline.fx import FxRate, FxTable
from custsync.pipeline.merge import golden_contact
from custsync.pipeline.metrics import compute_metrics
from custsync.records import AccountId, BuyerInfo, BuyerKey, OrderStatus

FX = FxTable.from_rates(
    "USD",
    [
        FxRate("EUR", "USD", date(2025, 1, 1), Decimal("1.10")),
        FxRate("EUR", "USD", date(2026, 6, 1), Decimal("1.20")),
        FxRate("GBP", "EUR", date(2025, 1, 1), Decimal("9.99")),  # other base: ignored
    ],
)


def fact(
    order_id: str,
    *,
    total: str = "10.00",
    currency: str = "USD",
    status: OrderStatus = OrderStatus.SHIPPED,
    day: int = 1,
    month: int = 3,
    units: int = 1,
    discount: str = "0",
    codes: frozenset[str] = frozenset(),
    account: str = "a1",
    returned: int = 0,
    negative: int = 0,
    buyer: BuyerInfo | None = None,
) -> OrderFact:
    when = datetime(2026, month, day, 12, tzinfo=UTC)
    return OrderFact(
        AccountId(account),
        "M",
        order_id,
        BuyerKey("k"),
        status,
        when,
        when,
        currency,
        Decimal(total),
        Decimal(discount),
        units,
        codes,
        buyer or BuyerInfo(),
        returned,
        negative,
    )


def test_cancelled_orders_count_for_nothing_but_dates() -> None:
    m = compute_metrics(
        [
            fact("1", total="20.00", units=2),
            fact("2", total="99.00", status=OrderStatus.CANCELLED, day=9),
        ],
        FX,
    )
    assert (m.orders, m.units, m.amount_spent) == (1, 2, Decimal("20.00"))
    assert m.last_order_at == datetime(2026, 3, 9, 12, tzinfo=UTC)


def test_money_is_converted_with_the_rate_valid_on_the_order_day() -> None:
    m = compute_metrics(
        [
            fact("1", total="10.00", currency="EUR", month=3),
            fact("2", total="10.00", currency="EUR", month=7),
            fact("3", total="1.00"),
        ],
        FX,
    )
    assert m.amount_spent == Decimal("24.00")  # 11.00 + 12.00 + 1.00
    assert m.currency == "USD"
    assert m.average_order_value == Decimal("8.00")


def test_missing_rate_names_currency_and_day() -> None:
    with pytest.raises(ConfigError, match=r"GBP to USD valid on 2026-03-01"):
        compute_metrics([fact("1", currency="GBP")], FX)


def test_promo_codes_returns_feedback_and_accounts() -> None:
    m = compute_metrics(
        [
            fact("1", discount="2.50", codes=frozenset({"SPRING", "VIP"}), returned=1),
            fact("2", discount="1.00", codes=frozenset({"VIP"}), account="a2", negative=1),
        ],
        FX,
    )
    assert m.promo_codes == ("SPRING", "VIP")
    assert m.promo_codes_used == 2
    assert m.discount_received == Decimal("3.50")
    assert (m.returned_units, m.negative_feedbacks) == (1, 1)
    assert m.seller_accounts == ("a1", "a2")


def test_golden_contact_takes_the_newest_non_empty_value_per_field() -> None:
    old = fact("1", day=1, buyer=BuyerInfo(name="Ann Old", email="ann@mail.com", city="Boston"))
    new = fact(
        "2",
        day=5,
        buyer=BuyerInfo(
            name="Ann New", email="  ", city=None, address_line1="1 Main St", address_line2="Apt 2"
        ),
    )
    contact = golden_contact([old, new])
    assert (contact.name, contact.email, contact.city) == ("Ann New", "ann@mail.com", "Boston")
    assert contact.address == "1 Main St, Apt 2"
    assert golden_contact([replace(new, buyer=BuyerInfo())]).name is None
