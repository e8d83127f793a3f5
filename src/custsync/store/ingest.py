"""Writing pages: idempotent upserts, dead letters and the cursor, in one transaction.

An order keeps the strongest buyer key it was ever seen with (a marketplace key beats a weak
derived key, which beats none): Amazon's order report shows no buyer e-mail while
``searchOrders`` does, so whichever arrives last, the same order never yields two buyers; a
stronger key replacing a weaker one touches both buyers (the old one loses the order).

Returns, feedback and promo uses refresh the customer of their order's buyer: the buyers of
the orders they name (one query per page) join ``touched_buyers``, and the rows carry
``ingested_at`` so ``store.customers.stale_buyer_refs`` sees them after a crash too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, func, insert, select, update

from custsync.connectors.base import Page
from custsync.pipeline.facts import BuyerRef
from custsync.records import (
    WEAK_KEY_PREFIX,
    AccountId,
    BuyerKey,
    Feedback,
    Order,
    PromoUse,
    Reject,
    Return,
    StreamName,
)
from custsync.store import schema
from custsync.store.customers import customer_ids_of
from custsync.store.db import Store
from custsync.store.leases import Lease, extend_lease
from custsync.store.overrides import carry_overrides
from custsync.store.page_fit import fit_page
from custsync.store.refs import insert_rows, pair_filters
from custsync.store.state import save_cursor


@dataclass(slots=True)
class PageCounts:
    """What one page did to the store."""

    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    unlinked_orders: int = 0
    touched_buyers: set[tuple[AccountId, BuyerKey]] = field(default_factory=set)

    def add(self, other: PageCounts) -> None:
        self.fetched += other.fetched
        self.inserted += other.inserted
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.rejected += other.rejected
        self.unlinked_orders += other.unlinked_orders
        self.touched_buyers |= other.touched_buyers


def write_page(
    store: Store,
    account_id: AccountId,
    stream: StreamName,
    page: Page,
    *,
    run_id: str,
    now: datetime,
    lease: Lease | None = None,
) -> PageCounts:
    """Store ``page`` and advance the stream's cursor; all or nothing.

    With ``lease``, the page is written only while the run still holds it (``LeaseLost``
    otherwise), and its expiry is pushed out in the same transaction.
    """
    counts = PageCounts(fetched=len(page.records) + len(page.rejects))
    page = fit_page(page, stream)
    with store.begin() as conn:
        if lease is not None:
            extend_lease(conn, lease, now=now)
        _write_orders(conn, [r for r in page.records if isinstance(r, Order)], counts, now)
        changed = [
            *_write_events(
                conn,
                schema.returns,
                ("return_id",),
                _event_rows(page, Return, _RETURN_FIELDS, now),
                counts,
            ),
            *_write_events(
                conn,
                schema.feedback,
                ("order_id",),
                _event_rows(page, Feedback, _FEEDBACK_FIELDS, now),
                counts,
            ),
            *_write_events(
                conn,
                schema.promo_uses,
                ("order_id", "code"),
                _event_rows(page, PromoUse, _PROMO_FIELDS, now),
                counts,
            ),
        ]
        counts.touched_buyers |= _buyers_of_orders(conn, changed)
        _write_rejects(conn, account_id, run_id, page.rejects, now)
        counts.rejected = len(page.rejects)
        save_cursor(conn, account_id, stream, page.checkpoint, now=now)
    return counts


def source_hash(source: str) -> str:
    return hashlib.sha256(source.encode("utf-8")).hexdigest()


def _order_row(order: Order, now: datetime, customer_id: str | None) -> dict[str, Any]:
    buyer = order.buyer
    return {
        "account_id": order.account_id,
        "order_id": order.order_id,
        "marketplace": order.marketplace,
        "buyer_key": order.buyer_key,
        "is_weak_key": order.is_weak_key,
        "status": order.status.value,
        "purchased_at": order.purchased_at,
        "updated_at": order.updated_at,
        "currency": order.currency,
        "total": order.total,
        "discount": order.discount,
        "units": order.units,
        **{f"buyer_{name}": getattr(buyer, name) for name in schema.BUYER_FIELDS},
        "source": order.source,
        "source_hash": source_hash(order.source or repr(order)),
        "ingested_at": now,
        "customer_id": customer_id,
    }


def _write_orders(
    conn: Connection, page: Sequence[Order], counts: PageCounts, now: datetime
) -> None:
    latest = _latest(page)
    if not latest:
        return
    existing = _existing(conn, schema.orders, ("order_id",), list(latest))
    stored_keys = _stored_keys(conn, [k for k in latest if k in existing])
    # a new or changed order names its buyer's customer (``write_customers`` keeps it so)
    keyed = [(o.account_id, o.buyer_key) for o in latest.values() if o.buyer_key is not None]
    owners = customer_ids_of(conn, keyed + [(AccountId(k[0]), b) for k, b in stored_keys.items()])
    fresh: list[Order] = []
    new_rows: list[dict[str, Any]] = []
    moves: dict[BuyerRef, set[BuyerRef]] = {}  # old buyer → the buyers its orders went to
    for order_key, order in latest.items():
        buyer = order.buyer_key
        row = _order_row(
            order, now, None if buyer is None else owners.get((order.account_id, buyer))
        )
        known = existing.get(order_key)
        stored_key = stored_keys.get(order_key)
        if known is None:
            counts.inserted += 1
            new_rows.append(row)
        elif known[0] == row["source_hash"] or known[1] > order.updated_at:
            counts.unchanged += 1
            continue
        else:
            counts.updated += 1
            buyer = _update_order(conn, order, row, stored_key, owners)
            if stored_key is not None and buyer is not None and stored_key != buyer:
                left = (order.account_id, stored_key)
                counts.touched_buyers.add(left)
                moves.setdefault(left, set()).add((order.account_id, buyer))
        fresh.append(order)
        if buyer is None:
            counts.unlinked_orders += 1
        else:
            counts.touched_buyers.add((order.account_id, buyer))
    insert_rows(conn, schema.orders, new_rows)
    _replace_lines(conn, fresh)
    carry_overrides(conn, moves)  # an operator's merge or split follows the orders


def _latest(page: Sequence[Order]) -> dict[tuple[str, ...], Order]:
    """Each order of ``page`` once: the same order twice in a page, the later update wins."""
    latest: dict[tuple[str, ...], Order] = {}
    for order in page:
        key: tuple[str, ...] = (order.account_id, order.order_id)
        if key not in latest or order.updated_at >= latest[key].updated_at:
            latest[key] = order
    return latest


_BUYER_COLUMNS = frozenset(
    {
        "buyer_key",
        "is_weak_key",
        *(f"buyer_{name}" for name in schema.BUYER_FIELDS),
        "customer_id",  # the buyer's: it stays with the buyer kept
    }
)


def _update_order(
    conn: Connection,
    order: Order,
    row: dict[str, Any],
    stored_key: BuyerKey | None,
    owners: Mapping[tuple[AccountId, BuyerKey], str],
) -> BuyerKey | None:
    """Rewrite a stored order; returns the buyer it stays with: its stored key when that is
    the stronger one (with the buyer data seen with it). The order names that buyer's
    customer; an order that goes to another buyer keeps naming the customer it named, if
    any, until the refresh after (``gone_buyers.stray_orders``): a buyer whose orders all
    went to another key leaves the store, and its customer goes with those orders."""
    buyer = order.buyer_key
    if stored_key is not None and key_strength(stored_key) > key_strength(buyer):
        buyer = stored_key
        row = {k: v for k, v in row.items() if k not in _BUYER_COLUMNS}
    owner = None if buyer is None else owners.get((order.account_id, buyer))
    values: dict[str, Any] = {k: v for k, v in row.items() if k != "customer_id"}
    if owner is not None:
        named = schema.orders.c.customer_id
        values["customer_id"] = func.coalesce(named, owner) if buyer != stored_key else owner
    conn.execute(
        update(schema.orders)
        .where(schema.orders.c.account_id == order.account_id)
        .where(schema.orders.c.order_id == order.order_id)
        .values(values)
    )
    return buyer


def key_strength(key: str | None) -> int:
    """2: a marketplace key, 1: a weak key derived from the recipient, 0: none."""
    if key is None:
        return 0
    return 1 if key.startswith(WEAK_KEY_PREFIX) else 2


def _stored_keys(conn: Connection, keys: list[tuple[str, ...]]) -> dict[tuple[str, ...], BuyerKey]:
    o = schema.orders
    found: dict[tuple[str, ...], BuyerKey] = {}
    for where in pair_filters(o.c.account_id, o.c.order_id, [(k[0], k[1]) for k in keys]):
        rows = conn.execute(
            select(o.c.account_id, o.c.order_id, o.c.buyer_key).where(
                where, o.c.buyer_key.is_not(None)
            )
        )
        for account_id, order_id, buyer_key in rows:
            found[(account_id, order_id)] = BuyerKey(buyer_key)
    return found


def _existing(
    conn: Connection, table: Table, id_columns: Sequence[str], keys: list[tuple[str, ...]]
) -> dict[tuple[str, ...], tuple[str, datetime]]:
    cols = [table.c.account_id, *(table.c[name] for name in id_columns)]
    time_col = table.c.updated_at if "updated_at" in table.c else table.c.source_hash
    found: dict[tuple[str, ...], tuple[str, datetime]] = {}
    wanted = set(keys)
    first = table.c[id_columns[0]]  # by account and first id column: the primary key's prefix
    for where in pair_filters(table.c.account_id, first, [(k[0], k[1]) for k in keys]):
        for row in conn.execute(select(*cols, table.c.source_hash, time_col).where(where)):
            key = tuple(row[: len(cols)])
            if key in wanted:
                found[key] = (row[-2], row[-1])
    return found


def _replace_lines(conn: Connection, fresh: Sequence[Order]) -> None:
    if not fresh:
        return
    lines = schema.order_lines
    pairs = [(o.account_id, o.order_id) for o in fresh]
    for where in pair_filters(lines.c.account_id, lines.c.order_id, pairs):
        conn.execute(delete(lines).where(where))
    rows = [
        {
            "account_id": order.account_id,
            "order_id": order.order_id,
            "line_id": line.line_id,
            "sku": line.sku,
            "title": line.title,
            "qty": line.qty,
            "unit_price": line.unit_price,
            "promo_discount": line.promo_discount,
            "promo_codes": ";".join(line.promo_codes),
        }
        for order in fresh
        for line in order.lines
    ]
    insert_rows(conn, lines, rows)


def _write_events(
    conn: Connection,
    table: Table,
    id_columns: Sequence[str],
    rows: list[dict[str, Any]],
    counts: PageCounts,
) -> list[tuple[str, str]]:
    """Upsert ``rows``; the (account, order id) of every row inserted or changed."""
    by_key = {(row["account_id"], *(row[c] for c in id_columns)): row for row in rows}
    if not by_key:
        return []
    existing = _existing(conn, table, id_columns, list(by_key))
    new_rows: list[dict[str, Any]] = []
    changed: list[tuple[str, str]] = []
    for key, row in by_key.items():
        known = existing.get(key)
        if known is None:
            counts.inserted += 1
            new_rows.append(row)
            changed.append((row["account_id"], row["order_id"]))
        elif known[0] == row["source_hash"]:
            counts.unchanged += 1
        else:
            counts.updated += 1
            changed.append((row["account_id"], row["order_id"]))
            matches = [table.c.account_id == key[0]]
            matches += [table.c[c] == value for c, value in zip(id_columns, key[1:], strict=True)]
            conn.execute(update(table).where(and_(*matches)).values(row))
    insert_rows(conn, table, new_rows)
    return changed


def _buyers_of_orders(
    conn: Connection, order_keys: list[tuple[str, str]]
) -> set[tuple[AccountId, BuyerKey]]:
    """The buyers of these orders (the ones that have one): one query per page."""
    keys = sorted(set(order_keys))
    if not keys:
        return set()
    o = schema.orders
    found: set[tuple[AccountId, BuyerKey]] = set()
    for where in pair_filters(o.c.account_id, o.c.order_id, keys):
        rows = conn.execute(
            select(o.c.account_id, o.c.buyer_key)
            .where(where, o.c.buyer_key.is_not(None))
            .distinct()
        )
        found |= {(AccountId(a), BuyerKey(k)) for a, k in rows}
    return found


_RETURN_FIELDS = ("account_id", "return_id", "order_id", "sku", "qty", "reason", "returned_at")
_FEEDBACK_FIELDS = ("account_id", "order_id", "rating", "comment", "left_at")
_PROMO_FIELDS = ("account_id", "order_id", "code", "discount", "currency")


def _event_rows(
    page: Page, kind: type[Return | Feedback | PromoUse], fields: Sequence[str], now: datetime
) -> list[dict[str, Any]]:
    """The rows of ``page``'s records of ``kind``: their ``fields``, source and its hash."""
    return [
        {
            **{name: getattr(r, name) for name in fields},
            "source": r.source,
            "source_hash": source_hash(r.source or repr(r)),
            "ingested_at": now,
        }
        for r in page.records
        if isinstance(r, kind)
    ]


def _write_rejects(
    conn: Connection, account_id: AccountId, run_id: str, rejects: Sequence[Reject], now: datetime
) -> None:
    rows = [
        {
            "account_id": account_id,
            "stream": r.stream.value,
            "run_id": run_id,
            "source_id": r.source_id,
            "reason": r.reason,
            "payload": r.payload,
            "created_at": now,
        }
        for r in rejects
    ]
    if rows:
        conn.execute(insert(schema.rejects), rows)
