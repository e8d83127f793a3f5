"""Customers from stored events: resolve identities, merge contact data, compute metrics.

Wiring between the store and the pure pipeline; only the buyers a sync touched are redone.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import structlog

from custsync.pipeline.fx import FxTable
from custsync.pipeline.identity import customer_id_for
from custsync.pipeline.merge import golden_contact
from custsync.pipeline.metrics import compute_metrics
from custsync.store.customers import (
    BuyerRef,
    CustomerRecord,
    all_buyer_refs,
    load_buyer_facts,
    load_fx_rates,
    save_customers,
    stale_buyer_refs,
)
from custsync.store.db import Store

BATCH = 2000
log = structlog.get_logger()


def rebuild_customers(
    store: Store, touched: Iterable[BuyerRef] | None, *, base_currency: str, now: datetime
) -> int:
    """Recompute the customers of ``touched`` and stale buyers (all buyers when ``None``)."""
    if touched is None:
        refs = all_buyer_refs(store)
    else:
        refs = sorted(set(touched) | set(stale_buyer_refs(store)))
    fx = FxTable.from_rates(base_currency, load_fx_rates(store))
    batch: list[CustomerRecord] = []
    count = 0
    for facts in load_buyer_facts(store, refs):
        record = CustomerRecord(
            customer_id=customer_id_for(facts.account_id, facts.buyer_key),
            contact=golden_contact(facts.orders),
            metrics=compute_metrics(facts.orders, fx),
            buyers=(facts,),
        )
        batch.append(record)
        if len(batch) >= BATCH:
            save_customers(store, batch, now=now)
            count += len(batch)
            batch = []
    save_customers(store, batch, now=now)
    count += len(batch)
    log.info("customers_rebuilt", buyers=len(refs), customers=count)
    return count
