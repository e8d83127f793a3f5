"""Accounts, stream cursors and run history (``accounts``, ``sync_state``, ``sync_runs``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from custsync.connectors.base import Cursor
from custsync.records import AccountId, StreamName
from custsync.store import schema
from custsync.store.db import Store


def register_account(
    store: Store, account_id: AccountId, kind: str, name: str | None, *, now: datetime
) -> None:
    """Make sure the account row exists (name refreshed from the accounts file).

    An upsert, so that workers starting together do not collide on the primary key.
    """
    a = schema.accounts
    dialect = postgresql if store.dialect == "postgresql" else sqlite
    stmt = dialect.insert(a).values(account_id=account_id, kind=kind, name=name, created_at=now)
    stmt = stmt.on_conflict_do_update(
        index_elements=[a.c.account_id],
        set_={"kind": stmt.excluded.kind, "name": stmt.excluded.name},
        where=(a.c.kind != stmt.excluded.kind) | a.c.name.is_distinct_from(stmt.excluded.name),
    )
    with store.begin() as conn:
        conn.execute(stmt)


def _ensure_state(
    conn: Connection, account_id: AccountId, stream: StreamName, now: datetime
) -> None:
    table = schema.sync_state
    found = conn.execute(
        select(table.c.account_id).where(
            table.c.account_id == account_id, table.c.stream == stream.value
        )
    ).first()
    if found is None:
        conn.execute(
            insert(table).values(account_id=account_id, stream=stream.value, updated_at=now)
        )


def save_cursor(
    conn: Connection, account_id: AccountId, stream: StreamName, cursor: Cursor, *, now: datetime
) -> None:
    _ensure_state(conn, account_id, stream, now)
    table = schema.sync_state
    conn.execute(
        update(table)
        .where(table.c.account_id == account_id, table.c.stream == stream.value)
        .values(cursor=cursor.to_json(), updated_at=now)
    )


def load_cursor(store: Store, account_id: AccountId, stream: StreamName) -> Cursor:
    table = schema.sync_state
    with store.engine.connect() as conn:
        text = conn.execute(
            select(table.c.cursor).where(
                table.c.account_id == account_id, table.c.stream == stream.value
            )
        ).scalar()
    return Cursor.from_json(text)


def last_success_started_at(
    store: Store, account_id: AccountId, stream: StreamName
) -> datetime | None:
    """When the newest successful run of the stream started (how fresh its data is)."""
    r = schema.sync_runs
    with store.engine.connect() as conn:
        return conn.execute(
            select(func.max(r.c.started_at)).where(
                r.c.account_id == account_id, r.c.stream == stream.value, r.c.status == "succeeded"
            )
        ).scalar()


def reset_cursor(
    store: Store, account_id: AccountId, stream: StreamName, cursor: Cursor, *, now: datetime
) -> None:
    with store.begin() as conn:
        save_cursor(conn, account_id, stream, cursor, now=now)


def record_outcome(
    store: Store,
    account_id: AccountId,
    stream: StreamName,
    *,
    now: datetime,
    error: str | None,
) -> None:
    """Remember the last success, or the last error in one line."""
    table = schema.sync_state
    values: dict[str, object] = {"updated_at": now}
    if error is None:
        values |= {"last_success_at": now, "last_error": None, "last_error_at": None}
    else:
        values |= {"last_error": error, "last_error_at": now}
    with store.begin() as conn:
        _ensure_state(conn, account_id, stream, now)
        conn.execute(
            update(table)
            .where(table.c.account_id == account_id, table.c.stream == stream.value)
            .values(**values)
        )


@dataclass(frozen=True, slots=True)
class RunTotals:
    pages: int
    fetched: int
    inserted: int
    updated: int
    unchanged: int
    rejected: int
    unlinked_orders: int
    requests: int
    rate_limited: int
    retries: int
    api_quota_time_s: float


def start_run(
    store: Store,
    run_id: str,
    account_id: AccountId,
    stream: StreamName,
    *,
    worker: str,
    now: datetime,
) -> None:
    with store.begin() as conn:
        conn.execute(
            insert(schema.sync_runs).values(
                run_id=run_id,
                account_id=account_id,
                stream=stream.value,
                worker=worker,
                started_at=now,
                status="running",
            )
        )


def finish_run(
    store: Store,
    run_id: str,
    totals: RunTotals,
    *,
    now: datetime,
    error: str | None,
    status: str | None = None,
) -> None:
    """Close the run: ``succeeded``, ``failed`` (with ``error``) or the ``status`` given
    (``interrupted``: the worker stopped it between pages)."""
    with store.begin() as conn:
        conn.execute(
            update(schema.sync_runs)
            .where(schema.sync_runs.c.run_id == run_id)
            .values(
                finished_at=now,
                status=status or ("failed" if error else "succeeded"),
                error=error,
                **{name: getattr(totals, name) for name in RunTotals.__slots__},
            )
        )
