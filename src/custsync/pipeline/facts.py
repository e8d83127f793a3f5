"""What the pipeline is handed: a buyer's orders (returns and feedback joined on) and, for
people imported from a customer list, the contact rows that stand for them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from custsync.records import AccountId, BuyerInfo, BuyerKey, OrderStatus

BuyerRef = tuple[AccountId, BuyerKey]


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
class ContactFact:
    """A person from an imported customer list: contact data without orders."""

    account_id: AccountId
    buyer_key: BuyerKey
    buyer: BuyerInfo
    seen_at: datetime  # when the list was imported: how recent this contact data is


@dataclass(frozen=True, slots=True)
class BuyerFacts:
    """One marketplace buyer (account + buyer key), every order stored for it and, for
    imported people, their contact row. ``marketplace`` is that of the buyer's latest order
    (an Amazon weak key can recur in several marketplaces of one account)."""

    account_id: AccountId
    buyer_key: BuyerKey
    marketplace: str
    is_weak_key: bool
    orders: tuple[OrderFact, ...]
    contacts: tuple[ContactFact, ...] = ()

    @property
    def ref(self) -> BuyerRef:
        return (self.account_id, self.buyer_key)
