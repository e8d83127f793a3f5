"""Reads a report stream window by window, each window's reports as persisted jobs.

A stream declares its reports (``ReportSpec``s), its ``WindowPolicy`` and a pure mapper from a
document's text to records; the reader owns the loop: retry the jobs set aside by earlier runs
once they are due, plan the next window, drive each report job through the status table of
``report_jobs``, store the document's records in pages and move the position to the window's
end once all its reports are in or set aside. A report that stays FATAL through
``ATTEMPTS_PER_RUN`` attempts is set aside (``retry_later``) instead of stopping the stream,
so the rest of a backfill completes in the same run; the run still ends with ``ReportFailed``
naming the job, and the job stays in the cursor until its data are stored: nothing is lost.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from enum import Enum

import structlog

from custsync.connectors.amazon.report_jobs import (
    ATTEMPTS_PER_RUN,
    JobStatus,
    ReportCursor,
    ReportFailed,
    ReportJob,
    ReportSpec,
    WindowPolicy,
    WindowState,
    next_window,
)
from custsync.connectors.amazon.reports_api import ReportsApi
from custsync.connectors.base import Cursor, Page
from custsync.errors import CustsyncError
from custsync.records import Record, Reject

Mapper = Callable[[ReportSpec, str], tuple[list[Record], list[Reject]]]

RECORDS_PER_PAGE = 500
FIRST_POLL_S = 15.0
MAX_POLL_S = 120.0
POLL_BUDGET_S = 30 * 60.0  # per run: a report still pending then is resumed by the next run
FAILURE_CHARS = 200

_log: structlog.typing.FilteringBoundLogger = structlog.get_logger()


@dataclass(frozen=True, slots=True)
class WindowPage:
    """A page and the report job it came from (``is_retry``: a job set aside earlier)."""

    window: WindowState
    page: Page
    is_retry: bool = False


class _Outcome(Enum):
    STORED = "stored"  # the step's data are stored (or there were none)
    SET_ASIDE = "set aside"  # kept in ``retry_later`` for a later run
    PENDING = "pending"  # still being made past the poll budget


class ReportReader:
    """Drives report jobs for one stream of one account (see ``report_jobs`` for the table)."""

    def __init__(
        self,
        api: ReportsApi,
        *,
        specs: Sequence[ReportSpec],
        mapper: Mapper,
        policy: WindowPolicy,
        time_scale: float = 1.0,
    ) -> None:
        self._api = api
        self._specs = tuple(specs)
        self._mapper = mapper
        self.policy = policy
        self._time_scale = time_scale
        self._account_id = api.client.account.id
        self._requests_seen = api.client.stats.requests

    def read_recent(self, cursor: Cursor, *, now: datetime, backfill_days: int) -> Iterator[Page]:
        """``read`` from ``backfill_days`` before ``now`` up to the policy's lag before it."""
        now = now.astimezone(UTC).replace(microsecond=0)
        first_start = now - timedelta(days=backfill_days)
        yield from self.read(
            cursor, now=now, first_start=first_start, ceiling=now - self.policy.lag
        )

    def read(
        self,
        cursor: Cursor,
        *,
        now: datetime,
        first_start: datetime,
        ceiling: datetime,
    ) -> Iterator[Page]:
        """Pages from ``cursor`` (see ``read_windows``)."""
        for item in self.read_windows(cursor, now=now, first_start=first_start, ceiling=ceiling):
            yield item.page

    def read_windows(
        self,
        cursor: Cursor,
        *,
        now: datetime,
        first_start: datetime,
        ceiling: datetime,
        only_retries: bool = False,
    ) -> Iterator[WindowPage]:
        """Pages with their windows: the open window, the due set-aside jobs, then new windows
        until ``ceiling`` (none with ``only_retries``) or a report is pending.

        Raises ``ReportFailed`` at the end while any job is set aside.
        """
        self._requests_seen = self._api.client.stats.requests
        run = ReportCursor.from_cursor(cursor, steps=len(self._specs))
        is_waiting = False
        if run.open is not None:
            is_waiting = not (yield from self._read_window(run.open, run))
        if not is_waiting:
            yield from self._retry_set_aside(run)
        while not (is_waiting or only_retries):
            state = next_window(
                run.position, first_start=first_start, ceiling=ceiling, policy=self.policy
            )
            if state is None:
                break
            is_waiting = not (yield from self._read_window(state, run))
        if run.later:
            raise self._failure(run.later)

    def _retry_set_aside(self, run: ReportCursor) -> Generator[WindowPage, None, None]:
        """Each due set-aside job once (a pending one stays set aside, with its report id)."""
        now = self._api.client.clock.now()
        for state in [s for s in run.later if s.is_due(now)]:
            _log.info("report_retried", report_type=_job(state).spec.report_type)
            yield from self._drive(state, run, is_retry=True)

    def _read_window(
        self, state: WindowState, run: ReportCursor
    ) -> Generator[WindowPage, None, bool]:
        """The window's reports from its current step; ``False`` while one is pending."""
        for step in range(state.step, len(self._specs)):
            job = state.job if step == state.step and state.job else ReportJob(self._specs[step])
            outcome = yield from self._drive(replace(state, step=step, job=job), run)
            if outcome is _Outcome.PENDING:
                return False
        if run.open is not None:  # a step beyond the specs (they changed): the window is done
            run.open, run.position = None, state.end
        return True

    def _drive(
        self, state: WindowState, run: ReportCursor, *, is_retry: bool = False
    ) -> Generator[WindowPage, None, _Outcome]:
        """One job through the status table, until its step is stored, set aside or pending."""
        clock = self._api.client.clock
        drive = _Drive(clock.monotonic() + POLL_BUDGET_S, self._time_scale, is_retry)
        actions: Mapping[JobStatus, Action] = {
            JobStatus.BACKOFF: self._wait_out_backoff,
            JobStatus.NEW: self._create,
            JobStatus.IN_QUEUE: self._poll,
            JobStatus.IN_PROGRESS: self._poll,
            JobStatus.DONE: self._store_document,
            JobStatus.CANCELLED: self._no_data,
            JobStatus.FATAL: self._fail,
        }
        job = _job(state)
        while True:
            state = replace(state, job=job)
            outcome = yield from actions[job.status](state, run, drive)
            if isinstance(outcome, _Outcome):
                return outcome
            job = outcome

    def _wait_out_backoff(
        self, state: WindowState, run: ReportCursor, drive: _Drive
    ) -> Generator[WindowPage, None, ReportJob | _Outcome]:
        if state.is_due(self._api.client.clock.now()):
            return _job(state).restarted()
        # a job left in BACKOFF in the open window (by an earlier version): set it aside
        yield self._page(state, drive, [], [], run.set_aside(state, is_retry=drive.is_retry))
        return _Outcome.SET_ASIDE

    def _create(
        self, state: WindowState, run: ReportCursor, drive: _Drive
    ) -> Generator[WindowPage, None, ReportJob | _Outcome]:
        job = _job(state)
        report_id = self._api.create_report(
            job.spec.report_type, job.spec.marketplace_ids, state.start, state.end
        )
        job = job.moved(status=JobStatus.IN_QUEUE, report_id=report_id)
        saved = replace(state, job=job)
        yield self._page(saved, drive, [], [], run.save(saved, is_retry=drive.is_retry))
        return job

    def _poll(
        self, state: WindowState, run: ReportCursor, drive: _Drive
    ) -> Generator[WindowPage, None, ReportJob | _Outcome]:
        job = _job(state)
        clock = self._api.client.clock
        report = self._api.get_report(job.report_id or "")
        status = _known_status(report.processing_status)
        if status.is_pending:
            if drive.is_spent(clock.monotonic()):
                _log.info("report_still_pending", report_type=job.spec.report_type)
                return _Outcome.PENDING
            clock.sleep(drive.next_wait_s())
        return job.moved(status=status, document_id=report.report_document_id)
        yield

    def _no_data(
        self, state: WindowState, run: ReportCursor, drive: _Drive
    ) -> Generator[WindowPage, None, ReportJob | _Outcome]:
        _log.info("report_cancelled_no_data", report_type=_job(state).spec.report_type)
        yield self._page(state, drive, [], [], run.finish(state, is_retry=drive.is_retry))
        return _Outcome.STORED

    def _fail(
        self, state: WindowState, run: ReportCursor, drive: _Drive
    ) -> Generator[WindowPage, None, ReportJob | _Outcome]:
        job = _job(state)
        drive.fatal += 1
        if drive.fatal < ATTEMPTS_PER_RUN:
            _log.info(
                "report_fatal_requested_again",
                report_type=job.spec.report_type,
                attempt=drive.fatal,
            )
            return job.again()
        now = self._api.client.clock.now()
        failed = job.failed(self._failure_reason(job), now, self._time_scale)
        state = replace(state, job=failed)
        _log.warning(
            "report_set_aside",
            report_type=job.spec.report_type,
            attempts=failed.attempts,
            retry_at=str(failed.retry_at),
        )
        yield self._page(state, drive, [], [], run.set_aside(state, is_retry=drive.is_retry))
        return _Outcome.SET_ASIDE

    def _store_document(
        self, state: WindowState, run: ReportCursor, drive: _Drive
    ) -> Generator[WindowPage, None, ReportJob | _Outcome]:
        job = _job(state)
        raw = self._api.fetch_document(job.document_id or "")
        records, rejects = self._mapper(job.spec, decode(raw))
        done = job.records_done
        if done == 0 and not records:
            yield self._page(state, drive, [], rejects, run.finish(state, is_retry=drive.is_retry))
            return _Outcome.STORED
        while done < len(records):
            chunk = records[done : done + RECORDS_PER_PAGE]
            chunk_rejects = rejects if done == job.records_done and job.records_done == 0 else []
            done += len(chunk)
            if done >= len(records):
                checkpoint = run.finish(state, is_retry=drive.is_retry)
            else:
                moved = replace(state, job=job.moved(records_done=done))
                checkpoint = run.save(moved, is_retry=drive.is_retry)
            yield self._page(state, drive, chunk, chunk_rejects, checkpoint)
        return _Outcome.STORED

    def _failure_reason(self, job: ReportJob) -> str:
        """The failure document's message (cut short), or that there was none."""
        if job.document_id is None:
            return "Amazon gave no failure document"
        try:
            text = decode(self._api.fetch_document(job.document_id))
        except CustsyncError as exc:  # the reason is best effort; the failure stands anyway
            return f"the failure document could not be read ({type(exc).__name__})"
        return failure_text(text)

    def _failure(self, later: Sequence[WindowState]) -> ReportFailed:
        """The first set-aside job that failed (else the first), and how many there are."""
        failed = [s for s in later if s.job is not None and s.job.status is JobStatus.BACKOFF]
        state = (failed or list(later))[0]
        job = _job(state)
        retry_at = job.retry_at.strftime("%Y-%m-%dT%H:%M:%SZ") if job.retry_at else "later"
        more = f"; {len(later)} report jobs set aside in all" if len(later) > 1 else ""
        return ReportFailed(
            f"account {self._account_id}: report {job.spec.report_type} "
            f"({job.report_id or 'no id'}) for {state.start:%Y-%m-%d}..{state.end:%Y-%m-%d} "
            f"failed (FATAL: {job.failure or 'no reason recorded'}) after {job.attempts} "
            f"attempt(s); set aside, retried after {retry_at}{more}"
        )

    def _page(
        self,
        state: WindowState,
        drive: _Drive,
        records: list[Record],
        rejects: list[Reject],
        checkpoint: Cursor,
    ) -> WindowPage:
        total = self._api.client.stats.requests
        requests, self._requests_seen = total - self._requests_seen, total
        page = Page(records, rejects, checkpoint, requests=requests)
        return WindowPage(state, page, drive.is_retry)


@dataclass
class _Drive:
    """A job's time within one run: growing poll waits within ``POLL_BUDGET_S``, FATAL
    reports seen, and whether it is a set-aside job being retried.

    The budget is spent when the waits add up to it at the published pace (a sandbox that runs
    quotas ``time_scale`` times faster waits as many times, each that much shorter) or when
    that much real (monotonic) time has passed, whichever comes first."""

    deadline: float
    time_scale: float
    is_retry: bool
    fatal: int = 0
    _wait_s: float = field(default=FIRST_POLL_S)
    _waited_s: float = 0.0

    def is_spent(self, monotonic_now: float) -> bool:
        return self._waited_s >= POLL_BUDGET_S or monotonic_now >= self.deadline

    def next_wait_s(self) -> float:
        self._waited_s += self._wait_s
        wait_s = self._wait_s / self.time_scale
        self._wait_s = min(self._wait_s * 1.5, MAX_POLL_S)
        return wait_s


Action = Callable[
    [WindowState, ReportCursor, _Drive], Generator[WindowPage, None, "ReportJob | _Outcome"]
]


def _job(state: WindowState) -> ReportJob:
    if state.job is None:
        raise RuntimeError("a report step without its job")
    return state.job


def _known_status(value: str) -> JobStatus:
    try:
        status = JobStatus(value)
    except ValueError:
        return JobStatus.IN_PROGRESS  # an unknown interim status: keep polling
    return JobStatus.IN_PROGRESS if status in (JobStatus.NEW, JobStatus.BACKOFF) else status


def decode(raw: bytes) -> str:
    """Flat files are UTF-8 in most marketplaces, Cp1252 in some older ones."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def failure_text(text: str) -> str:
    """``errorDetails`` of a JSON failure document, else its first words; never the whole body."""
    message = text
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        details = body.get("errorDetails") or body.get("message") or body.get("error")
        message = details if isinstance(details, str) else ""
    cleaned = " ".join(message.split())
    if not cleaned:
        return "the failure document is empty"
    return cleaned[:FAILURE_CHARS]
