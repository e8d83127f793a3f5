"""A report job as a persisted state machine, and the windows report streams walk through.

Everything a run needs to resume lives in ``Cursor.extra`` (strings): the open window
(``window_start``, ``step``) with its job — the report type and marketplaces, the report id
once created, its status, the document id, how many records of the document are already
stored, and after a failure the attempt count, reason and retry time — and under
``retry_later`` the report jobs set aside for later runs (a JSON list of the same keys, plus
``window_end``).

Status → action (``ReportReader._drive``)::

    NEW          createReport; save the report id (a checkpoint) before anything else
    IN_QUEUE,    getReport, waiting through the clock between polls; past the run's poll budget
    IN_PROGRESS  the run ends and the next one resumes polling the same report id (a set-aside
                 job being retried stays in ``retry_later``, and the run goes on)
    DONE         getReportDocument + download (gzip handled, expired URL asked for again),
                 map the rows, store them in pages (resumable by records done)
    CANCELLED    no data in the window: the step is done
    FATAL        createReport again, up to ``ATTEMPTS_PER_RUN`` reports per job and run; then
                 read the failure document when there is one and set the job aside: it joins
                 ``retry_later`` with the reason, the attempts and a retry time (backoff: 15
                 min, doubling per run it failed in, at most a day), the step counts as done
                 for now and the reader goes on; the run ends with ``ReportFailed``
    BACKOFF      a set-aside job: skipped, with no request, before its retry time; after it, NEW
                 (each run retries due jobs before reading new windows, and ends with
                 ``ReportFailed`` while any job is left in ``retry_later``)

The position may move past a set-aside window: the window stays in ``retry_later`` until its
data are stored, so nothing is lost; re-reading is harmless (the store dedupes by keys).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from custsync.connectors.base import Cursor
from custsync.errors import TransientError

WINDOW_START_KEY = "window_start"
WINDOW_END_KEY = "window_end"
STEP_KEY = "step"
RETRY_LATER_KEY = "retry_later"
ATTEMPTS_PER_RUN = 3  # FATAL reports of one job within one run before it is set aside
BACKOFF_BASE = timedelta(minutes=15)
BACKOFF_MAX = timedelta(hours=24)


class JobStatus(StrEnum):
    NEW = "NEW"
    IN_QUEUE = "IN_QUEUE"
    IN_PROGRESS = "IN_PROGRESS"
    DONE = "DONE"
    CANCELLED = "CANCELLED"
    FATAL = "FATAL"
    BACKOFF = "BACKOFF"

    @property
    def is_pending(self) -> bool:
        return self in (JobStatus.IN_QUEUE, JobStatus.IN_PROGRESS)


class ReportFailed(TransientError):
    """Amazon could not produce a report (FATAL); the reason and retry time are recorded."""


@dataclass(frozen=True, slots=True)
class ReportSpec:
    """One report a window needs: its type and the marketplaces it covers."""

    report_type: str
    marketplace_ids: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReportJob:
    spec: ReportSpec
    status: JobStatus = JobStatus.NEW
    report_id: str | None = None
    document_id: str | None = None
    records_done: int = 0
    attempts: int = 0
    retry_at: datetime | None = None
    failure: str | None = None

    def moved(self, **changes: object) -> ReportJob:
        return replace(self, **changes)  # type: ignore[arg-type]

    def again(self) -> ReportJob:
        """FATAL → NEW within the run: one more attempt, the last reason kept."""
        return ReportJob(self.spec, attempts=self.attempts + 1, failure=self.failure)

    def restarted(self) -> ReportJob:
        """BACKOFF → NEW once the retry time has passed."""
        return ReportJob(self.spec, attempts=self.attempts, failure=self.failure)

    def failed(self, reason: str, now: datetime, time_scale: float) -> ReportJob:
        """FATAL → BACKOFF: 15 min, doubling per run of ``ATTEMPTS_PER_RUN`` failed attempts,
        at most a day (scaled for sandboxes)."""
        attempts = self.attempts + 1
        runs = (attempts - 1) // ATTEMPTS_PER_RUN
        delay = min(BACKOFF_BASE * 2 ** min(runs, 16), BACKOFF_MAX) / time_scale
        return ReportJob(
            self.spec,
            JobStatus.BACKOFF,
            report_id=self.report_id,
            attempts=attempts,
            retry_at=now + delay,
            failure=reason,
        )

    def to_extra(self) -> dict[str, str]:
        values = {
            "report_type": self.spec.report_type,
            "report_marketplaces": ",".join(self.spec.marketplace_ids),
            "report_id": self.report_id,
            "report_status": self.status.value,
            "document_id": self.document_id,
            "records_done": str(self.records_done) if self.records_done else None,
            "attempts": str(self.attempts) if self.attempts else None,
            "retry_at": self.retry_at.isoformat() if self.retry_at else None,
            "failure": self.failure,
        }
        return {key: value for key, value in values.items() if value is not None}

    @classmethod
    def from_extra(cls, extra: Mapping[str, str]) -> ReportJob | None:
        report_type = extra.get("report_type")
        if not report_type:
            return None
        marketplaces = tuple(m for m in extra.get("report_marketplaces", "").split(",") if m)
        retry_at = extra.get("retry_at")
        return cls(
            ReportSpec(report_type, marketplaces),
            JobStatus(extra.get("report_status", JobStatus.NEW.value)),
            report_id=extra.get("report_id") or None,
            document_id=extra.get("document_id") or None,
            records_done=int(extra.get("records_done", "0")),
            attempts=int(extra.get("attempts", "0")),
            retry_at=datetime.fromisoformat(retry_at) if retry_at else None,
            failure=extra.get("failure") or None,
        )


@dataclass(frozen=True, slots=True)
class WindowPolicy:
    """How a report stream cuts time: window size limit, overlap, minimal new span, lag."""

    max_window: timedelta
    overlap: timedelta
    min_span: timedelta  # a new window is requested only when this much time has passed
    lag: timedelta  # windows end this far before now (report data arrive late)


@dataclass(frozen=True, slots=True)
class WindowState:
    """The window being read, which of its reports (``step``) and that report's job."""

    start: datetime
    end: datetime
    step: int = 0
    job: ReportJob | None = None

    def checkpoint(self, position: datetime | None) -> Cursor:
        extra = {WINDOW_START_KEY: self.start.isoformat(), STEP_KEY: str(self.step)}
        if self.job is not None:
            extra.update(self.job.to_extra())
        return Cursor(position=position, window_end=self.end, extra=extra)

    def is_same_job(self, other: WindowState) -> bool:
        return (self.start, self.end, self.step) == (other.start, other.end, other.step)

    def is_due(self, now: datetime) -> bool:
        """Not waiting out a backoff (a set-aside job may be retried)."""
        job = self.job
        if job is None or job.status is not JobStatus.BACKOFF or job.retry_at is None:
            return True
        return now >= job.retry_at

    def to_entry(self) -> dict[str, str]:
        """This window and job as one ``retry_later`` entry."""
        entry = {
            WINDOW_START_KEY: self.start.isoformat(),
            WINDOW_END_KEY: self.end.isoformat(),
            STEP_KEY: str(self.step),
        }
        if self.job is not None:
            entry.update(self.job.to_extra())
        return entry

    @classmethod
    def from_entry(cls, entry: Mapping[str, str]) -> WindowState:
        return cls(
            datetime.fromisoformat(entry[WINDOW_START_KEY]),
            datetime.fromisoformat(entry[WINDOW_END_KEY]),
            int(entry[STEP_KEY]),
            ReportJob.from_extra(entry),
        )

    @classmethod
    def from_cursor(cls, cursor: Cursor) -> WindowState | None:
        start = cursor.extra.get(WINDOW_START_KEY)
        if cursor.window_end is None or not start or STEP_KEY not in cursor.extra:
            return None
        return cls(
            datetime.fromisoformat(start),
            cursor.window_end,
            int(cursor.extra[STEP_KEY]),
            ReportJob.from_extra(cursor.extra),
        )


def set_aside_in(extra: Mapping[str, str]) -> list[WindowState]:
    """The report jobs set aside for later runs (``retry_later``), oldest first."""
    text = extra.get(RETRY_LATER_KEY)
    if not text:
        return []
    entries = json.loads(text)
    if not isinstance(entries, list):
        raise ValueError(f"{RETRY_LATER_KEY} is not a list")
    return [
        WindowState.from_entry({str(k): str(v) for k, v in entry.items()})
        for entry in entries
        if isinstance(entry, dict)
    ]


def set_aside_extra(states: Sequence[WindowState]) -> dict[str, str]:
    """``retry_later`` for ``Cursor.extra`` (no key when nothing is set aside)."""
    if not states:
        return {}
    entries = [state.to_entry() for state in states]
    return {RETRY_LATER_KEY: json.dumps(entries, separators=(",", ":"), sort_keys=True)}


@dataclass
class ReportCursor:
    """A report stream's whole state while it reads, and the cursor to save: the position,
    the open window and the set-aside jobs (``retry_later``); ``steps``: reports per window."""

    position: datetime | None
    later: list[WindowState]
    steps: int
    open: WindowState | None = None

    @classmethod
    def from_cursor(cls, cursor: Cursor, *, steps: int) -> ReportCursor:
        return cls(
            cursor.position, set_aside_in(cursor.extra), steps, WindowState.from_cursor(cursor)
        )

    def cursor(self) -> Cursor:
        later = set_aside_extra(self.later)
        if self.open is None:
            return Cursor(position=self.position, extra=later)
        return self.open.checkpoint(self.position).with_extra(**later)

    def save(self, state: WindowState, *, is_retry: bool) -> Cursor:
        """The job moved on (a report id, records done)."""
        if is_retry:
            self._put(state)
        else:
            self.open = state
        return self.cursor()

    def finish(self, state: WindowState, *, is_retry: bool) -> Cursor:
        """The step's data are stored: a retried job leaves ``retry_later``; an open window
        goes on with its next step, or is done and the position moves to its end."""
        if is_retry:
            self.later = [s for s in self.later if not s.is_same_job(state)]
        elif state.step + 1 < self.steps:
            self.open = WindowState(state.start, state.end, state.step + 1)
        else:
            self.open, self.position = None, state.end
        return self.cursor()

    def set_aside(self, state: WindowState, *, is_retry: bool) -> Cursor:
        """The job failed for this run: it is kept in ``retry_later``; the window goes on."""
        if not is_retry:
            self.finish(state, is_retry=False)
        self._put(state)
        return self.cursor()

    def _put(self, state: WindowState) -> None:
        for index, kept in enumerate(self.later):
            if kept.is_same_job(state):
                self.later[index] = state
                return
        self.later.append(state)


def next_window(
    position: datetime | None, *, first_start: datetime, ceiling: datetime, policy: WindowPolicy
) -> WindowState | None:
    """The window after ``position`` (or from ``first_start``), if enough time has passed."""
    done_to = position if position is not None else first_start
    if ceiling - done_to < policy.min_span:
        return None
    start = done_to - policy.overlap if position is not None else first_start
    end = min(start + policy.max_window, ceiling)
    return WindowState(start, end) if end > done_to else None
