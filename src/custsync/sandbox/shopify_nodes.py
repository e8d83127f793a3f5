"""A world order as a Shopify GraphQL Admin ``Order`` node (the data; ``shopify_graphql``
selects from it). Times are UTC (``DateTime``), amounts ``MoneyV2`` strings, enums upper case.
Connections and lists are Python lists; the schema in ``shopify_graphql`` says which is which.
"""

from __future__ import annotations

from custsync.sandbox import keys
from custsync.sandbox.catalog import is_shipping_promo
from custsync.sandbox.market_index import AccountBook, OrderView
from custsync.sandbox.orders import Exposure, Line, SimOrder, Status, iso
from custsync.sandbox.presentation import Contact, account_email, e164, profile_parts, ship_to
from custsync.sandbox.shopify_payloads import (
    COUNTRY_NAMES,
    closed_s,
    financial_status,
    money,
    refund_minor,
    split_name,
)

Json = dict[str, object]


def bag(minor: int) -> Json:
    amount = {"amount": money(minor), "currencyCode": "USD"}
    return {"shopMoney": amount, "presentmentMoney": dict(amount)}


def order_node(seed: int, book: AccountBook, view: OrderView) -> Json:
    order, state = view.order, view.state
    contact = None if order.exposure is Exposure.HIDDEN else ship_to(seed, order)
    codes = sorted({line.promo_code for line in order.lines if line.promo_code})
    items = sum(line.items_minor for line in order.lines)
    item_discount = sum(
        line.discount_minor for line in order.lines if not is_shipping_promo(line.promo_code)
    )
    refunds = [_refund(order, view)] if view.returns else []
    refunded = sum(sum(refund_minor(_line(order, r.sku), r.qty)) for r in view.returns)
    closed = closed_s(view)
    cancelled = state.status is Status.CANCELLED
    return {
        "id": f"gid://shopify/Order/{order.order_id}",
        "legacyResourceId": order.order_id,
        "name": f"#{1000 + view.number}",
        "email": None if contact is None else account_email(seed, order.person, order.account),
        "phone": None,
        "createdAt": iso(order.created_at_s),
        "updatedAt": iso(view.updated_s),
        "processedAt": iso(order.created_at_s),
        "cancelledAt": iso(state.at_s) if cancelled else None,
        "cancelReason": "CUSTOMER" if cancelled else None,
        "closed": closed is not None,
        "closedAt": iso(closed) if closed is not None else None,
        "currencyCode": order.currency,
        "displayFinancialStatus": financial_status(view).upper(),
        "displayFulfillmentStatus": "FULFILLED"
        if state.status is Status.SHIPPED
        else "UNFULFILLED",
        "discountCode": codes[0] if codes and order.discount_minor else None,
        "discountCodes": codes if order.discount_minor else [],
        "test": False,
        "tags": [],
        "sourceName": "web",
        "subtotalPriceSet": bag(items - item_discount),
        "totalDiscountsSet": bag(order.discount_minor),
        "totalPriceSet": bag(order.total_minor),
        "totalShippingPriceSet": bag(sum(line.shipping_minor for line in order.lines)),
        "totalTaxSet": bag(sum(line.tax_minor for line in order.lines)),
        "totalRefundedSet": bag(refunded),
        "currentTotalPriceSet": bag(order.total_minor - refunded),
        "customer": None if contact is None else _customer(seed, book, order),
        "shippingAddress": _address(contact),
        "billingAddress": _address(contact),
        "lineItems": [_line_item(line, view) for line in order.lines],
        "refunds": refunds,
    }


def _line(order: SimOrder, sku: str) -> Line:
    return next(line for line in order.lines if line.product.sku == sku)


def _line_item(line: Line, view: OrderView) -> Json:
    item_discount = 0 if is_shipping_promo(line.promo_code) else line.discount_minor
    returned = sum(item.qty for item in view.returns if item.sku == line.product.sku)
    cancelled = view.state.status is Status.CANCELLED
    return {
        "id": f"gid://shopify/LineItem/{line.item_id}",
        "sku": line.product.sku,
        "title": line.product.title,
        "name": line.product.title,
        "quantity": line.qty,
        "currentQuantity": 0 if cancelled else line.qty - returned,
        "originalUnitPriceSet": bag(line.unit_price_minor),
        "originalTotalSet": bag(line.items_minor),
        "discountedTotalSet": bag(line.items_minor - item_discount),
        "totalDiscountSet": bag(item_discount),
        "discountAllocations": (
            [{"allocatedAmountSet": bag(item_discount)}] if item_discount else []
        ),
    }


def _refund(order: SimOrder, view: OrderView) -> Json:
    refund_id = 10_000_000_000 + order.number
    lines, total = [], 0
    for item in view.returns:
        line = _line(order, item.sku)
        subtotal, tax = refund_minor(line, item.qty)
        total += subtotal + tax
        lines.append(
            {
                "quantity": item.qty,
                "restockType": "RETURN",
                "subtotalSet": bag(subtotal),
                "totalTaxSet": bag(tax),
                "lineItem": _line_item(line, view),
            }
        )
    return {
        "id": f"gid://shopify/Refund/{refund_id}",
        "legacyResourceId": str(refund_id),
        "createdAt": iso(view.returns[0].returned_at_s),
        "note": view.returns[0].reason.replace("_", " ").lower(),
        "totalRefundedSet": bag(total),
        "refundLineItems": lines,
    }


def _address(contact: Contact | None) -> Json | None:
    if contact is None:
        return None
    first, last = split_name(contact.name)
    return {
        "firstName": first,
        "lastName": last,
        "name": contact.name,
        "address1": contact.address_line1,
        "address2": contact.address_line2,
        "city": contact.city,
        "province": contact.state,
        "provinceCode": contact.state,
        "zip": contact.postal_code,
        "country": COUNTRY_NAMES[contact.country_code],
        "countryCodeV2": contact.country_code,
        "phone": contact.phone,
        "company": contact.company,
    }


def _customer(seed: int, book: AccountBook, order: SimOrder) -> Json:
    person = order.person
    first, last = profile_parts(seed, person, order.account)
    customer_id = keys.shopify_customer_id(seed, person)
    email, phone = account_email(seed, person, order.account), e164(person)
    address = person.address_at(order.created_at_s)
    since = iso(book.first_order_s(person.index))
    return {
        "id": f"gid://shopify/Customer/{customer_id}",
        "legacyResourceId": customer_id,
        "firstName": first,
        "lastName": last,
        "displayName": f"{first} {last}",
        "email": email,
        "phone": phone,
        "defaultEmailAddress": {"emailAddress": email},
        "defaultPhoneNumber": {"phoneNumber": phone} if phone else None,
        "createdAt": since,
        "updatedAt": since,
        "defaultAddress": {
            "firstName": first,
            "lastName": last,
            "name": f"{first} {last}",
            "address1": address.line1(),
            "address2": address.unit,
            "city": address.city.name,
            "province": address.city.state,
            "provinceCode": address.city.state,
            "zip": address.postal_code,
            "country": COUNTRY_NAMES[address.city.country_code],
            "countryCodeV2": address.city.country_code,
            "phone": phone,
            "company": person.company,
        },
    }
