"""``GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL`` rows → ``Order`` + ``PromoUse`` (pure).

The report has one row per order *item*: rows are grouped by ``amazon-order-id`` (in the order
they first appear) and each row becomes a line keyed by its SKU (ASIN when there is none; a
``#2`` suffix when an order lists the same SKU twice), never by the order id alone.

Money: ``item-price`` is the line's item total (unit price x quantity); the order total is
items + shipping + gift wrap + taxes - promotion discounts (discounts count as positive amounts
whatever their sign in the file). Pending orders carry no prices: their total is 0 until a later
update brings them.

Buyer: this report has no buyer e-mail and no recipient name, so its orders have no buyer key
(stored, counted as not tied to a buyer) unless the file carries ``buyer-email`` or
``recipient-name`` columns, which are used by the rules of ``mapping.buyer_key``. The store
keeps the strongest key an order was ever seen with (``store.ingest``), so a later
``searchOrders`` read with the e-mail alias ties the order to its buyer for good.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, InvalidOperation

from custsync.connectors.amazon.flatfile import Row
from custsync.connectors.amazon.mapping import buyer_key, parse_time, promo_uses
from custsync.connectors.amazon.payloads import DeliveryAddress
from custsync.connectors.amazon.regions import marketplace_currency, marketplace_of_channel
from custsync.errors import PayloadError
from custsync.records import (
    AccountId,
    BuyerInfo,
    Order,
    OrderLine,
    OrderStatus,
    Record,
    Reject,
    StreamName,
)

ORDER_STATUSES: Mapping[str, OrderStatus] = {
    "pending": OrderStatus.PENDING,
    "pendingwaitingforpickup": OrderStatus.PENDING,
    "pendingavailability": OrderStatus.PENDING,
    "unshipped": OrderStatus.UNSHIPPED,
    "invoiceunconfirmed": OrderStatus.UNSHIPPED,
    "shipping": OrderStatus.UNSHIPPED,
    "partiallyshipped": OrderStatus.PARTIALLY_SHIPPED,
    "shipped": OrderStatus.SHIPPED,
    "delivered": OrderStatus.DELIVERED,
    "complete": OrderStatus.DELIVERED,
    "cancelled": OrderStatus.CANCELLED,
    "canceled": OrderStatus.CANCELLED,
    "unfulfillable": OrderStatus.UNFULFILLABLE,
}
CHARGES = (
    "item-price",
    "item-tax",
    "shipping-price",
    "shipping-tax",
    "gift-wrap-price",
    "gift-wrap-tax",
)
DISCOUNTS = ("item-promotion-discount", "ship-promotion-discount")


def map_order_report(
    rows: Iterable[Row], *, account_id: AccountId, marketplace_ids: Sequence[str]
) -> tuple[list[Record], list[Reject]]:
    """Every order of the report (with its promo uses); a bad order becomes one reject."""
    grouped: dict[str, list[Row]] = {}
    records: list[Record] = []
    rejects: list[Reject] = []
    for row in rows:
        order_id = row.get("amazon-order-id")
        if not order_id:
            source = json.dumps(dict(row.fields), sort_keys=True, ensure_ascii=False)
            reason = f"orders report line {row.line}: no amazon-order-id"
            rejects.append(Reject(StreamName.ORDERS, None, reason, source))
            continue
        grouped.setdefault(order_id, []).append(row)
    for order_id, order_rows in grouped.items():
        source = json.dumps([dict(r.fields) for r in order_rows], sort_keys=True)
        try:
            order = _to_order(order_id, order_rows, source, account_id, marketplace_ids)
        except PayloadError as exc:
            rejects.append(Reject(StreamName.ORDERS, order_id, f"orders report: {exc}", source))
            continue
        records.append(order)
        records.extend(promo_uses(order))
    return records, rejects


def _to_order(
    order_id: str,
    rows: list[Row],
    source: str,
    account_id: AccountId,
    marketplace_ids: Sequence[str],
) -> Order:
    first = rows[0]
    currency = next((r.get("currency") for r in rows if r.get("currency")), None)
    marketplace = marketplace_of_channel(first.get("sales-channel"), currency, marketplace_ids)
    currency = (currency or marketplace_currency(marketplace) or "").upper()
    if not currency:
        raise PayloadError(f"no currency for marketplace {marketplace}")
    lines = _lines(rows)
    total = sum((_charges(r) - _discount(r) for r in rows), Decimal(0))
    buyer = _buyer(first)
    address = DeliveryAddress(
        name=first.get("recipient-name") or None,
        postal_code=buyer.postal_code,
        country_code=buyer.country_code,
    )
    return Order(
        account_id=account_id,
        marketplace=marketplace,
        order_id=order_id,
        buyer_key=buyer_key(first.get("buyer-email") or None, address),
        status=_status(first.get("order-status")),
        purchased_at=parse_time(first.get("purchase-date"), "purchase-date"),
        updated_at=max(parse_time(r.get("last-updated-date"), "last-updated-date") for r in rows),
        currency=currency,
        total=total,
        lines=lines,
        buyer=buyer,
        source=source,
    )


def _lines(rows: list[Row]) -> tuple[OrderLine, ...]:
    seen: dict[str, int] = {}
    lines = []
    for row in rows:
        base = row.get("sku") or row.get("asin") or f"line-{row.line}"
        seen[base] = seen.get(base, 0) + 1
        line_id = base if seen[base] == 1 else f"{base}#{seen[base]}"
        qty = _quantity(row)
        item_price = _money(row, "item-price")
        unit_price = item_price
        if qty > 1:
            unit_price = (item_price / qty).quantize(item_price) if item_price else item_price
        codes = tuple(sorted({c.strip() for c in row.get("promotion-ids").split(",") if c.strip()}))
        lines.append(
            OrderLine(
                line_id=line_id,
                sku=row.get("sku") or None,
                title=row.get("product-name") or None,
                qty=qty,
                unit_price=unit_price,
                promo_discount=_discount(row),
                promo_codes=codes,
            )
        )
    return tuple(lines)


def _quantity(row: Row) -> int:
    text = row.get("quantity") or "0"
    try:
        qty = int(text)
    except ValueError:
        raise PayloadError(f"line {row.line}: quantity is not a whole number") from None
    if qty < 0:
        raise PayloadError(f"line {row.line}: negative quantity")
    return qty


def _money(row: Row, column: str) -> Decimal:
    text = row.get(column)
    if not text:
        return Decimal(0)
    try:
        return Decimal(text)
    except InvalidOperation:
        raise PayloadError(f"line {row.line}: {column} is not a number") from None


def _charges(row: Row) -> Decimal:
    return sum((_money(row, column) for column in CHARGES), Decimal(0))


def _discount(row: Row) -> Decimal:
    return sum((abs(_money(row, column)) for column in DISCOUNTS), Decimal(0))


def _status(value: str) -> OrderStatus:
    key = "".join(ch for ch in value.casefold() if ch.isalpha())
    status = ORDER_STATUSES.get(key)
    if status is None:
        raise PayloadError(f"unknown order-status {value!r}")
    return status


def _buyer(row: Row) -> BuyerInfo:
    line2 = ", ".join(p for p in (row.get("ship-address-2"), row.get("ship-address-3")) if p)
    return BuyerInfo(
        name=row.get("recipient-name") or row.get("buyer-name") or None,
        email=row.get("buyer-email") or None,
        phone=row.get("ship-phone-number") or row.get("buyer-phone-number") or None,
        company=row.get("buyer-company-name") or None,
        address_line1=row.get("ship-address-1") or None,
        address_line2=line2 or None,
        city=row.get("ship-city") or None,
        state=row.get("ship-state") or None,
        postal_code=row.get("ship-postal-code") or None,
        country_code=row.get("ship-country") or None,
    )
