"""Canonical records: the contract between connectors, the store and the pipeline.

Frozen and marketplace-neutral. Money is ``Decimal`` with an ISO 4217 currency; times are
timezone-aware UTC. ``source`` keeps the record as the marketplace sent it (JSON text), so a
mapping fix can be replayed from stored payloads instead of re-fetching under quota.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, is_dataclass, replace
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, NewType, TypeVar

AccountId = NewType("AccountId", str)
BuyerKey = NewType("BuyerKey", str)
CustomerId = NewType("CustomerId", str)

WEAK_KEY_PREFIX = "weak:"


class MarketplaceKind(StrEnum):
    AMAZON = "amazon"
    SHOPIFY = "shopify"
    EBAY = "ebay"
    FILE = "file"


class StreamName(StrEnum):
    ORDERS = "orders"
    RETURNS = "returns"
    FEEDBACK = "feedback"
    PROMOTIONS = "promotions"


class OrderStatus(StrEnum):
    PENDING = "pending"
    UNSHIPPED = "unshipped"
    PARTIALLY_SHIPPED = "partially_shipped"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"
    UNFULFILLABLE = "unfulfillable"

    @property
    def is_cancelled(self) -> bool:
        return self is OrderStatus.CANCELLED


@dataclass(frozen=True, slots=True)
class BuyerInfo:
    """Contact data as the marketplace shows it; every field may be hidden."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    address_line1: str | None = None
    address_line2: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    country_code: str | None = None

    @property
    def has_pii(self) -> bool:
        return any((self.name, self.email, self.phone, self.address_line1, self.postal_code))


@dataclass(frozen=True, slots=True)
class OrderLine:
    line_id: str
    sku: str | None
    title: str | None
    qty: int
    unit_price: Decimal
    promo_discount: Decimal = Decimal(0)
    promo_codes: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Order:
    account_id: AccountId
    marketplace: str
    order_id: str
    buyer_key: BuyerKey | None
    status: OrderStatus
    purchased_at: datetime
    updated_at: datetime
    currency: str
    total: Decimal
    lines: tuple[OrderLine, ...] = ()
    buyer: BuyerInfo = field(default_factory=BuyerInfo)
    source: str = ""

    @property
    def is_weak_key(self) -> bool:
        return self.buyer_key is not None and self.buyer_key.startswith(WEAK_KEY_PREFIX)

    @property
    def units(self) -> int:
        return sum(line.qty for line in self.lines)

    @property
    def discount(self) -> Decimal:
        return sum((line.promo_discount for line in self.lines), Decimal(0))


@dataclass(frozen=True, slots=True)
class Return:
    account_id: AccountId
    return_id: str
    order_id: str
    sku: str | None
    qty: int
    reason: str | None
    returned_at: datetime
    source: str = ""


@dataclass(frozen=True, slots=True)
class Feedback:
    account_id: AccountId
    order_id: str
    rating: int
    comment: str | None
    left_at: datetime
    source: str = ""


@dataclass(frozen=True, slots=True)
class PromoUse:
    account_id: AccountId
    order_id: str
    code: str
    discount: Decimal
    currency: str
    source: str = ""


@dataclass(frozen=True, slots=True)
class ImportedContact:
    """A person from a customer list (``custsync import``): a buyer with no orders."""

    account_id: AccountId
    buyer_key: BuyerKey  # the list's external id, else the row number
    row_number: int  # the row in the file (the header is row 1)
    first_name: str | None
    last_name: str | None
    buyer: BuyerInfo  # ``name`` is the full name
    notes: str | None = None
    instagram: str | None = None  # a handle, without "@"
    facebook: str | None = None  # a URL
    source: str = ""


Record = Order | Return | Feedback | PromoUse


@dataclass(frozen=True, slots=True)
class Reject:
    """A record that could not be mapped: kept in the dead-letter table, never dropped."""

    stream: StreamName
    source_id: str | None
    reason: str
    payload: str


_T = TypeVar("_T")


def without_nul(value: _T) -> _T:
    """``value`` with every NUL character dropped from its texts, nested records included:
    PostgreSQL cannot store one, and a marketplace or a list now and then sends one. The same
    object when there is none."""
    return _cleaned(value)  # type: ignore[no-any-return]


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("\x00", "") if "\x00" in value else value
    if type(value) is tuple:
        items = tuple(_cleaned(item) for item in value)
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if is_dataclass(value) and not isinstance(value, type):
        changed = {
            f.name: clean
            for f in fields(value)
            if (clean := _cleaned(old := getattr(value, f.name))) is not old
        }
        return replace(value, **changed) if changed else value
    return value
