"""Which buyers are the same person.

This first version keeps one customer per marketplace buyer (account + buyer key); the
customer id is derived from that buyer, so it is stable across runs and databases.
"""

from __future__ import annotations

import hashlib

from custsync.records import AccountId, BuyerKey, CustomerId


def customer_id_for(account_id: AccountId, buyer_key: BuyerKey) -> CustomerId:
    digest = hashlib.sha256(f"{account_id}\x1f{buyer_key}".encode()).hexdigest()
    return CustomerId(f"C{digest[:12].upper()}")
