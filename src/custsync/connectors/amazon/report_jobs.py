"""A report job as a persisted state machine, and the windows report streams walk through.

Everything a run needs to resume lives in ``Cursor.extra`` (strings): the report type and
marketplaces, the report id once created, its status, the document id, how many records of the
document are already stored, and after a failure the attempt count, reason and retry time.

Status → action (``ReportReader._drive``)::

    NEW          createReport; save the report id (a checkpoint) before anything else
    IN_QUEUE,    getReport, waiting through the clock between polls; past the run's poll budget
    IN_PROGRESS  the run ends and the next one resumes polling the same report id
    DONE         getReportDocument + download (gzip handled, expired URL asked for again),
                 map the rows, store them in pages (resumable by records done)
    CANCELLED    no data in the window: the step is done
    FATAL        read the failure document when there is one, save the reason and a retry
                 time (exponential backoff), fail the run with ``ReportFailed``
    BACKOFF      before the retry time: fail again, with no request; after it: NEW
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from custsync.connectors.base import Cursor
from custsync.errors import TransientError

WINDOW_START_KEY = "window_start"
STEP_KEY = "step"
BACKOFF_BASE = timedelta(minutes=30)
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

    def failed(self, reason: str, now: datetime, time_scale: float) -> ReportJob:
        """FATAL → BACKOFF: 30 min, doubling per attempt, at most a day (scaled for sandboxes)."""
        attempts = self.attempts + 1
        delay = min(BACKOFF_BASE * 2 ** (attempts - 1), BACKOFF_MAX) / time_scale
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
