"""FATAL reports: asked for again within the run, then set aside so the backfill goes on, and
retried first by later runs until their data are stored (``report_jobs``, ``report_reader``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from custsync.connectors.amazon import AmazonConnector, report_reader
from custsync.connectors.amazon.orders import ORDERS_PATH, ORDERS_REPORT
from custsync.connectors.amazon.report_jobs import (
    ATTEMPTS_PER_RUN,
    RETRY_LATER_KEY,
    JobStatus,
    ReportCursor,
    ReportFailed,
    ReportJob,
    ReportSpec,
    WindowState,
    set_aside_extra,
    set_aside_in,
)
from custsync.connectors.amazon.returns import FBA_RETURNS_REPORT, MFN_RETURNS_REPORT
from custsync.connectors.base import Cursor, Page
from custsync.records import Order, Return, StreamName
from custsync.settings import AmazonAccount
from tests.unit.connectors.connector_fakes import NOW, SP_API, FakeClock, make_account
from tests.unit.connectors.report_fakes import FakeReports
from tests.unit.connectors.test_amazon_report_streams import orders_tsv, read, records, returns_tsv

FIRST_WINDOW = "2025-11-28T12:00:30Z"  # of a 65-day orders backfill (three windows)
REPORT_OPS = ("createReport", "getReport", "getReportDocument")


@pytest.fixture
def reports(router: respx.MockRouter) -> FakeReports:
    fake = FakeReports(content=orders_tsv)
    fake.install(router)
    return fake


@pytest.fixture
def search_route(router: respx.MockRouter) -> respx.Route:
    return router.get(f"{SP_API}{ORDERS_PATH}").mock(
        return_value=httpx.Response(200, json={"orders": []})
    )


@pytest.fixture
def backfill(
    connector_for: Callable[[AmazonAccount], AmazonConnector], token_route: respx.Route
) -> AmazonConnector:
    return connector_for(make_account(backfill_days=65))


def report_requests(connector: AmazonConnector) -> dict[str, int]:
    ops = connector.stats.snapshot()
    return {op: ops[op].requests if op in ops else 0 for op in REPORT_OPS}


def read_until_error(
    connector: AmazonConnector, stream: StreamName, cursor: Cursor, now: datetime = NOW
) -> tuple[list[Page], ReportFailed]:
    pages: list[Page] = []
    with pytest.raises(ReportFailed) as caught:
        pages.extend(connector.streams[stream].read(cursor, now=now))
    return pages, caught.value


def order_days(pages: list[Page]) -> list[str]:
    return sorted(o.order_id for o in records(pages, Order))


def test_fatal_then_done_within_one_run_stores_the_window(
    connector: AmazonConnector, reports: FakeReports, search_route: respx.Route
) -> None:
    reports.script = lambda spec: ["IN_QUEUE", "FATAL"] if len(reports.created) == 1 else ["DONE"]
    pages = read(connector, StreamName.ORDERS, Cursor())
    assert len(reports.created) == 2
    assert reports.created[1] == reports.created[0]
    assert len(records(pages, Order)) == 2
    assert pages[-1].checkpoint.extra == {}  # nothing set aside, no window open
    assert connector.stats.snapshot()["getReportDocument"].requests == 1  # no failure read


def test_a_window_failing_every_attempt_is_set_aside_and_later_windows_are_stored(
    backfill: AmazonConnector, reports: FakeReports, search_route: respx.Route, clock: FakeClock
) -> None:
    reports.script = lambda spec: ["FATAL"] if spec["dataStartTime"] == FIRST_WINDOW else ["DONE"]
    pages, error = read_until_error(backfill, StreamName.ORDERS, Cursor())
    starts = [s["dataStartTime"] for s in reports.created]
    assert starts[:ATTEMPTS_PER_RUN] == [FIRST_WINDOW] * ATTEMPTS_PER_RUN
    assert len(starts) == ATTEMPTS_PER_RUN + 2  # the two later windows, once each
    assert order_days(pages) == [
        "111-2025-12-28-1",
        "111-2025-12-28-2",
        "111-2026-01-27-1",
        "111-2026-01-27-2",
    ]
    message = str(error)
    assert message.startswith("account amazon-na: report " + ORDERS_REPORT)
    assert "for 2025-11-28..2025-12-28 failed (FATAL: Amazon gave no failure document)" in message
    saved = pages[-1].checkpoint
    assert saved.position == datetime(2026, 2, 1, 11, 58, 30, tzinfo=UTC)  # searchOrders ran
    [aside] = set_aside_in(saved.extra)
    assert (aside.start, aside.end, aside.step) == (
        datetime(2025, 11, 28, 12, 0, 30, tzinfo=UTC),
        datetime(2025, 12, 28, 12, 0, 30, tzinfo=UTC),
        0,
    )
    assert aside.job is not None
    assert aside.job.status is JobStatus.BACKOFF
    assert aside.job.retry_at is not None
    assert aside.job.retry_at <= clock.now() + timedelta(minutes=15)


def test_the_next_run_after_the_retry_time_retries_the_set_aside_window_and_stores_it(
    backfill: AmazonConnector, reports: FakeReports, search_route: respx.Route, clock: FakeClock
) -> None:
    reports.script = lambda spec: ["FATAL"] if spec["dataStartTime"] == FIRST_WINDOW else ["DONE"]
    first, _ = read_until_error(backfill, StreamName.ORDERS, Cursor())
    searched_before = search_route.call_count
    clock.advance(2 * 3600)  # a scheduled run two hours later
    reports.script = lambda spec: ["DONE"]
    second = read(backfill, StreamName.ORDERS, first[-1].checkpoint, now=clock.now())
    retried = reports.created[ATTEMPTS_PER_RUN + 2 :]
    assert [s["dataStartTime"] for s in retried] == [FIRST_WINDOW]  # no new report window
    assert order_days(second) == ["111-2025-11-28-1", "111-2025-11-28-2"]
    assert len({o.order_id for o in records(first + second, Order)}) == 6  # all, once each
    assert RETRY_LATER_KEY not in second[-1].checkpoint.extra
    assert second[-1].checkpoint.position == clock.now().replace(microsecond=0) - timedelta(
        minutes=2
    )
    searched = [dict(c.request.url.params) for c in search_route.calls[searched_before:]]
    assert FIRST_WINDOW in {s["lastUpdatedAfter"] for s in searched}  # its buyers are read


def test_a_set_aside_window_is_skipped_without_requests_before_its_retry_time(
    connector: AmazonConnector, reports: FakeReports, clock: FakeClock
) -> None:
    reports.content = returns_tsv
    reports.script = lambda spec: (
        ["FATAL"] if spec["reportType"] == MFN_RETURNS_REPORT else ["IN_PROGRESS", "DONE"]
    )
    first, error = read_until_error(connector, StreamName.RETURNS, Cursor())
    assert reports.types_created() == [MFN_RETURNS_REPORT] * ATTEMPTS_PER_RUN + [FBA_RETURNS_REPORT]
    assert [r.order_id for r in records(first, Return)] == ["112-2"]  # FBA: the window goes on
    assert MFN_RETURNS_REPORT in str(error)
    saved = first[-1].checkpoint
    assert saved.position == datetime(2026, 2, 1, 11, 0, 30, tzinfo=UTC)
    before = report_requests(connector)
    clock.advance(10 * 60)
    skipped, again = read_until_error(connector, StreamName.RETURNS, saved, now=clock.now())
    assert report_requests(connector) == before
    assert skipped == []
    assert str(again) == str(error)
    clock.advance(6 * 60)
    reports.script = lambda spec: ["DONE"]
    later = read(connector, StreamName.RETURNS, saved, now=clock.now())
    assert reports.types_created()[-1:] == [MFN_RETURNS_REPORT]  # the set-aside step only
    assert len(reports.created) == ATTEMPTS_PER_RUN + 2
    assert [r.order_id for r in records(later, Return)] == ["111-1", "111-1"]
    assert later[-1].checkpoint == Cursor(position=saved.position)


def test_set_aside_jobs_are_retried_before_new_windows(
    connector: AmazonConnector, reports: FakeReports, clock: FakeClock
) -> None:
    reports.content = returns_tsv
    reports.script = lambda spec: (
        ["FATAL"] if spec["reportType"] == MFN_RETURNS_REPORT else ["DONE"]
    )
    first, _ = read_until_error(connector, StreamName.RETURNS, Cursor())
    clock.advance(2 * 86400)  # a new returns window is due too
    reports.script = lambda spec: ["DONE"]
    created = len(reports.created)
    read(connector, StreamName.RETURNS, first[-1].checkpoint, now=clock.now())
    new = reports.created[created:]
    assert [(s["reportType"], s["dataStartTime"]) for s in new] == [
        (MFN_RETURNS_REPORT, "2026-01-02T12:00:30Z"),  # the set-aside job first
        (MFN_RETURNS_REPORT, "2026-01-30T11:00:30Z"),  # then the new window, both reports
        (FBA_RETURNS_REPORT, "2026-01-30T11:00:30Z"),
    ]


def test_a_crash_while_retrying_resumes_the_same_report_without_duplicates(
    connector: AmazonConnector,
    reports: FakeReports,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(report_reader, "RECORDS_PER_PAGE", 1)
    reports.content = returns_tsv
    reports.script = lambda spec: (
        ["FATAL"] if spec["reportType"] == MFN_RETURNS_REPORT else ["DONE"]
    )
    first, _ = read_until_error(connector, StreamName.RETURNS, Cursor())
    clock.advance(20 * 60)
    reports.script = lambda spec: ["IN_QUEUE", "DONE"]
    stored: list[Page] = []
    for page in connector.streams[StreamName.RETURNS].read(first[-1].checkpoint, now=clock.now()):
        stored.append(page)
        if page.records:
            break  # the run dies after the retried report's first stored page
    [aside] = set_aside_in(stored[-1].checkpoint.extra)
    assert aside.job is not None
    assert (aside.job.status, aside.job.records_done) == (JobStatus.DONE, 1)
    created = len(reports.created)
    rest = read(connector, StreamName.RETURNS, stored[-1].checkpoint, now=clock.now())
    assert len(reports.created) == created  # the same report, its document read again
    mfn = [r.return_id for r in records(stored + rest, Return) if r.order_id == "111-1"]
    assert sorted(mfn) == ["RMA1:MUG-1", "RMA1:TEA-1"]  # each once
    assert RETRY_LATER_KEY not in rest[-1].checkpoint.extra


def test_a_crash_between_attempts_resumes_the_report_asked_for_again(
    connector: AmazonConnector, reports: FakeReports, search_route: respx.Route
) -> None:
    reports.script = lambda spec: ["FATAL"] if len(reports.created) == 1 else ["IN_QUEUE", "DONE"]
    saved = Cursor()
    for page in connector.streams[StreamName.ORDERS].read(Cursor(), now=NOW):
        saved = page.checkpoint
        if saved.extra.get("report_id") == "R2":
            break  # the run dies once the second report's id is saved
    state = WindowState.from_cursor(saved)
    assert state is not None
    assert state.job is not None
    assert (state.job.status, state.job.attempts) == (JobStatus.IN_QUEUE, 1)
    pages = read(connector, StreamName.ORDERS, saved)
    assert len(reports.created) == 2  # R2 is polled, not asked for a third time
    assert len(records(pages, Order)) == 2
    assert RETRY_LATER_KEY not in pages[-1].checkpoint.extra


def test_a_job_left_in_backoff_in_the_open_window_is_set_aside_and_the_rest_is_read(
    connector: AmazonConnector, reports: FakeReports, clock: FakeClock
) -> None:
    reports.content = returns_tsv
    start, end = NOW - timedelta(days=30), NOW - timedelta(days=10)
    waiting = ReportJob(
        ReportSpec(MFN_RETURNS_REPORT, ("ATVPDKIKX0DER",)),
        JobStatus.BACKOFF,
        attempts=1,
        retry_at=clock.now() + timedelta(hours=1),
        failure="x",
    )
    cursor = WindowState(start, end, 0, waiting).checkpoint(start)  # an older version's state
    pages, error = read_until_error(connector, StreamName.RETURNS, cursor)
    assert reports.types_created()[0] == FBA_RETURNS_REPORT  # no request for the waiting job
    assert "attempt(s); set aside" in str(error)
    [aside] = set_aside_in(pages[-1].checkpoint.extra)
    assert aside.job == waiting
    assert pages[-1].checkpoint.position == datetime(2026, 2, 1, 11, 0, 30, tzinfo=UTC)


def test_set_aside_jobs_survive_the_cursor_json_round_trip() -> None:
    spec = ReportSpec(MFN_RETURNS_REPORT, ("ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"))
    job = ReportJob(
        spec, JobStatus.BACKOFF, report_id="R1", attempts=3, retry_at=NOW, failure='a "b"'
    )
    later = [WindowState(NOW - timedelta(days=60), NOW, 1, job), WindowState(NOW, NOW, 0)]
    run = ReportCursor(NOW, later, steps=2, open=WindowState(NOW, NOW, 1, ReportJob(spec)))
    saved = Cursor.from_json(run.cursor().to_json())
    assert set_aside_in(saved.extra) == later
    assert ReportCursor.from_cursor(saved, steps=2) == run
    assert set_aside_extra([]) == {}
    assert not later[0].is_due(NOW - timedelta(seconds=1))
    assert later[0].is_due(NOW)
