"""Reading what the pipeline is handed: each buyer's orders (with returns, feedback and promo
codes joined on through order ids) and imported contact rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, func, select

from custsync.pipeline.facts import BuyerFacts, BuyerRef, ContactFact, OrderFact
from custsync.records import AccountId, BuyerInfo, BuyerKey, MarketplaceKind, OrderStatus
from custsync.store import schema
from custsync.store.db import Store
from custsync.store.refs import pair_filters

CHUNK = 400


def load_buyer_facts(store: Store, refs: Sequence[BuyerRef]) -> Iterator[BuyerFacts]:
    """Facts for ``refs`` in chunks, each buyer with all its orders, returns and feedback."""
    with store.engine.connect() as conn:
        yield from load_facts(conn, refs)


def load_facts(conn: Connection, refs: Sequence[BuyerRef]) -> Iterator[BuyerFacts]:
    """``load_buyer_facts`` inside the caller's transaction (buyers in ``refs`` order)."""
    for start in range(0, len(refs), CHUNK):
        yield from _facts_for(conn, refs[start : start + CHUNK])


def _facts_for(conn: Connection, refs: Sequence[BuyerRef]) -> Iterator[BuyerFacts]:
    o = schema.orders
    rows = [
        row
        for where in pair_filters(o.c.account_id, o.c.buyer_key, refs)
        for row in conn.execute(select(*_FACT_COLUMNS).where(where)).mappings()
    ]
    rows.sort(key=lambda r: (r["purchased_at"], r["order_id"]))  # the latest order names
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
    contacts = contact_facts(conn, refs)
    for ref in sorted(set(grouped) | set(contacts)):
        marketplace, is_weak = meta.get(ref, (MarketplaceKind.FILE.value, False))
        orders = tuple(grouped.get(ref, ()))
        yield BuyerFacts(ref[0], ref[1], marketplace, is_weak, orders, contacts.get(ref, ()))


def load_all_facts(conn: Connection) -> Iterator[BuyerFacts]:
    """Every buyer's facts by table scans (a full rebuild): buyers with orders first, in
    (account, key) order, then the buyers that only have an imported contact row."""
    codes, returned, negative = _all_order_events(conn)
    contacts = _all_contacts(conn)
    o = schema.orders
    query = (
        select(*_FACT_COLUMNS)
        .where(o.c.buyer_key.is_not(None))
        .order_by(o.c.account_id, o.c.buyer_key, o.c.purchased_at, o.c.order_id)
    )
    current: BuyerRef | None = None
    batch: list[OrderFact] = []
    meta = (MarketplaceKind.FILE.value, False)
    for r in conn.execute(query.execution_options(yield_per=5000)).mappings():
        ref = (AccountId(r["account_id"]), BuyerKey(r["buyer_key"]))
        if ref != current and current is not None:
            yield BuyerFacts(*current, *meta, tuple(batch), contacts.pop(current, ()))
            batch = []
        current, meta = ref, (r["marketplace"], bool(r["is_weak_key"]))
        key = (r["account_id"], r["order_id"])
        found = codes.get(key, frozenset()), returned.get(key, 0), negative.get(key, 0)
        batch.append(_order_fact(r, *found))
    if current is not None:
        yield BuyerFacts(*current, *meta, tuple(batch), contacts.pop(current, ()))
    for ref in sorted(contacts):
        yield BuyerFacts(*ref, MarketplaceKind.FILE.value, False, (), contacts[ref])


OrderKey = tuple[str, str]


def _all_order_events(
    conn: Connection,
) -> tuple[dict[OrderKey, frozenset[str]], dict[OrderKey, int], dict[OrderKey, int]]:
    lines, uses, r, f = schema.order_lines, schema.promo_uses, schema.returns, schema.feedback
    codes: dict[OrderKey, set[str]] = defaultdict(set)
    query = select(lines.c.account_id, lines.c.order_id, lines.c.promo_codes)
    for a, oid, text in conn.execute(query.where(lines.c.promo_codes != "")):
        codes[(a, oid)].update(text.split(";"))
    for a, oid, code in conn.execute(select(uses.c.account_id, uses.c.order_id, uses.c.code)):
        codes[(a, oid)].add(code)
    per_order = (r.c.account_id, r.c.order_id)
    returned = {
        (a, oid): int(n or 0)
        for a, oid, n in conn.execute(select(*per_order, func.sum(r.c.qty)).group_by(*per_order))
    }
    negative: dict[OrderKey, int] = defaultdict(int)
    for a, oid in conn.execute(select(f.c.account_id, f.c.order_id).where(f.c.rating <= 2)):
        negative[(a, oid)] += 1
    return {k: frozenset(v) for k, v in codes.items()}, returned, dict(negative)


def _all_contacts(conn: Connection) -> dict[BuyerRef, tuple[ContactFact, ...]]:
    return _contacts_where(conn, None)


def contact_facts(
    conn: Connection, refs: Sequence[BuyerRef]
) -> dict[BuyerRef, tuple[ContactFact, ...]]:
    """Imported contact rows of ``refs`` (a buyer has at most one)."""
    return _contacts_where(conn, refs)


def _contacts_where(
    conn: Connection, refs: Sequence[BuyerRef] | None
) -> dict[BuyerRef, tuple[ContactFact, ...]]:
    c = schema.contacts
    wheres = [None] if refs is None else list(pair_filters(c.c.account_id, c.c.buyer_key, refs))
    rows = [
        row
        for where in wheres
        for row in conn.execute(select(c) if where is None else select(c).where(where)).mappings()
    ]
    found: dict[BuyerRef, tuple[ContactFact, ...]] = {}
    for r in rows:
        ref = (AccountId(r["account_id"]), BuyerKey(r["buyer_key"]))
        info = BuyerInfo(**{name: r[name] for name in schema.BUYER_FIELDS})
        found[ref] = (ContactFact(ref[0], ref[1], info, r["imported_at"]),)
    return found


# what an order says of its buyer: everything but the stored payload and its bookkeeping
_FACT_COLUMNS = tuple(
    c for c in schema.orders.c if c.name not in {"source", "source_hash", "ingested_at"}
)


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
    for where in pair_filters(lines.c.account_id, lines.c.order_id, keys):
        for a, oid, codes in conn.execute(
            select(lines.c.account_id, lines.c.order_id, lines.c.promo_codes).where(
                where, lines.c.promo_codes != ""
            )
        ):
            found[(a, oid)].update(codes.split(";"))
    for where in pair_filters(uses.c.account_id, uses.c.order_id, keys):
        for a, oid, code in conn.execute(
            select(uses.c.account_id, uses.c.order_id, uses.c.code).where(where)
        ):
            found[(a, oid)].add(code)
    return {key: frozenset(codes) for key, codes in found.items()}


def _per_order_sum(
    conn: Connection, table: Any, column: Any, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], int]:
    found: dict[tuple[str, str], int] = {}
    for where in pair_filters(table.c.account_id, table.c.order_id, keys):
        query = (
            select(table.c.account_id, table.c.order_id, func.sum(column))
            .where(where)
            .group_by(table.c.account_id, table.c.order_id)
        )
        for a, oid, total in conn.execute(query):
            found[(a, oid)] = int(total or 0)
    return found


def _negative_feedback(conn: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], int]:
    f = schema.feedback
    found: dict[tuple[str, str], int] = {}
    for where in pair_filters(f.c.account_id, f.c.order_id, keys):
        query = select(f.c.account_id, f.c.order_id).where(where, f.c.rating <= 2)
        for a, oid in conn.execute(query):
            found[(a, oid)] = found.get((a, oid), 0) + 1
    return found
