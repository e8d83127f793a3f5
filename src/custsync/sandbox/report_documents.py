"""The flat files of the Amazon report types the sandbox serves (tab-separated, UTF-8).

==========================================================  ==================================
report type                                                 rows, date range limit
==========================================================  ==================================
GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL        one per order *item*, of orders
                                                            changed in the range, as they stood
                                                            at its end; range ≤ 30 days
GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE                   one per returned item of merchant-
                                                            fulfilled orders; range ≤ 60 days
GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA                   one per returned item of FBA orders
                                                            (no buyer columns)
GET_SELLER_FEEDBACK_DATA                                    one per 1-3 star rating
==========================================================  ==================================

Columns are the documented ones (research notes §1.5); the orders report has no buyer e-mail
column (Amazon removed it). Formats follow real files: orders and FBA returns dates are
``2026-01-02T03:04:05+00:00``; the merchant returns file writes ``02-Jan-2026`` and ``Y``/``N``;
promotion discounts are negative amounts. Feedback dates are written as the marketplace of the
report's first ``marketplaceIds`` entry writes them (the map custsync's peers use, Airbyte's
``MARKETPLACE_DATE_FORMAT_MAP``): US ``M/D/YY``, CA and UK ``D/M/YY``, DE ``D.M.YY``, no leading
zeros, UTC dates. Tabs and line breaks inside values become spaces (flat files cannot quote).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from custsync.sandbox.amazon_index import AccountOrders, between
from custsync.sandbox.catalog import is_shipping_promo, to_money
from custsync.sandbox.orders import Exposure, Line, SimOrder, Status
from custsync.sandbox.people import Trait
from custsync.sandbox.presentation import ship_to

Row = dict[str, str]
ALL_ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
MFN_RETURNS = "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE"
FBA_RETURNS = "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA"
SELLER_FEEDBACK = "GET_SELLER_FEEDBACK_DATA"

ORDERS_HEADER = [
    "amazon-order-id",
    "merchant-order-id",
    "purchase-date",
    "last-updated-date",
    "order-status",
    "fulfillment-channel",
    "sales-channel",
    "order-channel",
    "ship-service-level",
    "product-name",
    "sku",
    "asin",
    "item-status",
    "quantity",
    "currency",
    "item-price",
    "item-tax",
    "shipping-price",
    "shipping-tax",
    "gift-wrap-price",
    "gift-wrap-tax",
    "item-promotion-discount",
    "ship-promotion-discount",
    "ship-city",
    "ship-state",
    "ship-postal-code",
    "ship-country",
    "promotion-ids",
    "is-business-order",
    "purchase-order-number",
    "price-designation",
]
MFN_RETURNS_HEADER = [
    "Order ID",
    "Order date",
    "Return request date",
    "Return request status",
    "Amazon RMA ID",
    "Merchant RMA ID",
    "Label type",
    "Label cost",
    "Currency code",
    "Return carrier",
    "Tracking ID",
    "Label to be paid by",
    "A-to-Z Claim",
    "Is prime",
    "ASIN",
    "Merchant SKU",
    "Item Name",
    "Return quantity",
    "Return Reason",
    "In policy",
    "Return type",
    "Resolution",
    "Invoice number",
    "Return delivery date",
    "Order Amount",
    "Order quantity",
    "SafeT Action reason",
    "SafeT claim id",
    "SafeT claim state",
    "SafeT claim creation time",
    "SafeT claim reimbursement amount",
    "Refunded Amount",
]
FBA_RETURNS_HEADER = [
    "return-date",
    "order-id",
    "sku",
    "asin",
    "fnsku",
    "product-name",
    "quantity",
    "fulfillment-center-id",
    "detailed-disposition",
    "reason",
    "status",
    "license-plate-number",
    "customer-comments",
]
FEEDBACK_HEADER = ["Date", "Rating", "Comments", "Your Response", "Order ID", "Rater Email"]
FEEDBACK_DATE_FORMATS = {
    "ATVPDKIKX0DER": "{m}/{d}/{y:02d}",
    "A2EUQ1WTGCTBG2": "{d}/{m}/{y:02d}",
    "A1F83G8C2ARO7P": "{d}/{m}/{y:02d}",
    "A1PA6795UKMFR9": "{d}.{m}.{y:02d}",
}
_STATUS_WORDS = {
    Status.PENDING: "Pending",
    Status.UNSHIPPED: "Unshipped",
    Status.SHIPPED: "Shipped",
    Status.CANCELLED: "Cancelled",
}
_FULFILLMENT_CENTERS = {"US": "PHX7", "CA": "YYZ4", "GB": "LTN2", "DE": "FRA3"}
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


@dataclass(frozen=True, slots=True)
class ReportWindow:
    seed: int
    index: AccountOrders
    marketplace_ids: Sequence[str]
    start_s: int
    end_s: int


@dataclass(frozen=True, slots=True)
class ReportType:
    name: str
    header: Sequence[str]
    max_range_days: int | None
    rows: Callable[[ReportWindow], Iterator[tuple[SimOrder, Row]]]


def _order_rows(window: ReportWindow) -> Iterator[tuple[SimOrder, Row]]:
    found = []
    for position in set(between(window.index.changes, window.start_s, window.end_s)):
        order = window.index.orders[position]
        state = order.state_at(window.end_s)
        if state is not None and order.marketplace.id in window.marketplace_ids:
            found.append((state.at_s, order.order_id, order, state.status))
    for updated_s, _, order, status in sorted(found, key=lambda item: item[:2]):
        for line in order.lines:
            yield order, _order_row(window.seed, order, line, status, updated_s)


def _order_row(seed: int, order: SimOrder, line: Line, status: Status, updated_s: int) -> Row:
    currency = order.currency
    ship_discount = line.discount_minor if is_shipping_promo(line.promo_code) else 0
    business = bool(order.person.traits & Trait.BUSINESS)
    row = {
        "amazon-order-id": order.order_id,
        "purchase-date": _iso(order.created_at_s),
        "last-updated-date": _iso(updated_s),
        "order-status": _STATUS_WORDS[status],
        "fulfillment-channel": "Amazon" if order.is_fulfilled_by_amazon else "Merchant",
        "sales-channel": order.marketplace.name,
        "ship-service-level": "Standard",
        "product-name": line.product.title,
        "sku": line.product.sku,
        "asin": line.product.asin,
        "item-status": _STATUS_WORDS[status],
        "quantity": str(line.qty),
        "currency": currency,
        "item-price": _money(line.items_minor, currency),
        "item-tax": _money(line.tax_minor, currency),
        "shipping-price": _money(line.shipping_minor, currency),
        "shipping-tax": _money(0, currency),
        "gift-wrap-price": _money(0, currency),
        "gift-wrap-tax": _money(0, currency),
        "item-promotion-discount": _money(-(line.discount_minor - ship_discount), currency),
        "ship-promotion-discount": _money(-ship_discount, currency),
        "promotion-ids": line.promo_code or "",
        "is-business-order": "true" if business else "false",
        "price-designation": "BusinessPrice" if business else "",
    }
    if order.exposure is not Exposure.HIDDEN:
        contact = ship_to(seed, order)
        row |= {
            "ship-city": contact.city,
            "ship-state": contact.state,
            "ship-postal-code": contact.postal_code,
            "ship-country": contact.country_code,
        }
    return row


def _returned(window: ReportWindow, *, fba: bool) -> Iterator[SimOrder]:
    for position in between(window.index.returns, window.start_s, window.end_s):
        order = window.index.orders[position]
        if order.is_fulfilled_by_amazon is fba and order.marketplace.id in window.marketplace_ids:
            yield order


def _mfn_return_rows(window: ReportWindow) -> Iterator[tuple[SimOrder, Row]]:
    for order in _returned(window, fba=False):
        lines = {line.product.sku: line for line in order.lines}
        for item in order.returns:
            line, currency = lines[item.sku], order.currency
            digits = item.return_id[1:].replace("-", "")
            yield (
                order,
                {
                    "Order ID": order.order_id,
                    "Order date": _day(order.created_at_s),
                    "Return request date": _day(item.returned_at_s),
                    "Return request status": "Approved",
                    "Amazon RMA ID": f"D{digits}",
                    "Label type": "AmazonPrePaidLabel",
                    "Label cost": _money(0, currency),
                    "Currency code": currency,
                    "Return carrier": "UPS",
                    "Tracking ID": f"1Z{digits}",
                    "Label to be paid by": "Seller",
                    "A-to-Z Claim": "N",
                    "Is prime": "N",
                    "ASIN": line.product.asin,
                    "Merchant SKU": item.sku,
                    "Item Name": line.product.title,
                    "Return quantity": str(item.qty),
                    "Return Reason": item.reason,
                    "In policy": "Y",
                    "Return type": "C-Returns",
                    "Resolution": "StandardRefund",
                    "Order Amount": _money(order.total_minor, currency),
                    "Order quantity": str(line.qty),
                    "Refunded Amount": _money(line.unit_price_minor * item.qty, currency),
                },
            )


def _fba_return_rows(window: ReportWindow) -> Iterator[tuple[SimOrder, Row]]:
    for order in _returned(window, fba=True):
        titles = {line.product.sku: line.product for line in order.lines}
        for item in order.returns:
            product = titles[item.sku]
            yield (
                order,
                {
                    "return-date": _iso(item.returned_at_s),
                    "order-id": order.order_id,
                    "sku": item.sku,
                    "asin": product.asin,
                    "fnsku": "X00" + product.asin[3:],
                    "product-name": product.title,
                    "quantity": str(item.qty),
                    "fulfillment-center-id": _FULFILLMENT_CENTERS[order.marketplace.country_code],
                    "detailed-disposition": "SELLABLE",
                    "reason": item.reason,
                    "status": "Unit returned to inventory",
                    "license-plate-number": "LPN" + item.return_id[1:].replace("-", ""),
                },
            )


def _feedback_rows(window: ReportWindow) -> Iterator[tuple[SimOrder, Row]]:
    date_format = FEEDBACK_DATE_FORMATS[window.marketplace_ids[0]]
    for position in between(window.index.feedback, window.start_s, window.end_s):
        order = window.index.orders[position]
        feedback = order.feedback
        if feedback is None or feedback.rating > 3:
            continue
        if order.marketplace.id not in window.marketplace_ids:
            continue
        day = datetime.fromtimestamp(feedback.left_at_s, UTC)
        yield (
            order,
            {
                "Date": date_format.format(m=day.month, d=day.day, y=day.year % 100),
                "Rating": str(feedback.rating),
                "Comments": feedback.comment or "",
                "Order ID": order.order_id,
                "Rater Email": order.buyer_key or "",
            },
        )


REPORT_TYPES = {
    spec.name: spec
    for spec in (
        ReportType(ALL_ORDERS, ORDERS_HEADER, 30, _order_rows),
        ReportType(MFN_RETURNS, MFN_RETURNS_HEADER, 60, _mfn_return_rows),
        ReportType(FBA_RETURNS, FBA_RETURNS_HEADER, None, _fba_return_rows),
        ReportType(SELLER_FEEDBACK, FEEDBACK_HEADER, None, _feedback_rows),
    )
}


def to_tsv(header: Sequence[str], rows: Sequence[Row]) -> bytes:
    lines = ["\t".join(header)]
    for row in rows:
        lines.append("\t".join(_clean(row.get(column, "")) for column in header))
    return ("\n".join(lines) + "\n").encode("utf-8")


def _clean(value: str) -> str:
    return value.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def _money(minor: int, currency: str) -> str:
    return str(to_money(minor, currency))


def _iso(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _day(epoch_s: int) -> str:
    moment = datetime.fromtimestamp(epoch_s, UTC)
    return f"{moment.day:02d}-{_MONTHS[moment.month - 1]}-{moment.year}"
