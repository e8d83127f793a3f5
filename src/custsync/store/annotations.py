"""What analysts add to customers: timestamped notes and the watchlist (with a reason)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, union, update

from custsync.errors import StoreError
from custsync.records import CustomerId
from custsync.store import schema
from custsync.store.db import Store
from custsync.store.refs import chunks, one_of

MERGE_HOPS = 16


@dataclass(frozen=True, slots=True)
class Note:
    note_id: int
    customer_id: str
    body: str
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class WatchEntry:
    customer_id: str
    name: str | None
    reason: str | None
    added_at: datetime


def resolve_customer(conn: Connection, customer_id: str) -> str:
    """The current id of ``customer_id``, following merges; ``StoreError`` when unknown."""
    c = schema.customers
    current = customer_id
    for _ in range(MERGE_HOPS):
        row = conn.execute(select(c.c.merged_into).where(c.c.customer_id == current)).one_or_none()
        if row is None:
            raise StoreError(f"no customer {customer_id!r}")
        if row.merged_into is None:
            return current
        current = row.merged_into
    raise StoreError(f"customer {customer_id!r}: merge chain too long")


def add_note(store: Store, customer_id: str, body: str, *, now: datetime) -> Note:
    with store.begin() as conn:
        target = resolve_customer(conn, customer_id)
        note_id = conn.execute(
            insert(schema.customer_notes)
            .values(customer_id=target, body=body, created_at=now, updated_at=now)
            .returning(schema.customer_notes.c.note_id)
        ).scalar_one()
    return Note(note_id, target, body, now, now)


def edit_note(store: Store, note_id: int, body: str, *, now: datetime) -> Note:
    n = schema.customer_notes
    with store.begin() as conn:
        changed = conn.execute(
            update(n).where(n.c.note_id == note_id).values(body=body, updated_at=now)
        ).rowcount
        if not changed:
            raise StoreError(f"no note {note_id}")
        row = conn.execute(select(n).where(n.c.note_id == note_id)).one()
    return Note(**row._mapping)


def delete_note(store: Store, note_id: int) -> None:
    n = schema.customer_notes
    with store.begin() as conn:
        if not conn.execute(delete(n).where(n.c.note_id == note_id)).rowcount:
            raise StoreError(f"no note {note_id}")


def notes_for(conn: Connection, customer_id: str) -> list[Note]:
    """Newest first."""
    n = schema.customer_notes
    query = (
        select(n)
        .where(n.c.customer_id == customer_id)
        .order_by(n.c.created_at.desc(), n.c.note_id.desc())
    )
    return [Note(**row._mapping) for row in conn.execute(query)]


def list_notes(store: Store, customer_id: str) -> list[Note]:
    with store.read() as conn:
        return notes_for(conn, resolve_customer(conn, customer_id))


def watch(store: Store, customer_id: str, reason: str | None, *, now: datetime) -> str:
    """Put a customer on the watchlist (a second call updates the reason); returns its id."""
    w = schema.watchlist
    with store.begin() as conn:
        target = resolve_customer(conn, customer_id)
        present = conn.execute(select(w.c.customer_id).where(w.c.customer_id == target)).first()
        if present is None:
            conn.execute(insert(w).values(customer_id=target, reason=reason, added_at=now))
        elif reason is not None:
            conn.execute(update(w).where(w.c.customer_id == target).values(reason=reason))
    return target


def unwatch(store: Store, customer_id: str) -> bool:
    """Take a customer off the watchlist; False when it was not on it."""
    w = schema.watchlist
    with store.begin() as conn:
        target = resolve_customer(conn, customer_id)
        return bool(conn.execute(delete(w).where(w.c.customer_id == target)).rowcount)


def watch_entry(conn: Connection, customer_id: str) -> WatchEntry | None:
    entries = _watch_entries(conn, customer_id)
    return entries[0] if entries else None


def watchlist(store: Store) -> list[WatchEntry]:
    """Newest first (the watchlist tab's order)."""
    with store.read() as conn:
        return _watch_entries(conn, None)


def _watch_entries(conn: Connection, customer_id: str | None) -> list[WatchEntry]:
    w, c = schema.watchlist, schema.customers
    query = (
        select(w.c.customer_id, c.c.name, w.c.reason, w.c.added_at)
        .select_from(w.outerjoin(c, c.c.customer_id == w.c.customer_id))
        .order_by(w.c.added_at.desc(), w.c.customer_id)
    )
    if customer_id is not None:
        query = query.where(w.c.customer_id == customer_id)
    return [WatchEntry(**row._mapping) for row in conn.execute(query)]


def follow_merges(conn: Connection, merged_into: Mapping[CustomerId, CustomerId]) -> None:
    """Notes and watchlist entries of customers merged into others go to the customer that
    took them over (through a chain of merges made at once, to its end). A watched customer
    merged into a watched one leaves its reason beside the other's."""
    n, w = schema.customer_notes, schema.watchlist
    for old in _annotated(conn, sorted(merged_into)):
        new = _survivor(old, merged_into)
        conn.execute(update(n).where(n.c.customer_id == old).values(customer_id=new))
        moved = conn.execute(select(w.c.reason).where(w.c.customer_id == old)).first()
        if moved is None:
            continue
        kept = conn.execute(select(w.c.reason).where(w.c.customer_id == new)).first()
        if kept is None:
            conn.execute(update(w).where(w.c.customer_id == old).values(customer_id=new))
            continue
        reasons = [r for r in (kept.reason, moved.reason) if r]
        conn.execute(delete(w).where(w.c.customer_id == old))
        joined = "; ".join(dict.fromkeys(reasons)) or None
        conn.execute(update(w).where(w.c.customer_id == new).values(reason=joined))


def _annotated(conn: Connection, customer_ids: list[CustomerId]) -> list[CustomerId]:
    """Those of ``customer_ids`` with a note or a watchlist entry, sorted."""
    n, w = schema.customer_notes, schema.watchlist
    found: set[CustomerId] = set()
    for chunk in chunks(customer_ids):
        noted = select(n.c.customer_id).where(one_of(n.c.customer_id, chunk))
        watched = select(w.c.customer_id).where(one_of(w.c.customer_id, chunk))
        found |= {CustomerId(cid) for cid in conn.execute(union(noted, watched)).scalars()}
    return sorted(found)


def _survivor(old: CustomerId, merged_into: Mapping[CustomerId, CustomerId]) -> CustomerId:
    current = merged_into[old]
    for _ in range(MERGE_HOPS):
        if current not in merged_into:
            break
        current = merged_into[current]
    return current
