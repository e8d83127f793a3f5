"""``without_nul``: texts lose their NUL characters, nested records included; a record with
none is handed back as it is."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from custsync.records import AccountId, BuyerInfo, Order, OrderLine, OrderStatus, without_nul

AT = datetime(2026, 1, 5, tzinfo=UTC)


def _order(name: str, codes: tuple[str, ...]) -> Order:
    line = OrderLine("L1", "SKU-1", "Thing", 1, Decimal("9.99"), Decimal(0), codes)
    return Order(
        account_id=AccountId("a"),
        marketplace="ATVPDKIKX0DER",
        order_id="1",
        buyer_key=None,
        status=OrderStatus.SHIPPED,
        purchased_at=AT,
        updated_at=AT,
        currency="USD",
        total=Decimal("9.99"),
        lines=(line,),
        buyer=BuyerInfo(name=name, postal_code="10001"),
    )


def test_nul_characters_go_from_every_text_however_deep() -> None:
    cleaned = without_nul(_order("Ann\x00 Lee", ("SAVE\x0010", "FREE")))
    assert cleaned == _order("Ann Lee", ("SAVE10", "FREE"))
    assert (cleaned.total, cleaned.status, cleaned.purchased_at) == (Decimal("9.99"), "shipped", AT)


def test_a_record_without_nul_is_the_same_object() -> None:
    clean = _order("Ann Lee", ("SAVE10",))
    assert without_nul(clean) is clean
    pair = (clean, "text")
    assert without_nul(pair) is pair
