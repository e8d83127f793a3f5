"""World orders as eBay JSON: Fulfillment ``Order``, Post-Order return summary, Commerce
Feedback entry (field lists of the research notes §3; eBay publishes no examples).

Amounts are ``{"value": "12.34", "currency": "USD"}`` (Post-Order: a number). ``buyer.username``
is the buyer key; the buyer's e-mail is shown for 14 days after the order, then eBay's
placeholder ``Invalid Request`` (a junk value that identifies no one). Discounts are negative
(``priceDiscount``, ``deliveryDiscount``). A line's ``lineItemId`` is also its legacy
transaction id: returns name it (``transactionId``, with the listing's ``itemId``) and feedback
names it (``orderLineItemId`` = ``itemId-transactionId``); feedback is per line item (eBay
rates line items), given here on the order's first line.
"""

from __future__ import annotations

from custsync.sandbox import keys
from custsync.sandbox.catalog import PRODUCTS, PROMOTION_BY_CODE, is_shipping_promo, to_money
from custsync.sandbox.market_index import OrderView
from custsync.sandbox.orders import Line, Return, SimOrder, Status, iso
from custsync.sandbox.presentation import Contact, ship_to

Json = dict[str, object]
SELLER = "custsync_sandbox_seller"
EXPIRED_EMAIL = "Invalid Request"
EMAIL_VISIBLE_S = 14 * 86_400
PRODUCT_NUMBER = {product.sku: n for n, product in enumerate(PRODUCTS)}
REASONS = {
    "DEFECTIVE": "DEFECTIVE_ITEM",
    "NOT_AS_DESCRIBED": "NOT_AS_DESCRIBED",
    "NO_LONGER_NEEDED": "NO_LONGER_NEED_ITEM",
    "WRONG_ITEM": "WRONG_ITEM",
    "ARRIVED_LATE": "ARRIVED_LATE",
    "ORDERED_BY_MISTAKE": "ORDERED_ACCIDENTALLY",
}
COMMENT_TYPES = {1: "NEGATIVE", 2: "NEGATIVE", 3: "NEUTRAL", 4: "POSITIVE", 5: "POSITIVE"}


def ebay_time(epoch_s: int) -> str:
    return iso(epoch_s).replace("Z", ".000Z")


def amount(minor: int) -> Json:
    return {"value": str(to_money(minor, "USD")), "currency": "USD"}


def legacy_item_id(line: Line) -> str:
    return str(110_000_000_000 + PRODUCT_NUMBER[line.product.sku] * 7919)


def render_order(seed: int, view: OrderView, now_s: int) -> Json:
    order = view.order
    contact = ship_to(seed, order)
    email = order.person.email if now_s - order.created_at_s <= EMAIL_VISIBLE_S else EXPIRED_EMAIL
    shipping = sum(line.shipping_minor for line in order.lines)
    tax = sum(line.tax_minor for line in order.lines)
    free_shipping = sum(
        line.discount_minor for line in order.lines if is_shipping_promo(line.promo_code)
    )
    pricing: Json = {"priceSubtotal": amount(sum(line.items_minor for line in order.lines))}
    if order.discount_minor - free_shipping:
        pricing["priceDiscount"] = amount(-(order.discount_minor - free_shipping))
    pricing["deliveryCost"] = amount(shipping)
    if free_shipping:
        pricing["deliveryDiscount"] = amount(-free_shipping)
    pricing |= {"tax": amount(tax), "total": amount(order.total_minor)}
    first = order.lines[0]
    return {
        "orderId": order.order_id,
        "legacyOrderId": f"{legacy_item_id(first)}-{first.item_id}",
        "creationDate": ebay_time(order.created_at_s),
        "lastModifiedDate": ebay_time(view.updated_s),
        "orderFulfillmentStatus": _fulfillment(view.state.status),
        "orderPaymentStatus": payment_status(view),
        "sellerId": SELLER,
        "buyer": {
            "username": keys.ebay_username(seed, order.person),
            "taxAddress": _tax_address(contact),
            "buyerRegistrationAddress": _party(contact, email),
        },
        "pricingSummary": pricing,
        "cancelStatus": {
            "cancelState": "CANCELED"
            if view.state.status is Status.CANCELLED
            else "NONE_REQUESTED",
            "cancelRequests": [],
        },
        "paymentSummary": _payment_summary(view),
        "fulfillmentStartInstructions": [
            {
                "fulfillmentInstructionsType": "SHIP_TO",
                "shippingStep": {"shipTo": _party(contact, email), "shippingCarrierCode": "USPS"},
            }
        ],
        "fulfillmentHrefs": [],
        "lineItems": [_line_item(line, view) for line in order.lines],
        "salesRecordReference": str(view.number),
        "totalFeeBasisAmount": amount(order.total_minor),
        "totalMarketplaceFee": amount(order.total_minor * 1325 // 10000),
    }


def payment_status(view: OrderView) -> str:
    status = view.state.status
    if status is Status.PENDING:
        return "PENDING"
    if status is Status.CANCELLED:
        return "FULLY_REFUNDED"
    returned = sum(item.qty for item in view.returns)
    if returned and returned >= view.order.units:
        return "FULLY_REFUNDED"
    return "PARTIALLY_REFUNDED" if returned else "PAID"


def _fulfillment(status: Status) -> str:
    return "FULFILLED" if status is Status.SHIPPED else "NOT_STARTED"


def _tax_address(contact: Contact) -> Json:
    return {
        "city": contact.city,
        "stateOrProvince": contact.state,
        "postalCode": contact.postal_code,
        "countryCode": contact.country_code,
    }


def _party(contact: Contact, email: str) -> Json:
    party: Json = {
        "fullName": contact.name,
        "contactAddress": {
            "addressLine1": contact.address_line1,
            **({"addressLine2": contact.address_line2} if contact.address_line2 else {}),
            "city": contact.city,
            "stateOrProvince": contact.state,
            "postalCode": contact.postal_code,
            "countryCode": contact.country_code,
        },
        "email": email,
    }
    if contact.phone:
        party["primaryPhone"] = {"phoneNumber": contact.phone}
    return party


def _payment_summary(view: OrderView) -> Json:
    order = view.order
    refunds = [
        {
            "refundDate": ebay_time(item.returned_at_s),
            "amount": amount(_line(order, item).unit_price_minor * item.qty),
            "refundStatus": "REFUNDED",
            "refundReferenceId": f"R{item.return_id[1:].replace('-', '')}",
        }
        for item in view.returns
    ]
    return {
        "payments": [
            {
                "paymentMethod": "EBAY",
                "paymentReferenceId": f"P{order.number:012d}",
                "paymentDate": ebay_time(order.created_at_s),
                "amount": amount(order.total_minor),
                "paymentStatus": "PAID" if view.state.status is not Status.PENDING else "PENDING",
            }
        ],
        "refunds": refunds,
        "totalDueSeller": amount(order.total_minor * 8675 // 10000),
    }


def _line(order: SimOrder, item: Return) -> Line:
    return next(line for line in order.lines if line.product.sku == item.sku)


def _line_item(line: Line, view: OrderView) -> Json:
    promotions = []
    if line.promo_code and line.discount_minor:
        percent = PROMOTION_BY_CODE[line.promo_code].percent_off
        what = "Free shipping" if percent == 0 else f"{percent}% off"
        promotions.append(
            {
                "promotionId": line.promo_code,
                "description": f"{what} with code {line.promo_code}",
                "discountAmount": amount(line.discount_minor),
            }
        )
    return {
        "lineItemId": line.item_id,
        "legacyItemId": legacy_item_id(line),
        "sku": line.product.sku,
        "title": line.product.title,
        "quantity": line.qty,
        "soldFormat": "FIXED_PRICE",
        "listingMarketplaceId": "EBAY_US",
        "purchaseMarketplaceId": "EBAY_US",
        "lineItemCost": amount(line.items_minor),
        "total": amount(line.total_minor),
        "deliveryCost": {"shippingCost": amount(line.shipping_minor)},
        "appliedPromotions": promotions,
        "lineItemFulfillmentStatus": _fulfillment(view.state.status),
    }


def render_return(seed: int, order: SimOrder, item: Return, *, is_open: bool) -> Json:
    line = _line(order, item)
    refund = {"value": float(to_money(line.unit_price_minor * item.qty, "USD")), "currency": "USD"}
    digits = item.return_id[1:].replace("-", "")
    return {
        "returnId": f"5{digits}",
        "orderId": order.order_id,
        "buyerLoginName": keys.ebay_username(seed, order.person),
        "sellerLoginName": SELLER,
        "currentType": "MONEY_BACK",
        "state": "RETURN_REQUESTED" if is_open else "CLOSED",
        "status": "WAITING_FOR_RETURN_SHIPMENT" if is_open else "CLOSED",
        "creationInfo": {
            "item": {
                "itemId": legacy_item_id(line),
                "transactionId": line.item_id,
                "returnQuantity": item.qty,
            },
            "type": "MONEY_BACK",
            "reason": REASONS.get(item.reason, "OTHER"),
            "comments": {"content": ""},
            "creationDate": {"value": ebay_time(item.returned_at_s)},
        },
        "sellerTotalRefund": {"estimatedRefundAmount": refund},
        "buyerTotalRefund": {"estimatedRefundAmount": dict(refund)},
    }


def render_feedback(seed: int, order: SimOrder) -> Json:
    feedback = order.feedback
    assert feedback is not None
    line = order.lines[0]
    item_id = legacy_item_id(line)
    return {
        "feedbackId": f"{2_900_000_000_000 + order.number}",
        "commentType": COMMENT_TYPES[feedback.rating],
        "feedbackComment": {"commentText": feedback.comment or ""},
        "feedbackEnteredDate": ebay_time(feedback.left_at_s),
        "feedbackState": "ENTERED",
        "automatedFeedback": False,
        "providerUserDetail": {"userId": keys.ebay_username(seed, order.person), "role": "BUYER"},
        "orderLineItemSummary": {
            "orderLineItemId": f"{item_id}-{line.item_id}",
            "listingId": item_id,
            "listingTitle": line.product.title,
        },
    }
