"""Accounts, stream cursors and run history (``accounts``, ``sync_state``, ``sync_runs``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, insert, select, update

from custsync.connectors.base import Cursor
from custsync.records import AccountId, StreamName
from custsync.store import schema
from custsync.store.db import Store


def register_account(
    store: Store, account_id: AccountId, kind: str, name: str | None, *, now: datetime
) -> None:
    """Make sure the account row exists (name refreshed from the accounts file)."""
    with store.begin() as conn:
        found = conn.execute(
            select(schema.accounts.c.account_id).where(schema.accounts.c.account_id == account_id)
        ).first()
        if found is None:
            conn.execute(
                insert(schema.accounts).values(
                    account_id=account_id, kind=kind, name=name, created_at=now
                )
            )
        else:
            conn.execute(
                update(schema.accounts)
                .where(schema.accounts.c.account_id == account_id)
                .values(kind=kind, name=name)
            )


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
    store: Store, run_id: str, totals: RunTotals, *, now: datetime, error: str | None
) -> None:
    with store.begin() as conn:
        conn.execute(
            update(schema.sync_runs)
            .where(schema.sync_runs.c.run_id == run_id)
            .values(
                finished_at=now,
                status="failed" if error else "succeeded",
                error=error,
                **{name: getattr(totals, name) for name in RunTotals.__slots__},
            )
        )


@dataclass(frozen=True, slots=True)
class StreamStatus:
    account_id: str
    kind: str
    stream: str
    last_success_at: datetime | None
    last_error: str | None
    lease_owner: str | None
    last_run_status: str | None
    last_run_requests: int
    last_run_api_time_s: float
    orders_stored: int


def stream_statuses(store: Store) -> list[StreamStatus]:
    """Per account and stream: freshness, last error and the newest run's figures."""
    s, a, r, o = schema.sync_state, schema.accounts, schema.sync_runs, schema.orders
    with store.engine.connect() as conn:
        order_counts: dict[str, int] = dict(
            conn.execute(select(o.c.account_id, func.count()).group_by(o.c.account_id)).all()
        )
        states = (
            conn.execute(
                select(s, a.c.kind)
                .join(a, a.c.account_id == s.c.account_id)
                .order_by(s.c.account_id, s.c.stream)
            )
            .mappings()
            .all()
        )
        result = []
        for st in states:
            last = conn.execute(
                select(r.c.status, r.c.requests, r.c.api_quota_time_s)
                .where(r.c.account_id == st["account_id"], r.c.stream == st["stream"])
                .order_by(r.c.started_at.desc())
                .limit(1)
            ).first()
            result.append(
                StreamStatus(
                    account_id=st["account_id"],
                    kind=st["kind"],
                    stream=st["stream"],
                    last_success_at=st["last_success_at"],
                    last_error=st["last_error"],
                    lease_owner=st["lease_owner"],
                    last_run_status=last[0] if last else None,
                    last_run_requests=last[1] if last else 0,
                    last_run_api_time_s=last[2] if last else 0.0,
                    orders_stored=int(order_counts.get(st["account_id"], 0)),
                )
            )
    return result
