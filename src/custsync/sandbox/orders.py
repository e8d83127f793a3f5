"""Orders of the sandbox world: lines, money, status history, returns and feedback.

Money is held in minor units (``int``) and read as ``Decimal`` through ``to_money``; every
total is exact: line total = items + shipping + tax - discount, order total = sum of lines.
Times are epoch seconds (UTC); nothing happens after the world's end.

The value types are ``NamedTuple``s: immutable like frozen dataclasses, but created about four
times faster, which matters at a million orders per run (``World.iter_orders``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from enum import StrEnum
from typing import NamedTuple

from custsync.sandbox.catalog import Account, Marketplace, Product, to_money
from custsync.sandbox.people import Person


class Status(StrEnum):
    """Fulfillment status, spelled as Amazon spells it."""

    PENDING = "PENDING"
    UNSHIPPED = "UNSHIPPED"
    SHIPPED = "SHIPPED"
    CANCELLED = "CANCELLED"


class Exposure(StrEnum):
    """How much of the buyer the marketplace API shows on this order."""

    FULL = "full"  # key (e-mail alias, customer id, user name), name and address
    NO_EMAIL = "no_email"  # Amazon FBA: name and address, no buyer e-mail
    BUSINESS_RELAY = "business_relay"  # Amazon Business: shared no-reply e-mail, real ship-to
    HIDDEN = "hidden"  # neither buyer nor recipient (restricted data, guest checkout)


class StatusChange(NamedTuple):
    status: Status
    at_s: int


class Line(NamedTuple):
    item_id: str
    product: Product
    qty: int
    unit_price_minor: int
    shipping_minor: int
    tax_minor: int
    discount_minor: int
    promo_code: str | None

    @property
    def items_minor(self) -> int:
        return self.unit_price_minor * self.qty

    @property
    def total_minor(self) -> int:
        return self.items_minor + self.shipping_minor + self.tax_minor - self.discount_minor


class Return(NamedTuple):
    return_id: str
    sku: str
    qty: int
    reason: str
    returned_at_s: int


class Feedback(NamedTuple):
    rating: int
    comment: str | None
    left_at_s: int

    @property
    def is_negative(self) -> bool:
        return self.rating <= 2


class SimOrder(NamedTuple):
    number: int  # position in the world's creation order (0-based)
    order_id: str
    account: Account
    marketplace: Marketplace
    person: Person
    history: tuple[StatusChange, ...]  # first entry: creation (PENDING)
    lines: tuple[Line, ...]
    is_fulfilled_by_amazon: bool
    exposure: Exposure
    buyer_key: str | None  # the key the API exposes; None where it shows none
    returns: tuple[Return, ...] = ()
    feedback: Feedback | None = None

    @property
    def currency(self) -> str:
        return self.marketplace.currency

    @property
    def created_at_s(self) -> int:
        return self.history[0].at_s

    @property
    def final(self) -> StatusChange:
        return self.history[-1]

    @property
    def is_cancelled(self) -> bool:
        return self.final.status is Status.CANCELLED

    @property
    def units(self) -> int:
        return sum(line.qty for line in self.lines)

    @property
    def total_minor(self) -> int:
        return sum(line.total_minor for line in self.lines)

    @property
    def discount_minor(self) -> int:
        return sum(line.discount_minor for line in self.lines)

    @property
    def total(self) -> Decimal:
        return to_money(self.total_minor, self.currency)

    @property
    def discount(self) -> Decimal:
        return to_money(self.discount_minor, self.currency)

    @property
    def promo_codes(self) -> frozenset[str]:
        return frozenset(line.promo_code for line in self.lines if line.promo_code)

    @property
    def returned_units(self) -> int:
        return sum(item.qty for item in self.returns)

    def state_at(self, epoch_s: int) -> StatusChange | None:
        """The latest status whose time is ≤ ``epoch_s`` (None: not created yet)."""
        visible = None
        for change in self.history:
            if change.at_s > epoch_s:
                break
            visible = change
        return visible


def utc(epoch_s: int) -> datetime:
    return datetime.fromtimestamp(epoch_s, UTC)


def iso(epoch_s: int) -> str:
    """Epoch seconds → ``2026-01-02T03:04:05Z``."""
    return utc(epoch_s).strftime("%Y-%m-%dT%H:%M:%SZ")
