"""Amazon order payload → canonical ``records.Order`` (pure: no I/O, no clock).

Amazon words stop here. A payload that cannot be mapped becomes a ``Reject`` with the reason
and the order JSON as received; the reason names fields, never their values (buyer PII).

Buyer key: the buyer e-mail alias (lower-cased) unless it is junk (empty, no ``@``, the shared
Amazon Business no-reply address); else a weak key hashed from the recipient's normalized
name, postal code and country; else none.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from decimal import Decimal

from pydantic import ValidationError

from custsync.connectors.amazon.payloads import (
    Breakdown,
    DeliveryAddress,
    OrderItem,
    OrderPayload,
    describe_validation_error,
)
from custsync.connectors.amazon.regions import marketplace_currency
from custsync.errors import PayloadError
from custsync.records import (
    WEAK_KEY_PREFIX,
    AccountId,
    BuyerInfo,
    BuyerKey,
    Order,
    OrderLine,
    OrderStatus,
    PromoUse,
    Reject,
    StreamName,
)

STATUSES: Mapping[str, OrderStatus] = {
    "PENDING_AVAILABILITY": OrderStatus.PENDING,
    "PENDING": OrderStatus.PENDING,
    "UNSHIPPED": OrderStatus.UNSHIPPED,
    "PARTIALLY_SHIPPED": OrderStatus.PARTIALLY_SHIPPED,
    "SHIPPED": OrderStatus.SHIPPED,
    "CANCELLED": OrderStatus.CANCELLED,
    "UNFULFILLABLE": OrderStatus.UNFULFILLABLE,
}
IBA_NO_REPLY_LOCAL_PART = "no-reply-amazon-iba-buyer"


def map_orders(
    raws: Iterable[Mapping[str, object]], *, account_id: AccountId, marketplace_ids: Sequence[str]
) -> tuple[list[Order], list[Reject]]:
    """Map every order of a page; bad ones become rejects, the page goes on."""
    orders: list[Order] = []
    rejects: list[Reject] = []
    for raw in raws:
        result = map_order(raw, account_id=account_id, marketplace_ids=marketplace_ids)
        if isinstance(result, Order):
            orders.append(result)
        else:
            rejects.append(result)
    return orders, rejects


def map_order(
    raw: Mapping[str, object], *, account_id: AccountId, marketplace_ids: Sequence[str]
) -> Order | Reject:
    source = json.dumps(raw, sort_keys=True, ensure_ascii=False)
    order_id = raw.get("orderId")
    source_id = order_id if isinstance(order_id, str) and order_id else None
    try:
        payload = OrderPayload.model_validate(raw)
        return _to_order(payload, source, account_id=account_id, marketplace_ids=marketplace_ids)
    except ValidationError as exc:
        reason = f"order does not fit the Orders API shape: {describe_validation_error(exc)}"
    except PayloadError as exc:
        reason = str(exc)
    return Reject(StreamName.ORDERS, source_id, reason, source)


def _to_order(
    payload: OrderPayload, source: str, *, account_id: AccountId, marketplace_ids: Sequence[str]
) -> Order:
    if not payload.order_id:
        raise PayloadError("order has no orderId")
    marketplace = (
        payload.sales_channel.marketplace_id if payload.sales_channel else None
    ) or marketplace_ids[0]
    lines = tuple(_to_line(item) for item in payload.order_items)
    total, currency = _total(payload, lines, marketplace)
    buyer = _buyer_info(payload)
    address = payload.recipient.delivery_address if payload.recipient else None
    return Order(
        account_id=account_id,
        marketplace=marketplace,
        order_id=payload.order_id,
        buyer_key=buyer_key(buyer.email, address),
        status=_status(payload),
        purchased_at=parse_time(payload.created_time, "createdTime"),
        updated_at=parse_time(payload.last_updated_time, "lastUpdatedTime"),
        currency=currency,
        total=total,
        lines=lines,
        buyer=buyer,
        source=source,
    )


def _status(payload: OrderPayload) -> OrderStatus:
    raw = payload.fulfillment.fulfillment_status if payload.fulfillment else None
    status = STATUSES.get((raw or "").upper())
    if status is None:
        raise PayloadError(f"unknown fulfillment.fulfillmentStatus {raw!r}")
    return status


def parse_time(value: str | None, field: str) -> datetime:
    """An ISO 8601 timestamp with a zone, as aware UTC."""
    if not value:
        raise PayloadError(f"{field} is missing")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise PayloadError(f"{field} is not an ISO 8601 timestamp") from None
    if parsed.tzinfo is None:
        raise PayloadError(f"{field} has no time zone")
    return parsed.astimezone(UTC)


def _to_line(item: OrderItem) -> OrderLine:
    if item.quantity_ordered < 0:
        raise PayloadError(f"order item {item.order_item_id}: negative quantityOrdered")
    product = item.product
    unit_price = product.price.unit_price if product and product.price else None
    breakdowns = item.proceeds.breakdowns if item.proceeds else []
    codes = item.promotion.breakdowns if item.promotion else []
    return OrderLine(
        line_id=item.order_item_id,
        sku=product.seller_sku if product else None,
        title=product.title if product else None,
        qty=item.quantity_ordered,
        unit_price=unit_price.amount if unit_price else Decimal(0),
        promo_discount=abs(_subtotal(breakdowns, "DISCOUNT")),
        promo_codes=tuple(sorted({c.promotion_id for c in codes if c.promotion_id})),
    )


def _subtotal(breakdowns: Iterable[Breakdown], kind: str) -> Decimal:
    return sum((b.subtotal.amount for b in breakdowns if b.type == kind and b.subtotal), Decimal(0))


def _total(
    payload: OrderPayload, lines: tuple[OrderLine, ...], marketplace: str
) -> tuple[Decimal, str]:
    """Grand total (what the buyer paid); without proceeds (pending) the sum of the lines."""
    grand = payload.proceeds.grand_total if payload.proceeds else None
    if grand is not None:
        total = grand.amount
        currency = grand.currency_code
    else:
        total = sum((line.unit_price * line.qty for line in lines), Decimal(0))
        currency = next(
            (
                item.product.price.unit_price.currency_code
                for item in payload.order_items
                if item.product and item.product.price and item.product.price.unit_price
            ),
            None,
        )
    currency = currency or marketplace_currency(marketplace)
    if not currency:
        raise PayloadError(f"no currency for marketplace {marketplace}")
    return total, currency.upper()


def _buyer_info(payload: OrderPayload) -> BuyerInfo:
    buyer = payload.buyer
    address = (payload.recipient.delivery_address if payload.recipient else None) or (
        DeliveryAddress()
    )
    line2 = ", ".join(part for part in (address.address_line2, address.address_line3) if part)
    company = _clean(buyer.buyer_company_name if buyer else None) or _clean(address.company_name)
    name = _clean(buyer.buyer_name if buyer else None)
    if name is not None and name == company:
        name = None  # Amazon Business names the business of record: the recipient is the person
    return BuyerInfo(
        name=name or _clean(address.name),
        email=_clean(buyer.buyer_email if buyer else None),
        phone=_clean(address.phone),
        company=company,
        address_line1=_clean(address.address_line1),
        address_line2=_clean(line2),
        city=_clean(address.city),
        state=_clean(address.state_or_region),
        postal_code=_clean(address.postal_code),
        country_code=_clean(address.country_code),
    )


def _clean(value: str | None) -> str | None:
    return value.strip() or None if value else None


def buyer_key(email: str | None, address: DeliveryAddress | None) -> BuyerKey | None:
    """The buyer e-mail alias, else a weak key from the recipient, else ``None``."""
    if email and not is_junk_email(email):
        return BuyerKey(email.strip().lower())
    if address and _clean(address.name) and _clean(address.postal_code):
        return weak_key(address.name or "", address.postal_code or "", address.country_code)
    return None


def is_junk_email(email: str) -> bool:
    """Empty, not an address, or the shared Amazon Business no-reply address (any TLD)."""
    cleaned = email.strip().lower()
    if not cleaned or "@" not in cleaned:
        return True
    local_part = cleaned.rsplit("@", 1)[0]
    return local_part == IBA_NO_REPLY_LOCAL_PART


def weak_key(name: str, postal_code: str, country_code: str | None) -> BuyerKey:
    """``weak:`` + 20 hex chars of sha256 over the normalized ``name|postal|country``."""
    postal = normalize_text(postal_code).replace(" ", "").replace("-", "")
    text = f"{normalize_text(name)}|{postal}|{normalize_text(country_code or '')}"
    return BuyerKey(WEAK_KEY_PREFIX + hashlib.sha256(text.encode()).hexdigest()[:20])


def normalize_text(value: str) -> str:
    """NFKC, casefold, accents stripped, whitespace collapsed."""
    folded = unicodedata.normalize("NFKC", value).casefold()
    decomposed = unicodedata.normalize("NFKD", folded)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(unicodedata.normalize("NFKC", stripped).split())


def promo_uses(order: Order) -> list[PromoUse]:
    """One ``PromoUse`` per promotion id of ``order``: the discount of the lines naming it.

    Amazon gives one discount per line, not per promotion: a line naming several promotion ids
    counts its discount toward the first (sorted) and zero toward the others.
    """
    amounts: dict[str, Decimal] = {}
    for line in order.lines:
        if not line.promo_codes:
            continue
        first, *others = line.promo_codes
        amounts[first] = amounts.get(first, Decimal(0)) + line.promo_discount
        for code in others:
            amounts.setdefault(code, Decimal(0))
    return [
        PromoUse(
            account_id=order.account_id,
            order_id=order.order_id,
            code=code,
            discount=amount,
            currency=order.currency,
            source=json.dumps(
                {"order_id": order.order_id, "promotion_id": code, "discount": str(amount)}
            ),
        )
        for code, amount in sorted(amounts.items())
    ]
