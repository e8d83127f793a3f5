"""A world order as Orders API v2026-01-01 JSON (the shape of the official examples).

Sections follow ``includedData`` (BUYER, RECIPIENT, PROCEEDS, PROMOTION, FULFILLMENT); the
core (ids, times, programs, sales channel, items with product and quantity) is always there.
Amounts are strings; discounts are negative ``DISCOUNT`` breakdowns.
"""

from __future__ import annotations

from collections.abc import Collection

from custsync.sandbox import keys
from custsync.sandbox.catalog import is_shipping_promo, to_money
from custsync.sandbox.orders import Exposure, Line, SimOrder, Status, StatusChange, iso
from custsync.sandbox.people import Trait
from custsync.sandbox.presentation import Contact, profile_name, ship_to

Json = dict[str, object]

INCLUDED_DATA = frozenset(
    {
        "BUYER",
        "RECIPIENT",
        "PROCEEDS",
        "EXPENSE",
        "PROMOTION",
        "CANCELLATION",
        "FULFILLMENT",
        "PACKAGES",
        "TAX",
        "PAYMENT",
        "FULFILLMENT_ORDERS",
    }
)


def render_order(
    seed: int, order: SimOrder, state: StatusChange, included: Collection[str]
) -> Json:
    """``order`` as it stood at ``state`` (its latest change visible to the query)."""
    body: Json = {
        "orderId": order.order_id,
        "createdTime": iso(order.created_at_s),
        "lastUpdatedTime": iso(state.at_s),
        "programs": _programs(order),
        "salesChannel": {
            "channelName": "AMAZON",
            "marketplaceId": order.marketplace.id,
            "marketplaceName": order.marketplace.name,
        },
    }
    if order.exposure is not Exposure.HIDDEN:
        if "BUYER" in included:
            body["buyer"] = _buyer(seed, order)
        if "RECIPIENT" in included:
            body["recipient"] = {"deliveryAddress": _delivery_address(ship_to(seed, order))}
    if "PROCEEDS" in included:
        body["proceeds"] = {
            "grandTotal": _money(order.total_minor, order.currency),
            "breakdowns": _breakdowns(order.lines, order.currency, detailed=False),
        }
    if "FULFILLMENT" in included:
        body["fulfillment"] = {
            "fulfillmentStatus": state.status.value,
            "fulfilledBy": "AMAZON" if order.is_fulfilled_by_amazon else "MERCHANT",
            "fulfillmentServiceLevel": "STANDARD",
        }
    body["orderItems"] = [_item(line, order.currency, state, included) for line in order.lines]
    return body


def _programs(order: SimOrder) -> list[str]:
    programs = ["PRIME"] if order.is_fulfilled_by_amazon else []
    if order.person.has(Trait.BUSINESS):
        programs.append("AMAZON_BUSINESS")
    return programs


def _buyer(seed: int, order: SimOrder) -> Json:
    if order.exposure is Exposure.BUSINESS_RELAY:
        region = order.account.region or "na"
        return {
            "buyerName": keys.AMAZON_BUSINESS_BUYER[region],
            "buyerEmail": keys.amazon_business_relay(order.marketplace),
            "buyerCompanyName": keys.AMAZON_BUSINESS_BUYER[region],
        }
    buyer: Json = {"buyerName": profile_name(seed, order.person, order.account)}
    if order.buyer_key is not None:  # FBM orders only: FBA shows no e-mail
        buyer["buyerEmail"] = order.buyer_key
    if order.person.company:
        buyer["buyerCompanyName"] = order.person.company
    return buyer


def _delivery_address(contact: Contact) -> Json:
    fields: dict[str, str | None] = {
        "name": contact.name,
        "companyName": contact.company,
        "addressLine1": contact.address_line1,
        "addressLine2": contact.address_line2,
        "city": contact.city,
        "stateOrRegion": contact.state,
        "postalCode": contact.postal_code,
        "countryCode": contact.country_code,
        "phone": contact.phone,
        "addressType": "COMMERCIAL" if contact.company else "RESIDENTIAL",
    }
    return {key: value for key, value in fields.items() if value is not None}


def _item(line: Line, currency: str, state: StatusChange, included: Collection[str]) -> Json:
    item: Json = {
        "orderItemId": line.item_id,
        "quantityOrdered": line.qty,
        "product": {
            "asin": line.product.asin,
            "title": line.product.title,
            "sellerSku": line.product.sku,
            "price": {"unitPrice": _money(line.unit_price_minor, currency)},
        },
    }
    if "PROCEEDS" in included:
        item["proceeds"] = {
            "proceedsTotal": _money(line.total_minor, currency),
            "breakdowns": _breakdowns((line,), currency, detailed=True),
        }
    if "PROMOTION" in included and line.promo_code:
        item["promotion"] = {"breakdowns": [{"promotionId": line.promo_code}]}
    if "FULFILLMENT" in included:
        shipped = line.qty if state.status is Status.SHIPPED else 0
        item["fulfillment"] = {
            "quantityFulfilled": shipped,
            "quantityUnfulfilled": line.qty - shipped,
        }
    return item


def _breakdowns(lines: tuple[Line, ...], currency: str, *, detailed: bool) -> list[Json]:
    """ITEM, SHIPPING, TAX, DISCOUNT (negative; item-level ones split ITEM/SHIPPING)."""
    items = sum(line.items_minor for line in lines)
    shipping = sum(line.shipping_minor for line in lines)
    tax = sum(line.tax_minor for line in lines)
    shipping_discount = sum(
        line.discount_minor for line in lines if is_shipping_promo(line.promo_code)
    )
    discount = sum(line.discount_minor for line in lines)
    result: list[Json] = [{"type": "ITEM", "subtotal": _money(items, currency)}]
    if shipping:
        result.append({"type": "SHIPPING", "subtotal": _money(shipping, currency)})
    if tax:
        result.append({"type": "TAX", "subtotal": _money(tax, currency)})
    if discount:
        breakdown: Json = {"type": "DISCOUNT", "subtotal": _money(-discount, currency)}
        if detailed:
            details = [("ITEM", discount - shipping_discount), ("SHIPPING", shipping_discount)]
            breakdown["detailedBreakdowns"] = [
                {"subtype": subtype, "value": _money(-amount, currency)}
                for subtype, amount in details
                if amount
            ]
        result.append(breakdown)
    return result


def _money(minor: int, currency: str) -> Json:
    return {"amount": str(to_money(minor, currency)), "currencyCode": currency}
