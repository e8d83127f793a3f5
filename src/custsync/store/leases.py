"""Leases on ``sync_state`` rows: one run at a time per (account, stream), across processes.

A lease is ``lease_owner`` + ``lease_expires_at`` on the stream's row. A run claims it before
reading, renews it while it runs (every page, and a heartbeat in between) and releases it at
the end. A claimed, unexpired lease makes every other claimer skip; an expired one (its worker
died) is taken over, and the dead run is marked ``abandoned`` in ``sync_runs``.

Claiming, per dialect:

* PostgreSQL: ``SELECT … FOR UPDATE SKIP LOCKED`` on the row, then set owner and expiry in the
  same transaction. A row another transaction has locked (a claim in progress, a page being
  written) counts as held: claimers never wait on each other.
* SQLite: a conditional ``UPDATE … WHERE lease_owner IS NULL OR lease_expires_at <= now``
  inside ``BEGIN IMMEDIATE`` (``store.db``), which admits one writer at a time.

Every page is fenced: ``extend_lease`` runs inside the page's transaction and raises
``LeaseLost`` when the run no longer owns the row, so a run that stalled past its expiry can
never write over its successor's work. Expiry compares the workers' clocks: keep them in sync
(NTP) and the TTL well above any skew.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, Connection, and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from custsync.errors import Interrupted, LeaseLost
from custsync.records import AccountId, StreamName
from custsync.store import schema
from custsync.store.db import Store

__all__ = [
    "Lease",
    "LeaseHolder",
    "LeaseLost",
    "claim_lease",
    "exclusive",
    "extend_lease",
    "release_lease",
    "release_worker_leases",
    "renew_lease",
]


@dataclass(frozen=True, slots=True)
class Lease:
    """A claimed lease."""

    account_id: AccountId
    stream: StreamName
    owner: str
    ttl_s: float
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class LeaseHolder:
    """Who holds a lease we could not claim (``owner`` is None while a claim is in flight)."""

    owner: str | None
    expires_at: datetime | None

    def describe(self) -> str:
        if self.owner is None:
            return "another worker (claiming it right now)"
        until = f" until {self.expires_at:%Y-%m-%d %H:%M:%SZ}" if self.expires_at else ""
        return f"{self.owner}{until}"


def _row(account_id: AccountId, stream: StreamName) -> ColumnElement[bool]:
    t = schema.sync_state
    return and_(t.c.account_id == account_id, t.c.stream == stream.value)


def _ensure_row(conn: Connection, account_id: AccountId, stream: StreamName, now: datetime) -> None:
    """Create the stream's row if missing; concurrent creators do not collide."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    values = {"account_id": account_id, "stream": stream.value, "updated_at": now}
    conn.execute(dialect.insert(schema.sync_state).values(values).on_conflict_do_nothing())


def claim_lease(
    store: Store,
    account_id: AccountId,
    stream: StreamName,
    *,
    owner: str,
    ttl_s: float,
    now: datetime,
) -> Lease | LeaseHolder:
    """Take the (account, stream) lease for ``owner``, or say who holds it."""
    lease = Lease(account_id, stream, owner, ttl_s, now + timedelta(seconds=ttl_s))
    with store.begin() as conn:
        _ensure_row(conn, account_id, stream, now)
        claim = _claim_postgres if conn.dialect.name == "postgresql" else _claim_sqlite
        previous = claim(conn, lease, now)
        if isinstance(previous, LeaseHolder):
            return previous
        _abandon_runs(conn, lease, previous=previous, now=now)
    return lease


Previous = tuple[str | None, datetime | None]  # the owner and expiry a claim replaced


def _claim_postgres(conn: Connection, lease: Lease, now: datetime) -> Previous | LeaseHolder:
    """Lock the row unless someone else has it locked, then take it if free or expired."""
    t, row = schema.sync_state, _row(lease.account_id, lease.stream)
    found = conn.execute(
        select(t.c.lease_owner, t.c.lease_expires_at).where(row).with_for_update(skip_locked=True)
    ).first()
    if found is None:  # a claim or a page in flight holds the row lock
        return _holder(conn, lease.account_id, lease.stream, is_locked=True)
    owner, expires_at = found
    if owner is not None and expires_at > now:
        return LeaseHolder(owner, expires_at)
    conn.execute(
        update(t).where(row).values(lease_owner=lease.owner, lease_expires_at=lease.expires_at)
    )
    return owner, expires_at


def _claim_sqlite(conn: Connection, lease: Lease, now: datetime) -> Previous | LeaseHolder:
    """Inside ``BEGIN IMMEDIATE`` (one writer at a time): take the row if free or expired."""
    t, row = schema.sync_state, _row(lease.account_id, lease.stream)
    owner, expires_at = conn.execute(select(t.c.lease_owner, t.c.lease_expires_at).where(row)).one()
    claimed = conn.execute(
        update(t)
        .where(row, t.c.lease_owner.is_(None) | (t.c.lease_expires_at <= now))
        .values(lease_owner=lease.owner, lease_expires_at=lease.expires_at)
    )
    return (owner, expires_at) if claimed.rowcount == 1 else LeaseHolder(owner, expires_at)


def _holder(
    conn: Connection, account_id: AccountId, stream: StreamName, *, is_locked: bool
) -> LeaseHolder:
    t = schema.sync_state
    found = conn.execute(
        select(t.c.lease_owner, t.c.lease_expires_at).where(_row(account_id, stream))
    ).first()
    if found is None or (is_locked and found[0] is None):
        return LeaseHolder(None, None)
    return LeaseHolder(found[0], found[1])


def _abandon_runs(conn: Connection, lease: Lease, *, previous: Previous, now: datetime) -> None:
    """Runs still ``running`` when the lease is free ended without saying so (a dead worker).

    They are closed at the moment their lease expired (the last moment they may have been
    alive), so run history never shows two runs of one stream overlapping.
    """
    r = schema.sync_runs
    previous_owner, previous_expiry = previous
    ended_at = min(previous_expiry, now) if previous_expiry is not None else now
    reason = (
        f"abandoned: {previous_owner} stopped renewing its lease"
        if previous_owner
        else "abandoned: the run ended without recording its outcome"
    )
    conn.execute(
        update(r)
        .where(r.c.account_id == lease.account_id, r.c.stream == lease.stream.value)
        .where(r.c.status == "running")
        .values(status="abandoned", finished_at=ended_at, error=reason)
    )


def extend_lease(conn: Connection, lease: Lease, *, now: datetime) -> None:
    """Inside a transaction: push the expiry out, or raise ``LeaseLost`` (the page fence)."""
    t = schema.sync_state
    renewed = conn.execute(
        update(t)
        .where(_row(lease.account_id, lease.stream), t.c.lease_owner == lease.owner)
        .values(lease_expires_at=now + timedelta(seconds=lease.ttl_s))
    )
    if renewed.rowcount != 1:
        holder = _holder(conn, lease.account_id, lease.stream, is_locked=False)
        raise LeaseLost(
            f"account {lease.account_id}, stream {lease.stream.value}: the lease of "
            f"{lease.owner} was taken over by {holder.describe()}"
        )


def renew_lease(store: Store, lease: Lease, *, now: datetime) -> None:
    """The heartbeat: ``extend_lease`` in its own transaction."""
    with store.begin() as conn:
        extend_lease(conn, lease, now=now)


def release_lease(store: Store, lease: Lease) -> bool:
    """Give the lease back (only if still ours); True when it was released."""
    t = schema.sync_state
    with store.begin() as conn:
        released = conn.execute(
            update(t)
            .where(_row(lease.account_id, lease.stream), t.c.lease_owner == lease.owner)
            .values(lease_owner=None, lease_expires_at=None)
        )
    return released.rowcount == 1


def release_worker_leases(store: Store, worker_id: str) -> int:
    """Release every lease whose owner is one of ``worker_id``'s runs (worker shutdown)."""
    t = schema.sync_state
    with store.begin() as conn:
        released = conn.execute(
            update(t)
            .where(t.c.lease_owner.startswith(f"{worker_id}/", autoescape=True))
            .values(lease_owner=None, lease_expires_at=None)
        )
    return released.rowcount


LOCK_POLL_S = 0.1
_LOCAL_LOCKS: dict[tuple[str, str], threading.Lock] = {}
_LOCAL_LOCKS_GUARD = threading.Lock()


@contextmanager
def exclusive(store: Store, name: str, *, stop: threading.Event | None = None) -> Iterator[None]:
    """A database-wide mutex named ``name`` for work that must not run twice at once.

    PostgreSQL: a session advisory lock on a dedicated connection (freed by the server if the
    process dies). SQLite: a lock in this process; SQLite's write lock already serializes
    transactions between processes. With ``stop``, waiting ends with ``Interrupted`` once it
    is set (a stopping worker does not queue for work it would not finish).
    """
    if store.dialect != "postgresql":
        key = (str(store.engine.url), name)
        with _LOCAL_LOCKS_GUARD:
            lock = _LOCAL_LOCKS.setdefault(key, threading.Lock())
        while not lock.acquire(timeout=LOCK_POLL_S):
            _check(stop, name)
        try:
            yield
        finally:
            lock.release()
        return
    lock_id = advisory_key(name)
    with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        if stop is None:
            conn.execute(select(func.pg_advisory_lock(lock_id)))
        else:
            while not conn.execute(select(func.pg_try_advisory_lock(lock_id))).scalar():
                if stop.wait(LOCK_POLL_S):
                    _check(stop, name)
        try:
            yield
        finally:
            conn.execute(select(func.pg_advisory_unlock(lock_id)))


def _check(stop: threading.Event | None, name: str) -> None:
    if stop is not None and stop.is_set():
        raise Interrupted(f"stopped while waiting for {name}")


def advisory_key(name: str) -> int:
    """A stable signed 64-bit key for ``pg_advisory_lock``."""
    digest = hashlib.blake2b(f"custsync:{name}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)
