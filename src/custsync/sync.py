"""The sync engine: read a stream page by page into the store, under the stream's lease.

A run first claims the (account, stream) lease (``store.leases``): if another run holds it, this
one is skipped and says who holds it. While it runs, every page is written in one transaction
that also checks and extends the lease; a heartbeat renews it between pages. A stop request
(``RunControl.stop``) ends the run after the page in flight, or during a quota wait, with
nothing half-written. The lease is released at the end, whatever happened.
"""

from __future__ import annotations

import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

import structlog

from custsync.connectors.base import Connector, Cursor, Stream
from custsync.connectors.http import Clock, SystemClock
from custsync.connectors.redaction import scrub
from custsync.connectors.stats import OperationStats, RequestStats
from custsync.errors import CustsyncError, Interrupted, LeaseLost, first_line
from custsync.heartbeat import LeaseHeartbeat
from custsync.records import AccountId, StreamName
from custsync.settings import AccountConfig
from custsync.store.db import Store
from custsync.store.ingest import PageCounts, write_page
from custsync.store.leases import Lease, LeaseHolder, claim_lease, release_lease
from custsync.store.state import (
    RunTotals,
    finish_run,
    last_success_started_at,
    load_cursor,
    record_outcome,
    register_account,
    reset_cursor,
    start_run,
)

log = structlog.get_logger()
ProgressFn = Callable[[AccountId, StreamName, PageCounts], None]
WORKER_ID = f"{socket.gethostname()[:80]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"
DEFAULT_LEASE_TTL_S = 120.0


@dataclass(frozen=True, slots=True)
class RunControl:
    """How a run shares its stream with other runs and processes."""

    lease_ttl_s: float = DEFAULT_LEASE_TTL_S
    stop: threading.Event | None = None  # set: finish the page in flight, then end the run
    restart_from: Cursor | None = None  # resync: reset the cursor (under the lease) first
    fresh_for_s: float | None = None  # skip if a successful run started less than this ago


@dataclass(slots=True)
class StreamResult:
    account_id: AccountId
    stream: StreamName
    run_id: str
    counts: PageCounts = field(default_factory=PageCounts)
    pages: int = 0
    error: str | None = None
    skipped: str | None = None  # why the run did not happen (lease held elsewhere, fresh)
    is_interrupted: bool = False
    is_lease_lost: bool = False

    @property
    def is_ok(self) -> bool:
        return self.error is None

    @property
    def status(self) -> str:
        if self.skipped is not None:
            return "skipped"
        if self.is_interrupted:
            return "interrupted"
        return "succeeded" if self.error is None else "failed"


class StoppableClock:
    """A clock whose waits (quota, retry backoff) end with ``Interrupted`` once ``stop`` is set."""

    def __init__(self, inner: Clock, stop: threading.Event) -> None:
        self._inner, self._stop = inner, stop

    def now(self) -> datetime:
        return self._inner.now()

    def monotonic(self) -> float:
        return self._inner.monotonic()

    def sleep(self, seconds: float) -> None:
        if isinstance(self._inner, SystemClock):
            is_stopping = self._stop.wait(seconds) if seconds > 0 else self._stop.is_set()
        else:  # an injected test clock: let it pretend, then look at the flag
            self._inner.sleep(seconds)
            is_stopping = self._stop.is_set()
        if is_stopping:
            raise Interrupted("the worker is stopping")


def lease_owner(run_id: str) -> str:
    """``host:pid:worker/run``: who to look for when a lease is held."""
    return f"{WORKER_ID}/{run_id[:12]}"


@dataclass(frozen=True, slots=True)
class _Job:
    """What one run of a stream works with."""

    store: Store
    stream: Stream
    stats: RequestStats
    clock: Clock
    progress: ProgressFn | None
    control: RunControl


def sync_stream(
    store: Store,
    account_id: AccountId,
    stream: Stream,
    stats: RequestStats,
    *,
    clock: Clock,
    progress: ProgressFn | None = None,
    control: RunControl | None = None,
) -> StreamResult:
    """One run of one (account, stream) under its lease; every page in its own transaction."""
    return _sync_job(
        _Job(store, stream, stats, clock, progress, control or RunControl()), account_id
    )


def _sync_job(job: _Job, account_id: AccountId) -> StreamResult:
    result = StreamResult(account_id, job.stream.name, uuid.uuid4().hex)
    structlog.contextvars.bind_contextvars(
        run_id=result.run_id, account=account_id, stream=job.stream.name.value
    )
    try:
        _run_leased(job, result)
    finally:
        structlog.contextvars.unbind_contextvars("run_id", "account", "stream")
    return result


def _run_leased(job: _Job, result: StreamResult) -> None:
    """Claim the lease (or skip), run, and release it whatever happens."""
    claim = claim_lease(
        job.store,
        result.account_id,
        result.stream,
        owner=lease_owner(result.run_id),
        ttl_s=job.control.lease_ttl_s,
        now=job.clock.now(),
    )
    if isinstance(claim, LeaseHolder):
        _skip(result, f"lease held by {claim.describe()}")
        return
    try:
        fresh_since = _fresh_since(job, claim)
        if fresh_since is not None:
            _skip(result, f"fresh: a run started {fresh_since:%H:%M:%SZ} succeeded")
            return
        with LeaseHeartbeat(job.store, claim, job.clock):
            _run(job, claim, result)
    finally:
        release_lease(job.store, claim)


def _skip(result: StreamResult, reason: str) -> StreamResult:
    result.skipped = reason
    log.info("sync_skipped", reason=reason)
    return result


def _fresh_since(job: _Job, lease: Lease) -> datetime | None:
    """The start of a successful run younger than ``fresh_for_s``, if there is one."""
    if job.control.fresh_for_s is None:
        return None
    started_at = last_success_started_at(job.store, lease.account_id, lease.stream)
    age = timedelta(seconds=job.control.fresh_for_s)
    if started_at is None or job.clock.now() - started_at >= age:
        return None
    return started_at


def _run(job: _Job, lease: Lease, result: StreamResult) -> None:
    before = job.stats.snapshot()
    start_run(
        job.store,
        result.run_id,
        lease.account_id,
        lease.stream,
        worker=WORKER_ID,
        now=job.clock.now(),
    )
    try:
        _read_pages(job, lease, result)
    except Interrupted:
        result.is_interrupted = True
    except KeyboardInterrupt:
        result.is_interrupted = True
        raise
    except LeaseLost as exc:
        result.error, result.is_lease_lost = str(exc), True
    except CustsyncError as exc:
        result.error = str(exc)
    except Exception as exc:  # the run boundary: record it, never crash the worker
        log.exception("sync_failed_unexpectedly")
        result.error = f"unexpected {scrub(first_line(exc))}"  # a database's without its DETAIL
    finally:
        _close_run(job.store, result, _run_ops(before, job.stats), job.clock.now())


def _read_pages(job: _Job, lease: Lease, result: StreamResult) -> None:
    store, clock, control = job.store, job.clock, job.control
    account_id, stream = lease.account_id, lease.stream
    if control.restart_from is not None:
        reset_cursor(store, account_id, stream, control.restart_from, now=clock.now())
        log.info("cursor_reset", position=str(control.restart_from.position))
    cursor = load_cursor(store, account_id, stream)
    for page in job.stream.read(cursor, now=clock.now()):
        counts = write_page(
            store, account_id, stream, page, run_id=result.run_id, now=clock.now(), lease=lease
        )
        result.counts.add(counts)
        result.pages += 1
        log.debug(
            "page_ingested",
            fetched=counts.fetched,
            inserted=counts.inserted,
            updated=counts.updated,
            rejected=counts.rejected,
        )
        if job.progress is not None:
            job.progress(account_id, stream, result.counts)
        if control.stop is not None and control.stop.is_set():
            raise Interrupted("the worker is stopping")


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
    status = "interrupted" if result.is_interrupted else None
    finish_run(store, result.run_id, totals, now=now, error=result.error, status=status)
    if not (result.is_interrupted or result.is_lease_lost):  # the stream's state is not ours
        record_outcome(store, result.account_id, result.stream, now=now, error=result.error)
    fields = {"pages": result.pages, "inserted": totals.inserted, "updated": totals.updated}
    if result.is_interrupted:
        log.info("sync_interrupted", **fields)
    elif result.error is None:
        log.info(
            "sync_succeeded",
            **fields,
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
    control: RunControl | None = None,
) -> list[StreamResult]:
    """Sync the chosen streams of one account; a failing stream does not stop the others."""
    clock = clock or SystemClock()
    control = control or RunControl()
    if control.stop is not None:
        clock = StoppableClock(clock, control.stop)
    register_account(store, account.account_id, account.kind.value, account.name, now=clock.now())
    try:
        connector = factory(account, clock)
    except CustsyncError as exc:
        return [
            _failed(store, account.account_id, s, error=str(exc), clock=clock, control=control)
            for s in streams or (StreamName.ORDERS,)
        ]
    try:
        chosen = [s for name, s in connector.streams.items() if streams is None or name in streams]
        results = []
        for stream in chosen:
            if control.stop is not None and control.stop.is_set():
                break
            job = _Job(store, stream, connector.stats, clock, progress, control)
            results.append(_sync_job(job, account.account_id))
        return results
    finally:
        connector.close()


def _failed(
    store: Store,
    account_id: AccountId,
    stream: StreamName,
    *,
    error: str,
    clock: Clock,
    control: RunControl,
) -> StreamResult:
    """Record a run that could not start (no connector), under the lease like any run."""
    result = StreamResult(account_id, stream, uuid.uuid4().hex, error=error)
    owner = lease_owner(result.run_id)
    claim = claim_lease(
        store, account_id, stream, owner=owner, ttl_s=control.lease_ttl_s, now=clock.now()
    )
    if isinstance(claim, LeaseHolder):
        result.error = None
        return _skip(result, f"lease held by {claim.describe()}")
    try:
        start_run(store, result.run_id, account_id, stream, worker=WORKER_ID, now=clock.now())
        _close_run(store, result, [], clock.now())
    finally:
        release_lease(store, claim)
    return result
