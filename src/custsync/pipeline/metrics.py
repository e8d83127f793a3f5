"""Customer metrics, as ARCHITECTURE.md "Identity and metrics" defines them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import NamedTuple

from custsync.pipeline.facts import OrderFact
from custsync.pipeline.fx import FxTable
from custsync.records import AccountId

CENT = Decimal("0.01")


class Metrics(NamedTuple):
    """One customer's metrics (a named tuple: the set-based refresh builds one per customer)."""

    orders: int
    units: int
    amount_spent: Decimal
    currency: str
    discount_received: Decimal
    promo_codes: tuple[str, ...]
    negative_feedbacks: int
    returned_units: int
    seller_accounts: tuple[AccountId, ...]
    first_order_at: datetime | None
    last_order_at: datetime | None

    @property
    def promo_codes_used(self) -> int:
        return len(self.promo_codes)

    @property
    def average_order_value(self) -> Decimal:
        if self.orders == 0:
            return Decimal(0).quantize(CENT)
        return (self.amount_spent / self.orders).quantize(CENT)


def compute_metrics(orders: Sequence[OrderFact], fx: FxTable) -> Metrics:
    """Metrics over every order of one customer; cancelled orders count for nothing but
    returns and feedback already attached to them."""
    kept = [o for o in orders if not o.status.is_cancelled]
    spent = sum((fx.convert(o.total, o.currency, o.purchased_at.date()) for o in kept), Decimal(0))
    discount = sum(
        (fx.convert(o.discount, o.currency, o.purchased_at.date()) for o in kept), Decimal(0)
    )
    codes = sorted({code for o in kept for code in o.promo_codes})
    placed = [o.purchased_at for o in orders]
    return Metrics(
        orders=len(kept),
        units=sum(o.units for o in kept),
        amount_spent=spent.quantize(CENT),
        currency=fx.base_currency,
        discount_received=discount.quantize(CENT),
        promo_codes=tuple(codes),
        negative_feedbacks=sum(o.negative_feedbacks for o in orders),
        returned_units=sum(o.returned_units for o in orders),
        seller_accounts=tuple(sorted({o.account_id for o in orders})),
        first_order_at=min(placed, default=None),
        last_order_at=max(placed, default=None),
    )


class CurrencyTotal(NamedTuple):
    """A customer's money in one original currency (orders not cancelled)."""

    currency: str
    orders: int
    amount_spent: Decimal
    discount_received: Decimal


def currency_totals(orders: Sequence[OrderFact]) -> tuple[CurrencyTotal, ...]:
    """The original-currency side of ``compute_metrics``: per currency, sorted by code."""
    found: dict[str, list[OrderFact]] = {}
    for order in orders:
        if not order.status.is_cancelled:
            found.setdefault(order.currency, []).append(order)
    return tuple(
        CurrencyTotal(
            currency=currency,
            orders=len(kept),
            amount_spent=sum((o.total for o in kept), Decimal(0)).quantize(CENT),
            discount_received=sum((o.discount for o in kept), Decimal(0)).quantize(CENT),
        )
        for currency, kept in sorted(found.items())
    )
