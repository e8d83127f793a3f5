"""What operators look at: per-stream freshness, errors and leases, and the run history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from custsync.records import AccountId, StreamName
from custsync.store import schema
from custsync.store.db import Store

Usage = tuple[int, int, float]  # runs, requests, API time (s)


@dataclass(frozen=True, slots=True)
class StreamStatus:
    account_id: str
    kind: str
    stream: str
    last_success_at: datetime | None
    last_error: str | None
    last_error_at: datetime | None
    lease_owner: str | None
    lease_expires_at: datetime | None
    last_run_status: str | None
    last_run_started_at: datetime | None
    last_run_requests: int
    last_run_api_time_s: float
    runs_today: int
    requests_today: int
    api_time_today_s: float
    orders_stored: int


def stream_statuses(store: Store, *, day_start: datetime) -> list[StreamStatus]:
    """Per account and stream: freshness, last error, lease, newest run, usage since
    ``day_start`` (runs started from then on)."""
    s, a, o = schema.sync_state, schema.accounts, schema.orders
    with store.engine.connect() as conn:
        order_counts: dict[str, int] = dict(
            conn.execute(select(o.c.account_id, func.count()).group_by(o.c.account_id)).all()
        )
        usage = _usage_since(conn, day_start)
        states = conn.execute(
            select(s, a.c.kind)
            .join(a, a.c.account_id == s.c.account_id)
            .order_by(s.c.account_id, s.c.stream)
        ).mappings()
        result = []
        for st in states.all():
            key = (st["account_id"], st["stream"])
            status, started_at, requests, api_time_s = _last_run(conn, key)
            runs, requests_today, api_today_s = usage.get(key, (0, 0, 0.0))
            result.append(
                StreamStatus(
                    account_id=st["account_id"],
                    kind=st["kind"],
                    stream=st["stream"],
                    last_success_at=st["last_success_at"],
                    last_error=st["last_error"],
                    last_error_at=st["last_error_at"],
                    lease_owner=st["lease_owner"],
                    lease_expires_at=st["lease_expires_at"],
                    last_run_status=status,
                    last_run_started_at=started_at,
                    last_run_requests=requests,
                    last_run_api_time_s=api_time_s,
                    runs_today=runs,
                    requests_today=requests_today,
                    api_time_today_s=api_today_s,
                    orders_stored=int(order_counts.get(st["account_id"], 0)),
                )
            )
    return result


def _usage_since(conn: Connection, day_start: datetime) -> dict[tuple[str, str], Usage]:
    """(runs, requests, API time) per (account, stream) of the runs started since then."""
    r = schema.sync_runs
    rows = conn.execute(
        select(
            r.c.account_id,
            r.c.stream,
            func.count(),
            func.sum(r.c.requests),
            func.sum(r.c.api_quota_time_s),
        )
        .where(r.c.started_at >= day_start)
        .group_by(r.c.account_id, r.c.stream)
    )
    return {(a, s): (int(n), int(req or 0), float(t or 0.0)) for a, s, n, req, t in rows}


def _last_run(
    conn: Connection, key: tuple[str, str]
) -> tuple[str | None, datetime | None, int, float]:
    r = schema.sync_runs
    last = conn.execute(
        select(r.c.status, r.c.started_at, r.c.requests, r.c.api_quota_time_s)
        .where(r.c.account_id == key[0], r.c.stream == key[1])
        .order_by(r.c.started_at.desc())
        .limit(1)
    ).first()
    return (last[0], last[1], last[2], last[3]) if last else (None, None, 0, 0.0)


def last_successes(store: Store) -> dict[tuple[AccountId, StreamName], datetime]:
    """When each (account, stream) last synced successfully (the scheduler's starting point)."""
    s = schema.sync_state
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(s.c.account_id, s.c.stream, s.c.last_success_at).where(
                s.c.last_success_at.is_not(None)
            )
        ).all()
    return {
        (AccountId(account), StreamName(stream)): at
        for account, stream, at in rows
        if stream in StreamName.__members__.values()
    }


@dataclass(frozen=True, slots=True)
class RunRecord:
    run_id: str
    account_id: str
    stream: str
    worker: str | None
    started_at: datetime
    finished_at: datetime | None
    status: str
    pages: int
    fetched: int
    inserted: int
    updated: int
    rejected: int
    requests: int
    rate_limited: int
    retries: int
    api_quota_time_s: float
    error: str | None


def recent_runs(
    store: Store,
    *,
    account_id: str | None = None,
    stream: str | None = None,
    limit: int = 20,
) -> list[RunRecord]:
    """The newest runs first, optionally of one account and/or stream."""
    r = schema.sync_runs
    query = select(*(r.c[name] for name in RunRecord.__slots__))
    if account_id is not None:
        query = query.where(r.c.account_id == account_id)
    if stream is not None:
        query = query.where(r.c.stream == stream)
    query = query.order_by(r.c.started_at.desc(), r.c.run_id).limit(limit)
    with store.engine.connect() as conn:
        return [RunRecord(*row) for row in conn.execute(query)]
