"""``custsync worker``: an APScheduler 3 ``BlockingScheduler`` running every stream's schedule.

One job per (account, stream) (``custsync.schedules``), with jitter, coalesced missed runs,
``max_instances=1`` and at most ``worker_max_syncs`` syncs at once (the thread pool). Jobs live
in APScheduler's memory store only: several workers each run the same schedule on their own,
and the database leases (``store.leases``) make sure one (account, stream) is synced by one of
them at a time. A job whose stream synced successfully less than half an interval ago (by any
worker) skips, so more workers do not mean more API calls.

Stopping (SIGTERM/SIGINT or ``Worker.stop``): no new job starts; running syncs end after the
page in flight (or at once if waiting for quota), their runs are recorded as ``interrupted``
and their leases released; the worker returns 0.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from types import FrameType

import structlog
from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    EVENT_SCHEDULER_STARTED,
    JobEvent,
    SchedulerEvent,
)
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers import SchedulerNotRunningError
from apscheduler.schedulers.blocking import BlockingScheduler

from custsync import app
from custsync.connectors.base import Connector, Stream
from custsync.connectors.factory import build_connector
from custsync.connectors.http import Clock
from custsync.connectors.stats import RequestStats
from custsync.errors import CustsyncError
from custsync.records import StreamName
from custsync.schedules import JobPlan, plan_jobs
from custsync.settings import AccountConfig, Settings
from custsync.store.db import Store
from custsync.store.health import last_successes
from custsync.store.leases import release_worker_leases
from custsync.sync import WORKER_ID, ConnectorFactory

log = structlog.get_logger()
FRESH_SHARE = 0.5  # a success younger than half an interval makes a job skip


class Worker:
    """``Worker(settings, store, accounts).run()`` blocks until stopped, then returns 0."""

    def __init__(
        self,
        settings: Settings,
        store: Store,
        accounts: list[AccountConfig],
        *,
        factory: ConnectorFactory = build_connector,
    ) -> None:
        self._settings, self._store, self._factory = settings, store, factory
        self._plans = plan_jobs(settings, accounts, factory)
        self._stop = threading.Event()
        self._signal: str | None = None
        self._connectors: dict[str, Connector] = {}
        self._active = 0
        self._idle = threading.Condition()
        self.has_stragglers = False

    @property
    def plans(self) -> list[JobPlan]:
        return list(self._plans)

    def stop(self) -> None:
        """Ask the worker to stop (thread-safe; also what SIGTERM and SIGINT do)."""
        self._stop.set()

    def run(self, *, handle_signals: bool = True) -> int:
        scheduler = self._build_scheduler()
        if handle_signals:
            for signum in (signal.SIGTERM, signal.SIGINT):
                signal.signal(signum, self._on_signal)
        log.info(
            "worker_started",
            worker=WORKER_ID,
            jobs=len(self._plans),
            max_syncs=self._settings.worker_max_syncs,
        )
        if not self._stop.is_set():
            scheduler.start()  # blocks until the stop watcher shuts it down
        self._drain()
        for connector in self._connectors.values():
            connector.close()
        released = release_worker_leases(self._store, WORKER_ID)
        log.info("worker_stopped", worker=WORKER_ID, leases_released=released)
        return 0

    def _build_scheduler(self) -> BlockingScheduler:
        scheduler = BlockingScheduler(
            executors={"default": ThreadPoolExecutor(self._settings.worker_max_syncs)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        scheduler.add_listener(self._on_job_event, EVENT_JOB_MAX_INSTANCES | EVENT_JOB_MISSED)
        scheduler.add_listener(self._on_job_event, EVENT_JOB_ERROR)
        scheduler.add_listener(lambda _event: self._watch_stop(scheduler), EVENT_SCHEDULER_STARTED)
        last = last_successes(self._store)
        now = datetime.now(UTC)
        for plan in self._plans:
            scheduler.add_job(
                self._run_job,
                trigger=plan.schedule.trigger(jitter_s=self._settings.schedule_jitter_s),
                args=[plan],
                id=plan.job_id,
                name=plan.job_id,
                next_run_time=plan.schedule.next_run(
                    last.get((plan.account.account_id, plan.stream)), now
                ),
            )
        _forward_scheduler_logs()
        return scheduler

    def _watch_stop(self, scheduler: BlockingScheduler) -> None:
        """Shut the scheduler down from a thread of its own once stop is asked for."""

        def watch() -> None:
            self._stop.wait()
            log.info("worker_stopping", signal=self._signal, running_syncs=self._active)
            with suppress(SchedulerNotRunningError):
                scheduler.shutdown(wait=False)

        threading.Thread(target=watch, name="stop-watcher", daemon=True).start()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        # no logging here: the interrupted main thread may hold the log's lock
        self._signal = signal.Signals(signum).name
        self._stop.set()

    def _run_job(self, plan: JobPlan) -> None:
        if self._stop.is_set():
            return
        with self._busy():
            where = {"account": plan.account.id, "stream": plan.stream.value}
            try:
                self._sync(plan)
            except CustsyncError as exc:  # e.g. a customer rebuild missing an exchange rate
                log.error("job_failed", error=str(exc), **where)
            except Exception:  # the job boundary: log it, keep the worker alive
                log.exception("job_failed", **where)

    def _sync(self, plan: JobPlan) -> None:
        control = app.run_control(
            self._settings,
            stop=self._stop,
            fresh_for_s=plan.schedule.interval_s * FRESH_SHARE,
        )
        summary = app.sync_accounts(
            self._store,
            self._settings,
            [plan.account],
            streams=[plan.stream],
            control=control,
            factory=lambda account, clock: self._connector(plan, account, clock),
        )
        if (
            self._settings.reports_after_sync
            and summary.changed_rows > 0
            and not summary.failures
            and not self._stop.is_set()
        ):
            written = app.write_reports(self._store, self._settings.report_dir)
            log.info("reports_written", out_dir=str(self._settings.report_dir), files=len(written))

    def _connector(self, plan: JobPlan, account: AccountConfig, clock: Clock) -> Connector:
        """The job's connector, kept between its runs: its quota buckets (what the API has
        left) and access token carry over. One job runs at a time, so one thread uses it."""
        if plan.job_id not in self._connectors:
            self._connectors[plan.job_id] = self._factory(account, clock)
        return _KeptOpen(self._connectors[plan.job_id])

    @contextmanager
    def _busy(self) -> Iterator[None]:
        with self._idle:
            self._active += 1
        try:
            yield
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def _drain(self) -> None:
        """Wait for running syncs to end (bounded by ``shutdown_timeout_s``)."""
        with self._idle:
            is_idle = self._idle.wait_for(
                lambda: self._active == 0, timeout=self._settings.shutdown_timeout_s
            )
        if not is_idle:
            self.has_stragglers = True
            log.warning("worker_stop_timeout", running_syncs=self._active)

    def _on_job_event(self, event: SchedulerEvent) -> None:
        job_id = event.job_id if isinstance(event, JobEvent) else None
        if event.code == EVENT_JOB_MAX_INSTANCES:
            log.info("job_skipped_still_running", job=job_id)
        elif event.code == EVENT_JOB_MISSED:
            log.warning("job_missed", job=job_id)
        else:
            log.error("job_crashed", job=job_id)


class _KeptOpen:
    """A connector whose ``close`` is left to the worker (at shutdown)."""

    def __init__(self, inner: Connector) -> None:
        self._inner = inner

    @property
    def streams(self) -> Mapping[StreamName, Stream]:
        return self._inner.streams

    @property
    def stats(self) -> RequestStats:
        return self._inner.stats

    def close(self) -> None:
        pass


class _ToStructlog(logging.Handler):
    """APScheduler logs through the standard library; its errors join the worker's log."""

    def emit(self, record: logging.LogRecord) -> None:
        log.error("scheduler_error", logger=record.name, message=record.getMessage())


def _forward_scheduler_logs() -> None:
    logger = logging.getLogger("apscheduler")
    logger.handlers = [_ToStructlog(level=logging.ERROR)]
    logger.setLevel(logging.ERROR)
    logger.propagate = False
