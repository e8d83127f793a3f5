"""What the pipeline is handed: a buyer's orders with their returns and feedback joined on."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from custsync.records import AccountId, BuyerInfo, BuyerKey, OrderStatus


@dataclass(frozen=True, slots=True)
class OrderFact:
    account_id: AccountId
    marketplace: str
    order_id: str
    buyer_key: BuyerKey
    status: OrderStatus
    purchased_at: datetime
    updated_at: datetime
    currency: str
    total: Decimal
    discount: Decimal
    units: int
    promo_codes: frozenset[str]
    buyer: BuyerInfo
    returned_units: int = 0
    negative_feedbacks: int = 0


@dataclass(frozen=True, slots=True)
class BuyerFacts:
    """One marketplace buyer (account + buyer key) and every order stored for it."""

    account_id: AccountId
    buyer_key: BuyerKey
    marketplace: str
    is_weak_key: bool
    orders: tuple[OrderFact, ...]
