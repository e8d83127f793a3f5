"""Imported customer lists: contact rows upserted by (account, buyer key), idempotently."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from custsync.pipeline.facts import BuyerRef
from custsync.records import AccountId, ImportedContact, MarketplaceKind
from custsync.store import schema
from custsync.store.db import Store
from custsync.store.refs import pair_filters
from custsync.store.state import register_account

CHUNK = 400


@dataclass(slots=True)
class ContactCounts:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    touched: set[BuyerRef] = field(default_factory=set)


def write_contacts(
    store: Store,
    account_id: AccountId,
    contacts: Sequence[ImportedContact],
    *,
    account_name: str | None,
    now: datetime,
) -> ContactCounts:
    """Store the contacts of one list in one transaction; a row whose data did not change is
    left alone (so importing the same file twice changes nothing)."""
    register_account(store, account_id, MarketplaceKind.FILE.value, account_name, now=now)
    counts = ContactCounts()
    c = schema.contacts
    with store.begin() as conn:
        known: dict[tuple[str, str], str] = {}
        keys = [(x.account_id, x.buyer_key) for x in contacts]
        for where in pair_filters(c.c.account_id, c.c.buyer_key, keys):
            query = select(c.c.account_id, c.c.buyer_key, c.c.source_hash).where(where)
            known |= {(a, k): h for a, k, h in conn.execute(query)}
        fresh: list[dict[str, Any]] = []
        for contact in contacts:
            row = _row(contact, now)
            previous = known.get((contact.account_id, contact.buyer_key))
            if previous == row["source_hash"]:
                counts.unchanged += 1
                continue
            counts.touched.add((contact.account_id, contact.buyer_key))
            if previous is None:
                counts.inserted += 1
                fresh.append(row)
            else:
                counts.updated += 1
                where = (c.c.account_id == contact.account_id) & (
                    c.c.buyer_key == contact.buyer_key
                )
                conn.execute(update(c).where(where).values(row))
        for start in range(0, len(fresh), 2000):
            conn.execute(insert(c), fresh[start : start + 2000])
    return counts


def _row(contact: ImportedContact, now: datetime) -> dict[str, Any]:
    values: dict[str, Any] = {
        "account_id": contact.account_id,
        "buyer_key": contact.buyer_key,
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        **{name: getattr(contact.buyer, name) for name in schema.BUYER_FIELDS},
        "notes": contact.notes,
        "instagram": contact.instagram,
        "facebook": contact.facebook,
    }
    digest = hashlib.sha256(repr(sorted(values.items())).encode()).hexdigest()
    return values | {
        "row_number": contact.row_number,
        "source": contact.source,
        "source_hash": digest,
        "imported_at": now,
    }
