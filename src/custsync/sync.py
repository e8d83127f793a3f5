"""The sync engine: read a stream page by page into the store, then refresh its customers."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

import structlog

from custsync.connectors.base import Connector, Stream
from custsync.connectors.http import Clock, SystemClock
from custsync.connectors.stats import OperationStats, RequestStats
from custsync.errors import CustsyncError
from custsync.records import AccountId, StreamName
from custsync.settings import AccountConfig
from custsync.store.db import Store
from custsync.store.ingest import PageCounts, write_page
from custsync.store.state import (
    RunTotals,
    finish_run,
    load_cursor,
    record_outcome,
    register_account,
    start_run,
)

log = structlog.get_logger()
ProgressFn = Callable[[AccountId, StreamName, PageCounts], None]
WORKER_ID = f"{socket.gethostname()}:{uuid.uuid4().hex[:8]}"


@dataclass(slots=True)
class StreamResult:
    account_id: AccountId
    stream: StreamName
    run_id: str
    counts: PageCounts = field(default_factory=PageCounts)
    pages: int = 0
    error: str | None = None

    @property
    def is_ok(self) -> bool:
        return self.error is None


def sync_stream(
    store: Store,
    account_id: AccountId,
    stream: Stream,
    stats: RequestStats,
    *,
    clock: Clock,
    progress: ProgressFn | None = None,
) -> StreamResult:
    """One run of one (account, stream): every page in its own transaction with its cursor."""
    result = StreamResult(account_id, stream.name, uuid.uuid4().hex)
    before = stats.snapshot()
    structlog.contextvars.bind_contextvars(
        run_id=result.run_id, account=account_id, stream=stream.name.value
    )
    start_run(store, result.run_id, account_id, stream.name, worker=WORKER_ID, now=clock.now())
    try:
        cursor = load_cursor(store, account_id, stream.name)
        for page in stream.read(cursor, now=clock.now()):
            counts = write_page(
                store, account_id, stream.name, page, run_id=result.run_id, now=clock.now()
            )
            result.counts.add(counts)
            result.pages += 1
            log.info(
                "page_ingested",
                fetched=counts.fetched,
                inserted=counts.inserted,
                updated=counts.updated,
                rejected=counts.rejected,
            )
            if progress is not None:
                progress(account_id, stream.name, result.counts)
    except CustsyncError as exc:
        result.error = str(exc)
    except Exception as exc:  # the run boundary: record it, never crash the worker
        log.exception("sync_failed_unexpectedly")
        result.error = f"unexpected {type(exc).__name__}: {exc}"
    finally:
        _close_run(store, result, _run_ops(before, stats), clock.now())
        structlog.contextvars.unbind_contextvars("run_id", "account", "stream")
    return result


def _run_ops(before: Mapping[str, OperationStats], stats: RequestStats) -> list[OperationStats]:
    """This run's figures per operation (the connector's counters are cumulative)."""
    ops = []
    for name, now_op in stats.snapshot().items():
        old = before.get(name)
        if old is None:
            ops.append(now_op)
            continue
        ops.append(
            replace(
                now_op,
                requests=now_op.requests - old.requests,
                rate_limited=now_op.rate_limited - old.rate_limited,
                retries=now_op.retries - old.retries,
                errors=now_op.errors - old.errors,
            )
        )
    return ops


def _close_run(
    store: Store, result: StreamResult, ops: Sequence[OperationStats], now: datetime
) -> None:
    totals = RunTotals(
        pages=result.pages,
        fetched=result.counts.fetched,
        inserted=result.counts.inserted,
        updated=result.counts.updated,
        unchanged=result.counts.unchanged,
        rejected=result.counts.rejected,
        unlinked_orders=result.counts.unlinked_orders,
        requests=sum(op.requests for op in ops),
        rate_limited=sum(op.rate_limited for op in ops),
        retries=sum(op.retries for op in ops),
        api_quota_time_s=max((op.api_time_s for op in ops), default=0.0),
    )
    finish_run(store, result.run_id, totals, now=now, error=result.error)
    record_outcome(store, result.account_id, result.stream, now=now, error=result.error)
    if result.error is None:
        log.info(
            "sync_succeeded",
            pages=result.pages,
            inserted=totals.inserted,
            updated=totals.updated,
            rejected=totals.rejected,
            requests=totals.requests,
            unlinked_orders=totals.unlinked_orders,
        )
    else:
        log.warning("sync_failed", error=result.error, pages=result.pages)


ConnectorFactory = Callable[[AccountConfig, Clock], Connector]


def sync_account(
    store: Store,
    account: AccountConfig,
    factory: ConnectorFactory,
    *,
    streams: Sequence[StreamName] | None = None,
    clock: Clock | None = None,
    progress: ProgressFn | None = None,
) -> list[StreamResult]:
    """Sync the chosen streams of one account; a failing stream does not stop the others."""
    clock = clock or SystemClock()
    register_account(store, account.account_id, account.kind.value, account.name, now=clock.now())
    try:
        connector = factory(account, clock)
    except CustsyncError as exc:
        return [
            _failed(store, account.account_id, s, str(exc), clock)
            for s in streams or (StreamName.ORDERS,)
        ]
    try:
        chosen = [s for s in connector.streams if streams is None or s in streams]
        return [
            sync_stream(
                store,
                account.account_id,
                connector.streams[name],
                connector.stats,
                clock=clock,
                progress=progress,
            )
            for name in chosen
        ]
    finally:
        connector.close()


def _failed(
    store: Store, account_id: AccountId, stream: StreamName, error: str, clock: Clock
) -> StreamResult:
    result = StreamResult(account_id, stream, uuid.uuid4().hex, error=error)
    start_run(store, result.run_id, account_id, stream, worker=WORKER_ID, now=clock.now())
    _close_run(store, result, [], clock.now())
    return result
