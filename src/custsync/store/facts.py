"""Reading what the pipeline is handed: each buyer's orders (with returns, feedback and promo
codes joined on through order ids) and imported contact rows."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from sqlalchemy import Connection, Dialect, func, select

from custsync.pipeline.facts import BuyerFacts, BuyerRef, ContactFact, OrderFact
from custsync.records import AccountId, BuyerInfo, BuyerKey, MarketplaceKind, OrderStatus
from custsync.store import schema
from custsync.store.db import Store
from custsync.store.refs import pair_filters, pair_rows

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
    rows = _order_rows(conn, refs)
    rows.sort(key=lambda r: (r[_AT], r[_ORDER]))  # the latest order names
    order_keys = [(r[_ACCOUNT], r[_ORDER]) for r in rows]
    codes = _promo_codes(conn, order_keys)
    returned = _returned_units(conn, order_keys)
    negative = _negative_feedback(conn, order_keys)
    grouped: dict[BuyerRef, list[OrderFact]] = defaultdict(list)
    meta: dict[BuyerRef, tuple[str, bool]] = {}
    for r in rows:
        ref = (AccountId(r[_ACCOUNT]), BuyerKey(r[_BUYER]))
        key = (r[_ACCOUNT], r[_ORDER])
        grouped[ref].append(
            _order_fact(r, codes.get(key, frozenset()), returned.get(key, 0), negative.get(key, 0))
        )
        meta[ref] = (r[_MARKETPLACE], bool(r[_WEAK]))
    contacts = contact_facts(conn, refs)
    for ref in sorted(set(grouped) | set(contacts)):
        marketplace, is_weak = meta.get(ref, (MarketplaceKind.FILE.value, False))
        orders = tuple(grouped.get(ref, ()))
        yield BuyerFacts(ref[0], ref[1], marketplace, is_weak, orders, contacts.get(ref, ()))


def _order_rows(conn: Connection, refs: Sequence[BuyerRef]) -> list[tuple[Any, ...]]:
    """The fact columns of the orders of ``refs``, typed as the schema types them. Plain
    driver SQL (``refs.pair_rows``): a refresh reads the orders of thousands of buyers, and
    building each chunk's statement would cost more than running it."""
    convert = _converters(conn.dialect)
    return [
        tuple(value if f is None else f(value) for f, value in zip(convert, row, strict=True))
        for row in pair_rows(conn, _ORDER_FACTS, refs)
    ]


def _converters(dialect: Dialect) -> list[Callable[[Any], Any] | None]:
    """How the driver's value of each fact column becomes the schema's type (``None``: as it
    is): times become aware datetimes, money Decimals."""
    return [
        column.type.dialect_impl(dialect).result_processor(dialect, None)
        for column in _FACT_COLUMNS
    ]


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
    for r in conn.execute(query.execution_options(yield_per=5000)):
        ref = (AccountId(r[_ACCOUNT]), BuyerKey(r[_BUYER]))
        if ref != current and current is not None:
            yield BuyerFacts(*current, *meta, tuple(batch), contacts.pop(current, ()))
            batch = []
        current, meta = ref, (r[_MARKETPLACE], bool(r[_WEAK]))
        key = (r[_ACCOUNT], r[_ORDER])
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


# what an order says of its buyer (everything but the stored payload and its bookkeeping), in
# the order ``_order_fact`` reads it
_FACT_NAMES = (
    "account_id", "order_id", "marketplace", "buyer_key", "is_weak_key", "status",
    "purchased_at", "updated_at", "currency", "total", "discount", "units",
    *(f"buyer_{name}" for name in schema.BUYER_FIELDS),
)  # fmt: skip
_FACT_COLUMNS = tuple(schema.orders.c[name] for name in _FACT_NAMES)
_ORDER_FACTS = (
    "SELECT "  # noqa: S608 (the schema's column names)
    + ", ".join(_FACT_NAMES)
    + " FROM orders WHERE account_id = %s AND buyer_key {}"
)
_ACCOUNT, _ORDER, _MARKETPLACE, _BUYER, _WEAK = range(5)
_AT = _FACT_NAMES.index("purchased_at")


def _order_fact(r: Sequence[Any], codes: frozenset[str], returned: int, negative: int) -> OrderFact:
    """The fact of an order row (``_FACT_NAMES``, typed)."""
    account, order_id, marketplace, key, _, status, at, updated, currency, *rest = r
    total, discount, units, *buyer = rest
    return OrderFact(
        account_id=AccountId(account),
        marketplace=marketplace,
        order_id=order_id,
        buyer_key=BuyerKey(key),
        status=OrderStatus(status),
        purchased_at=at,
        updated_at=updated,
        currency=currency,
        total=total,
        discount=discount,
        units=units,
        promo_codes=codes,
        buyer=BuyerInfo(**dict(zip(schema.BUYER_FIELDS, buyer, strict=True))),
        returned_units=returned,
        negative_feedbacks=negative,
    )


def _promo_codes(conn: Connection, keys: list[OrderKey]) -> dict[OrderKey, frozenset[str]]:
    """The promo codes of each order of ``keys`` that has some: its lines' and its uses'."""
    found: dict[OrderKey, set[str]] = defaultdict(set)
    for a, oid, codes in pair_rows(conn, _LINE_CODES, keys):
        found[(a, oid)].update(codes.split(";"))
    for a, oid, code in pair_rows(conn, _USED_CODES, keys):
        found[(a, oid)].add(code)
    return {key: frozenset(codes) for key, codes in found.items()}


def _returned_units(conn: Connection, keys: list[OrderKey]) -> dict[OrderKey, int]:
    found: dict[OrderKey, int] = {}
    for a, oid, qty in pair_rows(conn, _RETURNED, keys):
        found[(a, oid)] = found.get((a, oid), 0) + int(qty or 0)
    return found


def _negative_feedback(conn: Connection, keys: list[OrderKey]) -> dict[OrderKey, int]:
    found: dict[OrderKey, int] = {}
    for a, oid in pair_rows(conn, _NEGATIVE, keys):
        found[(a, oid)] = found.get((a, oid), 0) + 1
    return found


# An order's events, looked up by order id (``refs.pair_rows``: ``%s`` the account, ``{}`` the
# order ids)
_LINE_CODES = (
    "SELECT account_id, order_id, promo_codes FROM order_lines"
    " WHERE account_id = %s AND promo_codes <> '' AND order_id {}"
)
_USED_CODES = (
    "SELECT account_id, order_id, code FROM promo_uses WHERE account_id = %s AND order_id {}"
)
_RETURNED = "SELECT account_id, order_id, qty FROM returns WHERE account_id = %s AND order_id {}"
_NEGATIVE = (
    "SELECT account_id, order_id FROM feedback"
    " WHERE account_id = %s AND rating <= 2 AND order_id {}"
)
