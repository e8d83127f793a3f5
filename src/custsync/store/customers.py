"""Reading buyer facts for the pipeline and writing buyers and customers back."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, tuple_

from custsync.pipeline.facts import BuyerFacts, OrderFact
from custsync.pipeline.fx import FxRate
from custsync.pipeline.merge import Contact
from custsync.pipeline.metrics import Metrics
from custsync.records import AccountId, BuyerInfo, BuyerKey, CustomerId, OrderStatus
from custsync.store import schema
from custsync.store.db import Store

BuyerRef = tuple[AccountId, BuyerKey]
CHUNK = 400


def all_buyer_refs(store: Store) -> list[BuyerRef]:
    """Every (account, buyer key) that has an order."""
    o = schema.orders
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(o.c.account_id, o.c.buyer_key).where(o.c.buyer_key.is_not(None)).distinct()
        )
        return sorted((AccountId(a), BuyerKey(k)) for a, k in rows)


def stale_buyer_refs(store: Store) -> list[BuyerRef]:
    """Buyers whose customer is missing or older than one of their stored orders.

    This is what makes customer refresh crash-safe: a sync that stored pages but died before
    refreshing leaves its buyers stale, and the next refresh picks them up.
    """
    o, b = schema.orders, schema.buyers
    query = (
        select(o.c.account_id, o.c.buyer_key)
        .select_from(
            o.outerjoin(b, (b.c.account_id == o.c.account_id) & (b.c.buyer_key == o.c.buyer_key))
        )
        .where(o.c.buyer_key.is_not(None))
        .where(b.c.buyer_key.is_(None) | (o.c.ingested_at > b.c.updated_at))
        .distinct()
    )
    with store.engine.connect() as conn:
        return sorted((AccountId(a), BuyerKey(k)) for a, k in conn.execute(query))


def load_buyer_facts(store: Store, refs: Sequence[BuyerRef]) -> Iterator[BuyerFacts]:
    """Facts for ``refs`` in chunks, each buyer with all its orders, returns and feedback."""
    with store.engine.connect() as conn:
        for start in range(0, len(refs), CHUNK):
            yield from _facts_for(conn, refs[start : start + CHUNK])


def _facts_for(conn: Connection, refs: Sequence[BuyerRef]) -> Iterator[BuyerFacts]:
    o = schema.orders
    rows = (
        conn.execute(select(o).where(tuple_(o.c.account_id, o.c.buyer_key).in_(list(refs))))
        .mappings()
        .all()
    )
    order_keys = [(r["account_id"], r["order_id"]) for r in rows]
    codes = _promo_codes(conn, order_keys)
    returned = _per_order_sum(conn, schema.returns, schema.returns.c.qty, order_keys)
    negative = _negative_feedback(conn, order_keys)
    grouped: dict[BuyerRef, list[OrderFact]] = defaultdict(list)
    meta: dict[BuyerRef, tuple[str, bool]] = {}
    for r in rows:
        ref = (AccountId(r["account_id"]), BuyerKey(r["buyer_key"]))
        key = (r["account_id"], r["order_id"])
        grouped[ref].append(
            _order_fact(r, codes.get(key, frozenset()), returned.get(key, 0), negative.get(key, 0))
        )
        meta[ref] = (r["marketplace"], bool(r["is_weak_key"]))
    for ref in sorted(grouped):
        marketplace, is_weak = meta[ref]
        yield BuyerFacts(ref[0], ref[1], marketplace, is_weak, tuple(grouped[ref]))


def _order_fact(r: Any, codes: frozenset[str], returned: int, negative: int) -> OrderFact:
    buyer = BuyerInfo(**{name: r[f"buyer_{name}"] for name in schema.BUYER_FIELDS})
    return OrderFact(
        account_id=AccountId(r["account_id"]),
        marketplace=r["marketplace"],
        order_id=r["order_id"],
        buyer_key=BuyerKey(r["buyer_key"]),
        status=OrderStatus(r["status"]),
        purchased_at=r["purchased_at"],
        updated_at=r["updated_at"],
        currency=r["currency"],
        total=r["total"],
        discount=r["discount"],
        units=r["units"],
        promo_codes=codes,
        buyer=buyer,
        returned_units=returned,
        negative_feedbacks=negative,
    )


def _promo_codes(
    conn: Connection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], frozenset[str]]:
    found: dict[tuple[str, str], set[str]] = defaultdict(set)
    lines, uses = schema.order_lines, schema.promo_uses
    for chunk in _chunks(keys):
        for a, oid, codes in conn.execute(
            select(lines.c.account_id, lines.c.order_id, lines.c.promo_codes).where(
                tuple_(lines.c.account_id, lines.c.order_id).in_(chunk), lines.c.promo_codes != ""
            )
        ):
            found[(a, oid)].update(codes.split(";"))
        for a, oid, code in conn.execute(
            select(uses.c.account_id, uses.c.order_id, uses.c.code).where(
                tuple_(uses.c.account_id, uses.c.order_id).in_(chunk)
            )
        ):
            found[(a, oid)].add(code)
    return {key: frozenset(codes) for key, codes in found.items()}


def _per_order_sum(
    conn: Connection, table: Any, column: Any, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for chunk in _chunks(keys):
        query = (
            select(table.c.account_id, table.c.order_id, func.sum(column))
            .where(tuple_(table.c.account_id, table.c.order_id).in_(chunk))
            .group_by(table.c.account_id, table.c.order_id)
        )
        for a, oid, total in conn.execute(query):
            found[(a, oid)] = int(total or 0)
    return found


def _negative_feedback(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    f = schema.feedback
    found: dict[tuple[str, str], int] = {}
    for chunk in _chunks(keys):
        query = select(f.c.account_id, f.c.order_id).where(
            tuple_(f.c.account_id, f.c.order_id).in_(chunk), f.c.rating <= 2
        )
        for a, oid in conn.execute(query):
            found[(a, oid)] = found.get((a, oid), 0) + 1
    return found


def _chunks(items: list[Any]) -> Iterable[list[Any]]:
    for start in range(0, len(items), CHUNK):
        yield items[start : start + CHUNK]


@dataclass(frozen=True, slots=True)
class CustomerRecord:
    customer_id: CustomerId
    contact: Contact
    metrics: Metrics
    buyers: tuple[BuyerFacts, ...]


def save_customers(store: Store, records: Sequence[CustomerRecord], *, now: datetime) -> None:
    """Replace the given customers and the buyer rows that point at them, in one transaction."""
    if not records:
        return
    with store.begin() as conn:
        ids = [r.customer_id for r in records]
        refs = [(b.account_id, b.buyer_key) for r in records for b in r.buyers]
        for chunk in _chunks(ids):
            conn.execute(delete(schema.customers).where(schema.customers.c.customer_id.in_(chunk)))
        for chunk in _chunks(refs):
            conn.execute(
                delete(schema.buyers).where(
                    tuple_(schema.buyers.c.account_id, schema.buyers.c.buyer_key).in_(chunk)
                )
            )
        conn.execute(insert(schema.customers), [_customer_row(r, now) for r in records])
        conn.execute(
            insert(schema.buyers),
            [_buyer_row(r.customer_id, b, now) for r in records for b in r.buyers],
        )


def _customer_row(record: CustomerRecord, now: datetime) -> dict[str, Any]:
    m, c = record.metrics, record.contact
    return {
        "customer_id": record.customer_id,
        "name": c.name,
        "email": c.email,
        "phone": c.phone,
        "address": c.address,
        "zip": c.zip,
        "city": c.city,
        "state": c.state,
        "country": c.country,
        "orders": m.orders,
        "units": m.units,
        "amount_spent": m.amount_spent,
        "currency": m.currency,
        "discount_received": m.discount_received,
        "promo_codes_used": m.promo_codes_used,
        "promo_codes": ";".join(m.promo_codes),
        "negative_feedbacks": m.negative_feedbacks,
        "returned_units": m.returned_units,
        "seller_accounts": ";".join(m.seller_accounts),
        "first_order_at": m.first_order_at,
        "last_order_at": m.last_order_at,
        "merged_into": None,
        "updated_at": now,
    }


def _buyer_row(customer_id: CustomerId, buyer: BuyerFacts, now: datetime) -> dict[str, Any]:
    latest = max(buyer.orders, key=lambda o: (o.purchased_at, o.order_id)).buyer
    return {
        "account_id": buyer.account_id,
        "buyer_key": buyer.buyer_key,
        "marketplace": buyer.marketplace,
        "customer_id": customer_id,
        "is_weak_key": buyer.is_weak_key,
        **{name: getattr(latest, name) for name in schema.BUYER_FIELDS},
        "updated_at": now,
    }


def load_fx_rates(store: Store) -> list[FxRate]:
    t = schema.fx_rates
    with store.engine.connect() as conn:
        return [
            FxRate(r.currency, r.base_currency, r.valid_from, r.rate)
            for r in conn.execute(select(t))
        ]


def set_fx_rate(store: Store, rate: FxRate) -> None:
    t = schema.fx_rates
    with store.begin() as conn:
        conn.execute(
            delete(t).where(
                t.c.currency == rate.currency,
                t.c.base_currency == rate.base_currency,
                t.c.valid_from == rate.valid_from,
            )
        )
        conn.execute(
            insert(t).values(
                currency=rate.currency,
                base_currency=rate.base_currency,
                valid_from=rate.valid_from,
                rate=rate.rate,
            )
        )
