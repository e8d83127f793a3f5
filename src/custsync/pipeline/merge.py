"""The golden record: the contact data a customer is shown with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from custsync.pipeline.facts import OrderFact


@dataclass(frozen=True, slots=True)
class Contact:
    name: str | None = None
    email: str | None = None
    phone: str | None = None
    address: str | None = None
    zip: str | None = None
    city: str | None = None
    state: str | None = None
    country: str | None = None


def golden_contact(orders: Iterable[OrderFact]) -> Contact:
    """Per field, the most recent non-empty value (orders newest first)."""
    newest_first = sorted(orders, key=lambda o: (o.purchased_at, o.order_id), reverse=True)
    values: dict[str, str | None] = {}
    for order in newest_first:
        buyer = order.buyer
        address = ", ".join(p for p in (buyer.address_line1, buyer.address_line2) if p) or None
        candidates = {
            "name": buyer.name,
            "email": buyer.email,
            "phone": buyer.phone,
            "address": address,
            "zip": buyer.postal_code,
            "city": buyer.city,
            "state": buyer.state,
            "country": buyer.country_code,
        }
        for key, value in candidates.items():
            if values.get(key) is None and value and value.strip():
                values[key] = value
    return Contact(**values)
