"""Reads a report stream window by window, each window's reports as persisted jobs.

A stream declares its reports (``ReportSpec``s), its ``WindowPolicy`` and a pure mapper from a
document's text to records; the reader owns the loop: plan the window, drive each report job
through the status table of ``report_jobs``, store the document's records in pages and move
the position to the window's end once all its reports are in. Nothing moves past a window
whose report failed, so a failure never loses data: the next run retries that window.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from datetime import datetime

import structlog

from custsync.connectors.amazon.report_jobs import (
    JobStatus,
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
SpecsFor = Callable[[WindowState], Sequence[ReportSpec]]

RECORDS_PER_PAGE = 500
FIRST_POLL_S = 15.0
MAX_POLL_S = 120.0
POLL_BUDGET_S = 30 * 60.0  # per run: a report still pending then is resumed by the next run
FAILURE_CHARS = 200

_log: structlog.typing.FilteringBoundLogger = structlog.get_logger()


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

    def read(
        self,
        cursor: Cursor,
        *,
        now: datetime,
        first_start: datetime,
        ceiling: datetime,
    ) -> Iterator[Page]:
        """Pages from ``cursor`` until the windows reach ``ceiling`` or a report is pending."""
        self._requests_seen = self._api.client.stats.requests
        state = WindowState.from_cursor(cursor)
        position = cursor.position
        while True:
            if state is None:
                state = next_window(
                    position, first_start=first_start, ceiling=ceiling, policy=self.policy
                )
                if state is None:
                    return
            is_complete = yield from self._read_window(state, position, now)
            if not is_complete:
                return
            position, state = state.end, None

    def _read_window(
        self, state: WindowState, position: datetime | None, now: datetime
    ) -> Generator[Page, None, bool]:
        for step in range(state.step, len(self._specs)):
            job = state.job if step == state.step and state.job else ReportJob(self._specs[step])
            current = WindowState(state.start, state.end, step, job)
            is_finished = yield from self._drive(current, position, now)
            if not is_finished:
                return False
        return True

    def _after_step(self, state: WindowState, position: datetime | None) -> Cursor:
        if state.step + 1 < len(self._specs):
            following = WindowState(state.start, state.end, state.step + 1)
            return following.checkpoint(position)
        return Cursor(position=state.end)

    def _drive(
        self, state: WindowState, position: datetime | None, now: datetime
    ) -> Generator[Page, None, bool]:
        """One job through the status table; ``True`` once the step's data are stored."""
        clock = self._api.client.clock
        poll = _Polling(clock.monotonic() + POLL_BUDGET_S / self._time_scale, self._time_scale)
        actions: Mapping[JobStatus, Action] = {
            JobStatus.BACKOFF: self._wait_out_backoff,
            JobStatus.NEW: self._create,
            JobStatus.IN_QUEUE: self._poll,
            JobStatus.IN_PROGRESS: self._poll,
            JobStatus.DONE: self._store_document,
            JobStatus.CANCELLED: self._no_data,
            JobStatus.FATAL: self._fail,
        }
        job = state.job or ReportJob(self._specs[state.step])
        while True:
            state = WindowState(state.start, state.end, state.step, job)
            outcome = yield from actions[job.status](state, position, poll)
            if isinstance(outcome, bool):
                return outcome
            job = outcome

    def _wait_out_backoff(
        self, state: WindowState, position: datetime | None, poll: _Polling
    ) -> Generator[Page, None, ReportJob | bool]:
        job = _job(state)
        if job.retry_at is not None and self._api.client.clock.now() < job.retry_at:
            raise self._failure(state)
        return ReportJob(job.spec, attempts=job.attempts)
        yield  # a generator like every action

    def _create(
        self, state: WindowState, position: datetime | None, poll: _Polling
    ) -> Generator[Page, None, ReportJob | bool]:
        job = _job(state)
        report_id = self._api.create_report(
            job.spec.report_type, job.spec.marketplace_ids, state.start, state.end
        )
        job = job.moved(status=JobStatus.IN_QUEUE, report_id=report_id)
        saved = WindowState(state.start, state.end, state.step, job)
        yield self._page([], [], saved.checkpoint(position))  # the id first
        return job

    def _poll(
        self, state: WindowState, position: datetime | None, poll: _Polling
    ) -> Generator[Page, None, ReportJob | bool]:
        job = _job(state)
        clock = self._api.client.clock
        report = self._api.get_report(job.report_id or "")
        status = _known_status(report.processing_status)
        if status.is_pending:
            if clock.monotonic() >= poll.deadline:
                _log.info("report_still_pending", report_type=job.spec.report_type)
                return False
            clock.sleep(poll.next_wait_s())
        return job.moved(status=status, document_id=report.report_document_id)
        yield

    def _no_data(
        self, state: WindowState, position: datetime | None, poll: _Polling
    ) -> Generator[Page, None, ReportJob | bool]:
        _log.info("report_cancelled_no_data", report_type=_job(state).spec.report_type)
        yield self._page([], [], self._after_step(state, position))
        return True

    def _fail(
        self, state: WindowState, position: datetime | None, poll: _Polling
    ) -> Generator[Page, None, ReportJob | bool]:
        job = _job(state)
        now = self._api.client.clock.now()
        failed = job.failed(self._failure_reason(job), now, self._time_scale)
        state = WindowState(state.start, state.end, state.step, failed)
        yield self._page([], [], state.checkpoint(position))
        raise self._failure(state)

    def _store_document(
        self, state: WindowState, position: datetime | None, poll: _Polling
    ) -> Generator[Page, None, ReportJob | bool]:
        job = _job(state)
        raw = self._api.fetch_document(job.document_id or "")
        records, rejects = self._mapper(job.spec, decode(raw))
        done = job.records_done
        if done == 0 and not records:
            yield self._page([], rejects, self._after_step(state, position))
            return True
        while done < len(records):
            chunk = records[done : done + RECORDS_PER_PAGE]
            chunk_rejects = rejects if done == job.records_done and job.records_done == 0 else []
            done += len(chunk)
            if done >= len(records):
                checkpoint = self._after_step(state, position)
            else:
                moved = WindowState(
                    state.start, state.end, state.step, job.moved(records_done=done)
                )
                checkpoint = moved.checkpoint(position)
            yield self._page(chunk, chunk_rejects, checkpoint)
        return True

    def _failure_reason(self, job: ReportJob) -> str:
        """The failure document's message (cut short), or that there was none."""
        if job.document_id is None:
            return "Amazon gave no failure document"
        try:
            text = decode(self._api.fetch_document(job.document_id))
        except CustsyncError as exc:  # the reason is best effort; the failure stands anyway
            return f"the failure document could not be read ({type(exc).__name__})"
        return failure_text(text)

    def _failure(self, state: WindowState) -> ReportFailed:
        job = state.job
        assert job is not None
        retry_at = job.retry_at.strftime("%Y-%m-%dT%H:%M:%SZ") if job.retry_at else "later"
        return ReportFailed(
            f"account {self._account_id}: report {job.spec.report_type} "
            f"({job.report_id or 'no id'}) for {state.start:%Y-%m-%d}..{state.end:%Y-%m-%d} "
            f"failed (FATAL: {job.failure}), attempt {job.attempts}; retried after {retry_at}"
        )

    def _page(self, records: list[Record], rejects: list[Reject], checkpoint: Cursor) -> Page:
        total = self._api.client.stats.requests
        requests, self._requests_seen = total - self._requests_seen, total
        return Page(records, rejects, checkpoint, requests=requests)


class _Polling:
    """A job's polling within one run: growing waits, up to a deadline (monotonic time)."""

    def __init__(self, deadline: float, time_scale: float) -> None:
        self.deadline = deadline
        self._scale = time_scale
        self._wait_s = FIRST_POLL_S

    def next_wait_s(self) -> float:
        wait_s = self._wait_s / self._scale
        self._wait_s = min(self._wait_s * 1.5, MAX_POLL_S)
        return wait_s


Action = Callable[
    [WindowState, "datetime | None", _Polling], Generator[Page, None, "ReportJob | bool"]
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
