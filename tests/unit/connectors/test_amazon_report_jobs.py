"""Report job state in the cursor, and the windows report streams walk through (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custsync.connectors.amazon.report_jobs import (
    ATTEMPTS_PER_RUN,
    JobStatus,
    ReportJob,
    ReportSpec,
    WindowPolicy,
    WindowState,
    next_window,
)
from custsync.connectors.amazon.reports_api import decompress
from custsync.connectors.base import Cursor
from custsync.errors import PayloadError

T0 = datetime(2026, 1, 1, tzinfo=UTC)
POLICY = WindowPolicy(
    max_window=timedelta(days=30),
    overlap=timedelta(days=2),
    min_span=timedelta(days=1),
    lag=timedelta(hours=1),
)
SPEC = ReportSpec("GET_SELLER_FEEDBACK_DATA", ("ATVPDKIKX0DER",))


def test_job_state_survives_the_cursor_json_round_trip() -> None:
    job = ReportJob(
        SPEC,
        JobStatus.BACKOFF,
        report_id="R1",
        document_id="D1",
        records_done=500,
        attempts=2,
        retry_at=T0 + timedelta(hours=1),
        failure="The report could not be generated.",
    )
    state = WindowState(T0, T0 + timedelta(days=30), 1, job)
    saved = Cursor.from_json(state.checkpoint(T0).to_json())
    assert WindowState.from_cursor(saved) == state
    assert saved.position == T0


def test_a_cursor_without_a_window_has_no_state() -> None:
    assert WindowState.from_cursor(Cursor(position=T0)) is None
    assert ReportJob.from_extra({}) is None


def test_backoff_doubles_per_run_of_failed_attempts_up_to_a_day_and_scales_for_sandboxes() -> None:
    job = ReportJob(SPEC, JobStatus.FATAL, report_id="R1")
    delays = []
    for _ in range(8 * ATTEMPTS_PER_RUN):
        job = job.failed("x", T0, 1.0)
        assert job.retry_at is not None
        delays.append(job.retry_at - T0)
    per_run = delays[ATTEMPTS_PER_RUN - 1 :: ATTEMPTS_PER_RUN]  # set aside after each run
    assert per_run[:3] == [timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1)]
    assert per_run[-1] == timedelta(hours=24)
    fast = ReportJob(SPEC).failed("x", T0, 600.0)
    assert fast.retry_at == T0 + timedelta(seconds=1.5)
    assert (fast.status, fast.attempts, fast.failure) == (JobStatus.BACKOFF, 1, "x")


def test_first_window_starts_at_the_backfill_start_and_is_capped() -> None:
    window = next_window(None, first_start=T0, ceiling=T0 + timedelta(days=90), policy=POLICY)
    assert window == WindowState(T0, T0 + timedelta(days=30))


def test_next_window_overlaps_and_ends_at_the_ceiling() -> None:
    position = T0 + timedelta(days=30)
    window = next_window(
        position, first_start=T0, ceiling=position + timedelta(days=5), policy=POLICY
    )
    assert window == WindowState(position - timedelta(days=2), position + timedelta(days=5))


def test_no_window_before_the_minimal_span_has_passed() -> None:
    position = T0 + timedelta(days=30)
    ceiling = position + timedelta(hours=23)
    assert next_window(position, first_start=T0, ceiling=ceiling, policy=POLICY) is None


def test_unknown_compression_of_gzip_bytes_is_refused() -> None:
    with pytest.raises(PayloadError, match="unknown compression"):
        decompress(b"\x1f\x8b\x08", "ZSTD", "D1")
    assert decompress(b"plain", "GZIP", "D1") == b"plain"  # already decoded in transit
