"""A world order as Shopify Admin REST 2026-07 JSON (the shape of the official examples).

Money is a string in the shop currency with ``*_set`` twins; times carry the shop's UTC offset
(America/New_York: ``-05:00`` / ``-04:00``). Promo codes are ``discount_codes`` (``type``
``percentage``, or ``shipping`` for free shipping) with ``discount_applications`` and per-line
``discount_allocations``; returns are embedded ``refunds`` whose ``refund_line_items`` say how
many units came back. Shipped orders are archived (``closed_at``), as Shopify does by default,
so a client that forgets ``status=any`` misses them. Guest checkouts and protected customer
data come without ``customer`` and without addresses.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from custsync.sandbox import keys
from custsync.sandbox.catalog import PRODUCTS, PROMOTION_BY_CODE, is_shipping_promo, to_money
from custsync.sandbox.market_index import AccountBook, OrderView
from custsync.sandbox.orders import Exposure, Line, Return, SimOrder, Status
from custsync.sandbox.presentation import Contact, account_email, e164, profile_parts, ship_to

Json = dict[str, object]
SHOP_ZONE = ZoneInfo("America/New_York")
COUNTRY_NAMES = {"US": "United States", "CA": "Canada", "GB": "United Kingdom", "DE": "Germany"}
PRODUCT_NUMBER = {product.sku: n for n, product in enumerate(PRODUCTS)}
GRAMS = 250


def shop_time(epoch_s: int | None) -> str | None:
    if epoch_s is None:
        return None
    return datetime.fromtimestamp(epoch_s, SHOP_ZONE).isoformat()


def money(minor: int, currency: str = "USD") -> str:
    return str(to_money(minor, currency))


def money_set(minor: int, currency: str = "USD") -> Json:
    amount = {"amount": money(minor, currency), "currency_code": currency}
    return {"shop_money": amount, "presentment_money": dict(amount)}


def financial_status(view: OrderView) -> str:
    order, status = view.order, view.state.status
    if status is Status.CANCELLED:
        paid = any(change.status is Status.UNSHIPPED for change in order.history)
        return "refunded" if paid else "voided"
    if status is Status.PENDING:
        return "pending"
    returned = sum(item.qty for item in view.returns)
    if returned and returned >= order.units:
        return "refunded"
    return "partially_refunded" if returned else "paid"


def closed_s(view: OrderView) -> int | None:
    """Shipped and cancelled orders are archived when they get there."""
    status = view.state.status
    return view.state.at_s if status in (Status.SHIPPED, Status.CANCELLED) else None


def refund_minor(line: Line, qty: int) -> tuple[int, int]:
    """(subtotal, tax) refunded for ``qty`` units of ``line`` (after its item discount)."""
    item_discount = 0 if is_shipping_promo(line.promo_code) else line.discount_minor
    subtotal = (line.items_minor - item_discount) * qty // line.qty
    return subtotal, line.tax_minor * qty // line.qty


def render_rest_order(seed: int, book: AccountBook, view: OrderView) -> Json:
    order = view.order
    currency = order.currency
    discount = order.discount_minor
    refunded = sum(sum(refund_minor(_line(order, item.sku), item.qty)) for item in view.returns)
    contact = None if order.exposure is Exposure.HIDDEN else ship_to(seed, order)
    email = None if contact is None else account_email(seed, order.person, order.account)
    status, cancelled = view.state.status, view.state.status is Status.CANCELLED
    items = sum(line.items_minor for line in order.lines)
    shipping = sum(line.shipping_minor for line in order.lines)
    tax = sum(line.tax_minor for line in order.lines)
    item_discount = sum(
        line.discount_minor for line in order.lines if not is_shipping_promo(line.promo_code)
    )
    body: Json = {
        "id": int(order.order_id),
        "admin_graphql_api_id": f"gid://shopify/Order/{order.order_id}",
        "buyer_accepts_marketing": False,
        "cancel_reason": "customer" if cancelled else None,
        "cancelled_at": shop_time(view.state.at_s) if cancelled else None,
        "closed_at": shop_time(closed_s(view)),
        "confirmed": True,
        "contact_email": email,
        "created_at": shop_time(order.created_at_s),
        "currency": currency,
        "current_subtotal_price": money(items - item_discount - refunded, currency),
        "current_total_discounts": money(discount, currency),
        "current_total_price": money(order.total_minor - refunded, currency),
        "discount_codes": _discount_codes(order),
        "email": email,
        "financial_status": financial_status(view),
        "fulfillment_status": "fulfilled" if status is Status.SHIPPED else None,
        "name": f"#{1000 + view.number}",
        "number": view.number,
        "order_number": 1000 + view.number,
        "phone": None,
        "presentment_currency": currency,
        "processed_at": shop_time(order.created_at_s),
        "source_name": "web",
        "subtotal_price": money(items - item_discount, currency),
        "subtotal_price_set": money_set(items - item_discount, currency),
        "tags": "",
        "taxes_included": False,
        "test": False,
        "total_discounts": money(discount, currency),
        "total_discounts_set": money_set(discount, currency),
        "total_line_items_price": money(items, currency),
        "total_price": money(order.total_minor, currency),
        "total_price_set": money_set(order.total_minor, currency),
        "total_shipping_price_set": money_set(shipping, currency),
        "total_tax": money(tax, currency),
        "total_tax_set": money_set(tax, currency),
        "total_weight": GRAMS * order.units,
        "updated_at": shop_time(view.updated_s),
        "billing_address": _address(contact),
        "customer": _customer(seed, book, order) if contact is not None else None,
        "discount_applications": _discount_applications(order),
        "line_items": [_line_item(line, view) for line in order.lines],
        "refunds": [_refund(order, view.returns)] if view.returns else [],
        "shipping_address": _address(contact),
        "shipping_lines": _shipping_lines(order),
    }
    return body


def _line(order: SimOrder, sku: str) -> Line:
    return next(line for line in order.lines if line.product.sku == sku)


def _discount_codes(order: SimOrder) -> list[Json]:
    code = next((line.promo_code for line in order.lines if line.promo_code), None)
    if code is None or not order.discount_minor:
        return []
    kind = "shipping" if is_shipping_promo(code) else "percentage"
    return [{"code": code, "amount": money(order.discount_minor), "type": kind}]


def _discount_applications(order: SimOrder) -> list[Json]:
    code = next((line.promo_code for line in order.lines if line.promo_code), None)
    if code is None or not order.discount_minor:
        return []
    shipping = is_shipping_promo(code)
    return [
        {
            "target_type": "shipping_line" if shipping else "line_item",
            "type": "discount_code",
            "value": "100.0" if shipping else f"{PROMOTION_BY_CODE[code].percent_off}.0",
            "value_type": "percentage",
            "allocation_method": "each" if shipping else "across",
            "target_selection": "all",
            "code": code,
        }
    ]


def _line_item(line: Line, view: OrderView) -> Json:
    line_id = int(line.item_id)
    number = PRODUCT_NUMBER[line.product.sku]
    returned = sum(item.qty for item in view.returns if item.sku == line.product.sku)
    status = view.state.status
    item_discount = 0 if is_shipping_promo(line.promo_code) else line.discount_minor
    rate = view.order.marketplace.tax_rate_pct / 100
    allocations = []
    if item_discount:
        allocations.append(
            {
                "amount": money(item_discount),
                "amount_set": money_set(item_discount),
                "discount_application_index": 0,
            }
        )
    return {
        "id": line_id,
        "admin_graphql_api_id": f"gid://shopify/LineItem/{line_id}",
        "current_quantity": 0 if status is Status.CANCELLED else line.qty - returned,
        "fulfillable_quantity": line.qty if status in (Status.PENDING, Status.UNSHIPPED) else 0,
        "fulfillment_service": "manual",
        "fulfillment_status": "fulfilled" if status is Status.SHIPPED else None,
        "gift_card": False,
        "grams": GRAMS,
        "name": line.product.title,
        "price": money(line.unit_price_minor),
        "price_set": money_set(line.unit_price_minor),
        "product_exists": True,
        "product_id": 7_000_000_000 + number,
        "quantity": line.qty,
        "requires_shipping": True,
        "sku": line.product.sku,
        "taxable": True,
        "title": line.product.title,
        "total_discount": money(0),
        "total_discount_set": money_set(0),
        "variant_id": 8_000_000_000 + number,
        "variant_inventory_management": "shopify",
        "vendor": None,
        "tax_lines": [
            {
                "price": money(line.tax_minor),
                "rate": rate,
                "title": "Sales Tax",
                "price_set": money_set(line.tax_minor),
            }
        ],
        "duties": [],
        "discount_allocations": allocations,
    }


def _shipping_lines(order: SimOrder) -> list[Json]:
    shipping = sum(line.shipping_minor for line in order.lines)
    free = sum(line.discount_minor for line in order.lines if is_shipping_promo(line.promo_code))
    title = "Standard Shipping" if shipping else "Free Shipping"
    return [
        {
            "id": 9_000_000_000 + order.number,
            "code": title,
            "discounted_price": money(shipping - free),
            "discounted_price_set": money_set(shipping - free),
            "price": money(shipping),
            "price_set": money_set(shipping),
            "source": "shopify",
            "title": title,
            "tax_lines": [],
            "discount_allocations": [],
        }
    ]


def _refund(order: SimOrder, returns: tuple[Return, ...]) -> Json:
    refund_id = 10_000_000_000 + order.number
    at = shop_time(returns[0].returned_at_s)
    lines = []
    total = 0
    for n, item in enumerate(returns):
        line = _line(order, item.sku)
        subtotal, tax = refund_minor(line, item.qty)
        total += subtotal + tax
        lines.append(
            {
                "id": refund_id * 10 + n,
                "line_item_id": int(line.item_id),
                "location_id": None,
                "quantity": item.qty,
                "restock_type": "return",
                "subtotal": float(to_money(subtotal, "USD")),
                "subtotal_set": money_set(subtotal),
                "total_tax": float(to_money(tax, "USD")),
                "total_tax_set": money_set(tax),
            }
        )
    transaction = {
        "id": refund_id + 5_000_000_000,
        "amount": money(total),
        "created_at": at,
        "currency": "USD",
        "gateway": "shopify_payments",
        "kind": "refund",
        "order_id": int(order.order_id),
        "processed_at": at,
        "status": "success",
        "test": False,
    }
    return {
        "id": refund_id,
        "admin_graphql_api_id": f"gid://shopify/Refund/{refund_id}",
        "created_at": at,
        "note": returns[0].reason.replace("_", " ").lower(),
        "order_id": int(order.order_id),
        "processed_at": at,
        "restock": True,
        "user_id": None,
        "order_adjustments": [],
        "transactions": [transaction],
        "refund_line_items": lines,
    }


def _address(contact: Contact | None) -> Json | None:
    if contact is None:
        return None
    first, last = split_name(contact.name)
    return {
        "first_name": first,
        "address1": contact.address_line1,
        "phone": contact.phone,
        "city": contact.city,
        "zip": contact.postal_code,
        "province": contact.state,
        "country": COUNTRY_NAMES[contact.country_code],
        "last_name": last,
        "address2": contact.address_line2 or "",
        "company": contact.company,
        "latitude": None,
        "longitude": None,
        "name": contact.name,
        "country_code": contact.country_code,
        "province_code": contact.state,
    }


def split_name(name: str) -> tuple[str, str]:
    """'Smith, Robert' → ('Robert', 'Smith'); 'Robert Smith' → ('Robert', 'Smith')."""
    if "," in name:
        last, _, first = name.partition(",")
        return first.strip(), last.strip()
    first, _, last = name.strip().partition(" ")
    return first, last.strip()


def _customer(seed: int, book: AccountBook, order: SimOrder) -> Json:
    person = order.person
    first, last = profile_parts(seed, person, order.account)
    customer_id = keys.shopify_customer_id(seed, person)
    address = person.address_at(order.created_at_s)
    since = shop_time(book.first_order_s(person.index))
    return {
        "id": int(customer_id),
        "email": account_email(seed, person, order.account),
        "created_at": since,
        "updated_at": since,
        "first_name": first,
        "last_name": last,
        "state": "enabled",
        "note": None,
        "verified_email": True,
        "tax_exempt": False,
        "phone": e164(person),
        "tags": "",
        "currency": "USD",
        "tax_exemptions": [],
        "admin_graphql_api_id": f"gid://shopify/Customer/{customer_id}",
        "default_address": {
            "id": int(customer_id) + 1,
            "customer_id": int(customer_id),
            "first_name": first,
            "last_name": last,
            "company": person.company,
            "address1": address.line1(),
            "address2": address.unit or "",
            "city": address.city.name,
            "province": address.city.state,
            "country": COUNTRY_NAMES[address.city.country_code],
            "zip": address.postal_code,
            "phone": e164(person),
            "name": f"{first} {last}",
            "province_code": address.city.state,
            "country_code": address.city.country_code,
            "country_name": COUNTRY_NAMES[address.city.country_code],
            "default": True,
        },
    }
