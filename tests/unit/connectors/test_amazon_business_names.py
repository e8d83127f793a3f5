from __future__ import annotations

from custsync.connectors.amazon.mapping import map_order
from custsync.records import AccountId, Order


def _raw(buyer: dict[str, str]) -> dict[str, object]:
    return {
        "orderId": "302-0000000-0000001",
        "createdTime": "2026-01-05T10:00:00Z",
        "lastUpdatedTime": "2026-01-05T10:00:00Z",
        "salesChannel": {"marketplaceId": "A1PA6795UKMFR9"},
        "buyer": buyer,
        "recipient": {"deliveryAddress": {"name": "Björn Wagner", "postalCode": "04420",
                                          "countryCode": "DE"}},
        "fulfillment": {"fulfillmentStatus": "SHIPPED"},
        "orderItems": [],
    }  # fmt: skip


def test_an_amazon_business_order_names_the_recipient_not_the_business() -> None:
    business = "Amazon Business EU SARL"
    raw = _raw({"buyerName": business, "buyerCompanyName": business,
                "buyerEmail": "no-reply-amazon-iba-buyer@marketplace.amazon.de"})  # fmt: skip
    order = map_order(raw, account_id=AccountId("eu"), marketplace_ids=["A1PA6795UKMFR9"])
    assert isinstance(order, Order)
    assert (order.buyer.name, order.buyer.company) == ("Björn Wagner", business)


def test_a_person_buying_for_a_company_keeps_their_own_name() -> None:
    raw = _raw({"buyerName": "Ann Lee", "buyerCompanyName": "Lee GmbH"})
    order = map_order(raw, account_id=AccountId("eu"), marketplace_ids=["A1PA6795UKMFR9"])
    assert isinstance(order, Order)
    assert order.buyer.name == "Ann Lee"
