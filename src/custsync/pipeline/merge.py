"""The golden record: the contact data a customer is shown with.

Survivorship: per field the most recent non-empty value (orders by purchase time, imported
contact rows by import time), except the name, which is the most frequent spelling (ties: the
most recent) in reading order ("Weiß, Sören" is shown and counted as "Sören Weiß"); a
marketplace relay alias is shown only when no personal e-mail is known, and junk e-mails never.
Every e-mail and phone stays as an alternate.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from custsync.lexicon import SUFFIXES
from custsync.pipeline.facts import ContactFact, OrderFact
from custsync.pipeline.normalize import EmailKind, email_kind, normalize_name, words
from custsync.records import BuyerInfo

_FIELDS = ("phone", "address", "zip", "city", "state", "country")


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
    alternate_emails: tuple[str, ...] = ()
    alternate_phones: tuple[str, ...] = ()


def golden_contact(orders: Iterable[OrderFact], contacts: Iterable[ContactFact] = ()) -> Contact:
    sightings = [(o.purchased_at, o.order_id, o.buyer) for o in orders]
    sightings += [(c.seen_at, f"~{c.buyer_key}", c.buyer) for c in contacts]
    newest_first = [info for _, _, info in sorted(sightings, key=lambda s: s[:2], reverse=True)]
    values: dict[str, str] = {}
    for info in newest_first:
        for key, value in _fields(info).items():
            if key not in values and value and value.strip():
                values[key] = value
    emails = _emails(newest_first)
    phones = _distinct(info.phone for info in newest_first)
    return Contact(
        name=_name(newest_first),
        email=emails[0] if emails else None,
        alternate_emails=tuple(emails),
        alternate_phones=phones,
        **{key: values.get(key) for key in _FIELDS},
    )


def _fields(info: BuyerInfo) -> dict[str, str | None]:
    address = ", ".join(p for p in (info.address_line1, info.address_line2) if p) or None
    return {
        "phone": info.phone,
        "address": address,
        "zip": info.postal_code,
        "city": info.city,
        "state": info.state,
        "country": info.country_code,
    }


def _name(newest_first: list[BuyerInfo]) -> str | None:
    spellings = [
        reading_order(info.name)
        for info in newest_first
        if info.name and normalize_name(info.name, company=info.company) is not None
    ]
    if not spellings:
        return None
    counts = Counter(spellings)
    return max(spellings, key=lambda s: (counts[s], -spellings.index(s)))


def reading_order(name: str) -> str:
    """A name as it is read: "Weiß, Sören" → "Sören Weiß", "Smith, John, Jr." → "John Smith Jr."
    (the spelling kept); a name without a comma, or with more parts, is only trimmed."""
    parts = [part.strip() for part in name.split(",")]
    parts = [part for part in parts if part]
    suffixes: list[str] = []
    while len(parts) > 2 and all(w in SUFFIXES for w in words(parts[-1])):
        suffixes.insert(0, parts.pop())
    if len(parts) != 2:
        return name.strip()
    return " ".join([parts[1], parts[0], *suffixes])


def _emails(newest_first: list[BuyerInfo]) -> list[str]:
    personal = _distinct(i.email for i in newest_first if email_kind(i.email) is EmailKind.PERSONAL)
    relay = _distinct(i.email for i in newest_first if email_kind(i.email) is EmailKind.RELAY)
    return [*personal, *relay]


def _distinct(values: Iterable[str | None]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value.strip():
            seen.setdefault(value.strip(), None)
    return tuple(seen)


def latest_sighting(orders: Iterable[OrderFact], contacts: Iterable[ContactFact]) -> BuyerInfo:
    """The buyer data as last seen (what a ``buyers`` row shows)."""
    found: list[tuple[datetime, str, BuyerInfo]] = [
        (o.purchased_at, o.order_id, o.buyer) for o in orders
    ]
    found += [(c.seen_at, "", c.buyer) for c in contacts]
    return max(found, key=lambda s: s[:2])[2] if found else BuyerInfo()
