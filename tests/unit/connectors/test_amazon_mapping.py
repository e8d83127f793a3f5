"""Amazon mapping (pure): official Orders API v2026-01-01 payloads → records.Order / Reject."""

from __future__ import annotations

import copy
import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from custsync.connectors.amazon.mapping import (
    buyer_key,
    is_junk_email,
    map_order,
    map_orders,
    normalize_text,
    weak_key,
)
from custsync.connectors.amazon.payloads import DeliveryAddress
from custsync.records import AccountId, BuyerInfo, Order, OrderStatus, Reject, StreamName
from tests.unit.connectors.connector_fakes import ORDERS_FIXTURES, load_fixture

ACCOUNT = AccountId("amazon-na")
MARKETPLACES = ["ATVPDKIKX0DER"]
ALIAS = "buyer-email@marketplace.amazon"


def fixture_orders(name: str) -> list[dict[str, object]]:
    data = load_fixture(name)
    orders = data["orders"] if "orders" in data else [data["order"]]
    assert isinstance(orders, list)
    return orders


def mapped(raw: dict[str, object]) -> Order:
    result = map_order(raw, account_id=ACCOUNT, marketplace_ids=MARKETPLACES)
    assert isinstance(result, Order), result
    return result


def one(name: str) -> Order:
    (raw,) = fixture_orders(name)
    return mapped(raw)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# (fixture, order id, marketplace, status, total, currency, purchased, updated,
#  [(line id, sku, qty, unit price, promo codes)])
EXPECTED = [
    ("getOrder.200.json", "202-1234567-8901234", "A1F83G8C2ARO7P", OrderStatus.SHIPPED,
     "103.97", "GBP", "2024-12-25T09:15:00", "2024-12-25T16:30:00",
     [("20212345678901", "ECHO-DOT-4-UK-CHARCOAL-3PACK", 3, "29.99", ("UK-BOXING-DAY-2024",))]),
    ("getOrder.200.sandbox-1.json", "171-9876543-2109876", "A2Q3Y263D00KWC",
     OrderStatus.UNSHIPPED, "299.90", "BRL", "2024-12-24T20:30:00", "2024-12-25T08:15:00",
     [("17198765432109", "ECHO-DOT-4-BR-PRETO", 1, "299.90", ("BR-NATAL-2024",))]),
    ("getOrder.200.sandbox-2.json", "028-1234567-8901234", "A33AVAJ2PDY3EV",
     OrderStatus.SHIPPED, "125.00", "TRY", "2025-03-15T10:30:00", "2025-03-15T14:20:00",
     [("02812345678901", "FIRE-HD10-TR-BLK", 2, "62.50", ())]),
    ("getOrder.200.sandbox-3.json", "114-9876543-1234567", "ATVPDKIKX0DER",
     OrderStatus.UNSHIPPED, "49.99", "USD", "2025-03-10T14:00:00", "2025-03-10T14:30:00",
     [("11498765431234", "ECHO-POP-US-BLK", 1, "39.99", ())]),
    ("searchOrders.200.json", "123-4567890-1234567", "ATVPDKIKX0DER", OrderStatus.SHIPPED,
     "154.99", "USD", "2024-12-25T10:30:00", "2024-12-25T14:45:00",
     [("12345678901234", "ECHO-DOT-4-CHARCOAL", 2, "49.99", ("PROMO-HOLIDAY-2024",)),
      ("12345678901235", "FIRE-TV-4K-2021", 1, "49.99", ())]),
    ("searchOrders.200.sandbox-1.json", "250-1234567-8901234", "A1VC38T7YXB528",
     OrderStatus.SHIPPED, "19940", "JPY", "2024-12-25T02:30:00", "2024-12-25T06:45:00",
     [("25012345678901", "ECHO-DOT-4-JP-CHARCOAL", 1, "5980", ("JP-WINTER-SALE-2024",)),
      ("25012345678902", "FIRE-TV-4K-MAX-JP", 2, "6980", ())]),
    ("searchOrders.200.sandbox-2.json", "202-7654321-1098765", "A1F83G8C2ARO7P",
     OrderStatus.SHIPPED, "34.99", "GBP", "2024-12-24T14:20:00", "2024-12-24T18:45:00",
     [("20276543210987", "ECHO-DOT-4-UK-CHARCOAL-SINGLE", 1, "34.99", ())]),
    ("searchOrders.200.sandbox-3.json", "171-2345678-9012345", "A2Q3Y263D00KWC",
     OrderStatus.UNSHIPPED, "1599.90", "BRL", "2024-12-22T15:30:00", "2024-12-23T10:00:00",
     [("17123456789012", "DELL-I15-BR-001", 1, "1599.90", ())]),
]  # fmt: skip


def test_every_200_fixture_is_covered() -> None:
    on_disk = {path.name for path in ORDERS_FIXTURES.glob("*.200*.json")}
    assert on_disk == {row[0] for row in EXPECTED}


@pytest.mark.parametrize("row", EXPECTED, ids=[row[0] for row in EXPECTED])
def test_fixture_order_maps_to_expected_values(row: tuple[object, ...]) -> None:
    name, order_id, marketplace, status, total, currency, purchased, updated, lines = row
    assert isinstance(name, str)
    order = one(name)
    assert order.account_id == ACCOUNT
    assert order.order_id == order_id
    assert order.marketplace == marketplace
    assert order.status is status
    assert order.total == Decimal(str(total))
    assert order.currency == currency
    assert order.purchased_at == utc(str(purchased))
    assert order.updated_at == utc(str(updated))
    assert order.purchased_at.tzinfo is UTC
    got = [(li.line_id, li.sku, li.qty, li.unit_price, li.promo_codes) for li in order.lines]
    assert got == [(i, s, q, Decimal(p), c) for i, s, q, p, c in lines]  # type: ignore[attr-defined]
    assert all(line.promo_discount == 0 for line in order.lines)  # no DISCOUNT in fixtures
    assert json.loads(order.source) == fixture_orders(name)[0]


BUYERS = {
    "getOrder.200.json": BuyerInfo(
        name="James Wilson", email=f"{ALIAS}.co.uk", phone="+44 161 123 4567",
        company="Wilson Electronics Ltd", address_line1="123 High Street",
        address_line2="Unit 4B", city="Manchester", state="England", postal_code="M1 2AB",
        country_code="GB"),
    "getOrder.200.sandbox-1.json": BuyerInfo(
        name="Maria Silva Santos", email=f"{ALIAS}.com.br", phone="+55 11 98765-4321",
        address_line1="Rua das Flores, 123", address_line2="Apartamento 45",
        city="São Paulo", state="SP", postal_code="01234-567", country_code="BR"),
    "getOrder.200.sandbox-2.json": BuyerInfo(
        name="Mehmet Yilmaz", email=f"{ALIAS}.com.tr", address_line1="Istiklal Caddesi No:42",
        address_line2="Kat 3", city="Istanbul", state="Istanbul", postal_code="34430",
        country_code="TR"),
    "getOrder.200.sandbox-3.json": BuyerInfo(
        name="Test Store #1234", phone="+1 206 555 0100", company="Test Store",
        address_line1="100 Main Street", address_line2="Suite 200", city="Seattle",
        state="WA", postal_code="98101", country_code="US"),
    "searchOrders.200.json": BuyerInfo(
        name="John Smith", email=f"{ALIAS}.com", phone="555-123-4567",
        company="Smith Industries LLC", address_line1="123 Main Street",
        address_line2="Suite 456", city="Seattle", state="WA", postal_code="98101",
        country_code="US"),
    "searchOrders.200.sandbox-1.json": BuyerInfo(
        name="John Smith", email=f"{ALIAS}.co.jp", address_line1="123 Business Park",
        address_line2="Suite 456", city="Tokyo", postal_code="150-0002", country_code="JP"),
    "searchOrders.200.sandbox-2.json": BuyerInfo(
        name="Sarah Thompson", email=f"{ALIAS}.co.uk", phone="+44 20 7946 0958",
        address_line1="45 Oak Avenue", address_line2="Flat 2A", city="London",
        state="England", postal_code="SW1A 1AA", country_code="GB"),
    "searchOrders.200.sandbox-3.json": BuyerInfo(
        name="Carlos Oliveira", email=f"{ALIAS}.com.br", phone="+55 11 91234-5678",
        company="Oliveira Tecnologia Ltda", address_line1="Avenida Paulista, 1000",
        address_line2="Sala 301", city="São Paulo", state="SP", postal_code="01310-100",
        country_code="BR"),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BUYERS))
def test_fixture_buyer_fields_and_key(name: str) -> None:
    order = one(name)
    assert order.buyer == BUYERS[name]
    if order.buyer.email:
        assert order.buyer_key == order.buyer.email.lower()
        assert not order.is_weak_key


def test_order_without_buyer_email_gets_weak_key_from_recipient() -> None:
    order = one("getOrder.200.sandbox-3.json")
    expected = hashlib.sha256(b"test store #1234|98101|us").hexdigest()[:20]
    assert order.buyer_key == f"weak:{expected}"
    assert order.is_weak_key


def base_order() -> dict[str, object]:
    return copy.deepcopy(fixture_orders("searchOrders.200.json")[0])


def test_pending_order_without_proceeds_totals_its_lines() -> None:
    raw = base_order()
    raw.pop("proceeds")
    raw["fulfillment"] = {"fulfillmentStatus": "PENDING"}
    order = mapped(raw)
    assert order.status is OrderStatus.PENDING
    assert order.total == Decimal("149.97")  # 2 × 49.99 + 1 × 49.99
    assert order.currency == "USD"


def test_pending_order_without_prices_uses_marketplace_currency() -> None:
    raw = base_order()
    raw.pop("proceeds")
    raw["fulfillment"] = {"fulfillmentStatus": "PENDING_AVAILABILITY"}
    raw["salesChannel"] = {"marketplaceId": "A1PA6795UKMFR9"}
    for item in raw["orderItems"]:  # type: ignore[attr-defined]
        item["product"].pop("price")
    order = mapped(raw)
    assert (order.total, order.currency, order.marketplace) == (Decimal(0), "EUR", "A1PA6795UKMFR9")


def test_missing_sales_channel_falls_back_to_first_account_marketplace() -> None:
    raw = base_order()
    raw.pop("salesChannel")
    assert mapped(raw).marketplace == "ATVPDKIKX0DER"


def test_item_discount_breakdown_becomes_promo_discount() -> None:
    raw = base_order()
    item = raw["orderItems"][0]  # type: ignore[index]
    item["proceeds"]["breakdowns"].append(
        {"type": "DISCOUNT", "subtotal": {"amount": "-10.00", "currencyCode": "USD"},
         "detailedBreakdowns": [{"subtype": "ITEM", "value": {"amount": "-10.00"}}]}
    )  # fmt: skip
    item["promotion"] = {
        "breakdowns": [{"promotionId": "B"}, {"promotionId": "A"}, {"promotionId": "B"}]
    }
    order = mapped(raw)
    assert order.lines[0].promo_discount == Decimal("10.00")
    assert order.lines[0].promo_codes == ("A", "B")
    assert order.lines[1].promo_discount == 0
    assert order.discount == Decimal("10.00")


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("PENDING_AVAILABILITY", OrderStatus.PENDING),
        ("PENDING", OrderStatus.PENDING),
        ("UNSHIPPED", OrderStatus.UNSHIPPED),
        ("PARTIALLY_SHIPPED", OrderStatus.PARTIALLY_SHIPPED),
        ("SHIPPED", OrderStatus.SHIPPED),
        ("CANCELLED", OrderStatus.CANCELLED),
        ("UNFULFILLABLE", OrderStatus.UNFULFILLABLE),
    ],
)
def test_fulfillment_statuses(status: str, expected: OrderStatus) -> None:
    raw = base_order()
    raw["fulfillment"] = {"fulfillmentStatus": status}
    assert mapped(raw).status is expected


def rejected(raw: dict[str, object]) -> Reject:
    result = map_order(raw, account_id=ACCOUNT, marketplace_ids=MARKETPLACES)
    assert isinstance(result, Reject), result
    assert result.stream is StreamName.ORDERS
    assert json.loads(result.payload) == raw
    return result


def test_unknown_status_is_rejected() -> None:
    raw = base_order()
    raw["fulfillment"] = {"fulfillmentStatus": "TELEPORTED"}
    reject = rejected(raw)
    assert reject.source_id == "123-4567890-1234567"
    assert "TELEPORTED" in reject.reason


def test_missing_order_id_is_rejected_without_source_id() -> None:
    raw = base_order()
    raw.pop("orderId")
    reject = rejected(raw)
    assert reject.source_id is None
    assert "orderId" in reject.reason


@pytest.mark.parametrize(
    ("value", "reason"),
    [("yesterday", "not an ISO 8601"), ("2024-12-25T10:30:00", "no time zone"), (None, "missing")],
)
def test_bad_dates_are_rejected(value: str | None, reason: str) -> None:
    raw = base_order()
    raw["lastUpdatedTime"] = value
    assert reason in rejected(raw).reason


def test_offset_times_become_utc() -> None:
    raw = base_order()
    raw["createdTime"] = "2024-12-25T12:30:00+02:00"
    assert mapped(raw).purchased_at == datetime(2024, 12, 25, 10, 30, tzinfo=UTC)


def test_negative_quantity_is_rejected() -> None:
    raw = base_order()
    raw["orderItems"][0]["quantityOrdered"] = -1  # type: ignore[index]
    assert "negative quantityOrdered" in rejected(raw).reason


def test_shape_errors_name_the_field_not_the_value() -> None:
    raw = base_order()
    raw["proceeds"]["grandTotal"]["amount"] = "jane@example.com"  # type: ignore[index]
    reason = rejected(raw).reason
    assert "proceeds.grandTotal.amount" in reason
    assert "jane@example.com" not in reason


def test_map_orders_splits_good_and_bad() -> None:
    good = base_order()
    bad = base_order()
    bad["orderId"] = "bad-1"
    bad["fulfillment"] = {}
    orders, rejects = map_orders([good, bad], account_id=ACCOUNT, marketplace_ids=MARKETPLACES)
    assert [o.order_id for o in orders] == ["123-4567890-1234567"]
    assert [r.source_id for r in rejects] == ["bad-1"]


def test_source_is_the_order_json_with_sorted_keys() -> None:
    raw = base_order()
    assert mapped(raw).source == json.dumps(raw, sort_keys=True, ensure_ascii=False)


@pytest.mark.parametrize(
    "email",
    [
        "",
        "   ",
        "not-an-address",
        "no-reply-amazon-iba-buyer@marketplace.amazon.com",
        "No-Reply-Amazon-IBA-Buyer@marketplace.amazon.de",
        "no-reply-amazon-iba-buyer@marketplace.amazon.co.jp",
    ],
)
def test_junk_emails(email: str) -> None:
    assert is_junk_email(email)


def test_real_alias_is_not_junk_and_is_lowercased() -> None:
    assert not is_junk_email("AbC123@marketplace.amazon.com")
    assert buyer_key(" AbC123@Marketplace.Amazon.com ", None) == "abc123@marketplace.amazon.com"


def test_junk_email_falls_back_to_weak_key() -> None:
    address = DeliveryAddress(name="José  Núñez", postal_code="28013", country_code="ES")
    key = buyer_key("no-reply-amazon-iba-buyer@marketplace.amazon.es", address)
    assert key == weak_key("jose nunez", "28013", "es")
    assert key is not None
    assert key.startswith("weak:")
    assert len(key) == 25


def test_weak_key_normalizes_case_accents_spaces_and_postal_separators() -> None:
    assert weak_key("  MARÍA   Silva ", "01234-567", "BR") == weak_key(
        "maria silva", "01234567", "br"
    )
    assert weak_key("Ａｎｎａ", "SW1A 1AA", "GB") == weak_key("anna", "sw1a1aa", "gb")
    assert weak_key("Anna", "1", "GB") != weak_key("Anna", "2", "GB")


def test_no_email_and_no_postal_code_means_no_buyer_key() -> None:
    assert buyer_key(None, DeliveryAddress(name="Anna")) is None
    assert buyer_key("", DeliveryAddress(postal_code="12345")) is None
    assert buyer_key(None, None) is None


def test_order_without_buyer_data_is_still_produced() -> None:
    raw = base_order()
    raw.pop("buyer")
    raw.pop("recipient")
    order = mapped(raw)
    assert order.buyer_key is None
    assert not order.buyer.has_pii


def test_normalize_text() -> None:
    assert normalize_text(" Ærøskøbing\tStraße  ") == "ærøskøbing strasse"
    assert normalize_text("Crème Brûlée") == "creme brulee"
