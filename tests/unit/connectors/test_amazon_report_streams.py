"""Report streams: windows, the job state machine across runs, gap choice, credentials."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TypeVar

import httpx
import pytest
import respx

from custsync.connectors.amazon import AmazonConnector, report_reader
from custsync.connectors.amazon.feedback import FEEDBACK_REPORT
from custsync.connectors.amazon.orders import ORDERS_PATH, ORDERS_REPORT, SEARCH_ORDERS_QUOTA
from custsync.connectors.amazon.report_jobs import (
    ATTEMPTS_PER_RUN,
    RETRY_LATER_KEY,
    JobStatus,
    ReportFailed,
    WindowState,
    set_aside_in,
)
from custsync.connectors.amazon.returns import FBA_RETURNS_REPORT, MFN_RETURNS_REPORT
from custsync.connectors.base import Cursor, Page
from custsync.errors import ConfigError
from custsync.records import Feedback, Order, PromoUse, Return, StreamName
from custsync.settings import AmazonAccount
from tests.unit.connectors.connector_fakes import (
    NOW,
    SP_API,
    TOKEN_URL,
    FakeClock,
    load_fixture,
    make_account,
    tsv,
)
from tests.unit.connectors.report_fakes import FakeReports

R = TypeVar("R")

ORDER_HEADER = [
    "amazon-order-id", "merchant-order-id", "purchase-date", "last-updated-date", "order-status",
    "fulfillment-channel", "sales-channel", "order-channel", "ship-service-level", "product-name",
    "sku", "asin", "item-status", "quantity", "currency", "item-price", "item-tax",
    "shipping-price", "shipping-tax", "gift-wrap-price", "gift-wrap-tax",
    "item-promotion-discount", "ship-promotion-discount", "ship-city", "ship-state",
    "ship-postal-code", "ship-country", "promotion-ids", "is-business-order",
    "purchase-order-number", "price-designation",
]  # fmt: skip


def order_row(
    order_id: str, sku: str, qty: int, price: str, promo: str = "", disc: str = ""
) -> list[str]:
    return [
        order_id, "", "2026-01-10T10:00:00+00:00", "2026-01-12T08:00:00+00:00", "Shipped",
        "Merchant", "Amazon.com", "", "Standard", f"Product {sku}", sku, "B000000001", "Shipped",
        str(qty), "USD", price, "1.00", "4.99", "0.00", "", "", disc, "", "Austin", "TX",
        "78701", "US", promo, "false", "", "",
    ]  # fmt: skip


def orders_tsv(spec: dict[str, object]) -> str:
    start = str(spec["dataStartTime"])[:10]
    return tsv(
        ORDER_HEADER,
        order_row(f"111-{start}-1", "MUG-1", 2, "29.98", "SPRING15", "-4.50"),
        order_row(f"111-{start}-1", "TEA-1", 1, "12.99"),
        order_row(f"111-{start}-2", "MUG-1", 1, "14.99"),
    )


def read(
    connector: AmazonConnector, stream: StreamName, cursor: Cursor, now: datetime = NOW
) -> list[Page]:
    return list(connector.streams[stream].read(cursor, now=now))


def records(pages: list[Page], kind: type[R]) -> list[R]:
    return [r for page in pages for r in page.records if isinstance(r, kind)]


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


def test_first_orders_sync_backfills_by_report_windows_then_searches_the_rest(
    connector_for: Callable[[AmazonAccount], AmazonConnector],
    token_route: respx.Route,
    reports: FakeReports,
    search_route: respx.Route,
) -> None:
    connector = connector_for(make_account(backfill_days=65))
    pages = read(connector, StreamName.ORDERS, Cursor())
    windows = [(s["dataStartTime"], s["dataEndTime"]) for s in reports.created]
    assert windows == [
        ("2025-11-28T12:00:30Z", "2025-12-28T12:00:30Z"),
        ("2025-12-28T11:50:30Z", "2026-01-27T11:50:30Z"),
        ("2026-01-27T11:40:30Z", "2026-02-01T11:00:30Z"),  # ends at now - 1 h
    ]
    assert set(reports.types_created()) == {ORDERS_REPORT}
    assert all(s["marketplaceIds"] == ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"] for s in reports.created)
    orders = records(pages, Order)
    assert len(orders) == 6
    first = orders[0]
    assert [(line.line_id, line.qty, line.unit_price) for line in first.lines] == [
        ("MUG-1", 2, Decimal("14.99")),
        ("TEA-1", 1, Decimal("12.99")),
    ]
    assert first.total == Decimal("29.98") + 1 + Decimal("4.99") + Decimal("12.99") + 1 + Decimal(
        "4.99"
    ) - Decimal("4.50")
    assert first.buyer_key is None  # the report shows no buyer
    promos = records(pages, PromoUse)
    assert {(p.order_id, p.code, p.discount) for p in promos} == {
        (o.order_id, "SPRING15", Decimal("4.50")) for o in orders if o.order_id.endswith("-1")
    }
    # caught up: searchOrders reads the last hour, from the last window's end minus 10 min,
    # then re-reads the backfilled range in 7-day windows for the buyers (idle quota)
    searched = [dict(call.request.url.params) for call in search_route.calls]
    assert (searched[0]["lastUpdatedAfter"], searched[0]["lastUpdatedBefore"]) == (
        "2026-02-01T10:50:30Z",
        "2026-02-01T11:58:30Z",
    )
    assert [(p["lastUpdatedAfter"], p["lastUpdatedBefore"]) for p in searched[1:]] == [
        ("2025-11-28T12:00:30Z", "2025-12-28T12:00:30Z"),
        ("2025-12-28T12:00:30Z", "2026-01-27T12:00:30Z"),
        ("2026-01-27T12:00:30Z", "2026-02-01T11:00:30Z"),
    ]
    assert all(
        p["includedData"] == "BUYER,RECIPIENT,PROCEEDS,PROMOTION,FULFILLMENT" for p in searched
    )
    assert pages[-1].checkpoint == Cursor(position=datetime(2026, 2, 1, 11, 58, 30, tzinfo=UTC))


def test_report_still_in_queue_is_resumed_next_run_not_requested_again(
    connector: AmazonConnector,
    reports: FakeReports,
    search_route: respx.Route,
    clock: FakeClock,
) -> None:
    reports.script = lambda spec: ["IN_QUEUE"] * 200 + ["IN_PROGRESS", "DONE"]
    first_run = read(connector, StreamName.ORDERS, Cursor())
    assert len(reports.created) == 1
    assert records(first_run, Order) == []
    saved = first_run[-1].checkpoint
    state = WindowState.from_cursor(saved)
    assert state is not None
    assert state.job is not None
    assert (state.job.report_id, state.job.status.value) == ("R1", "IN_QUEUE")
    assert clock.elapsed_s >= report_reader.POLL_BUDGET_S  # waited through the clock only
    assert search_route.call_count == 0
    reports.script = lambda spec: ["DONE"]
    reports.reports["R1"].statuses = ["DONE"]
    second_run = read(connector, StreamName.ORDERS, saved)
    assert len(reports.created) == 1  # no new report
    assert len(records(second_run, Order)) == 2
    polls = connector.stats.snapshot()["getReport"].requests
    assert polls == reports.reports["R1"].polls


def test_a_sped_up_sandbox_polls_as_many_times_as_the_published_pace_allows(
    connector_for: Callable[[AmazonAccount], AmazonConnector],
    token_route: respx.Route,
    reports: FakeReports,
    search_route: respx.Route,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Quotas 10^6 times faster shorten each wait, not the number of polls: the real time a
    request takes (here 10 ms a clock read) does not end the run while a report is queued."""
    connector = connector_for(make_account(quota_scale=1_000_000))
    reads = itertools.count()
    monkeypatch.setattr(clock, "monotonic", lambda: clock.elapsed_s + 0.01 * next(reads))
    reports.script = lambda spec: ["IN_QUEUE"] * 8 + ["DONE"]
    pages = read(connector, StreamName.ORDERS, Cursor())
    assert len(records(pages, Order)) == 2
    assert max(clock.sleeps) <= report_reader.MAX_POLL_S / 1_000_000


def test_cancelled_report_means_no_data_and_the_window_moves_on(
    connector: AmazonConnector, reports: FakeReports, search_route: respx.Route
) -> None:
    reports.script = lambda spec: ["IN_PROGRESS", "CANCELLED"]
    pages = read(connector, StreamName.ORDERS, Cursor())
    assert records(pages, Order) == []
    assert len(reports.created) == 1  # 30 days of backfill: one window, empty
    assert pages[-1].checkpoint.position == datetime(2026, 2, 1, 11, 58, 30, tzinfo=UTC)


def test_fatal_report_is_asked_again_then_set_aside_with_its_failure_document(
    connector: AmazonConnector, reports: FakeReports, search_route: respx.Route, clock: FakeClock
) -> None:
    reports.script = lambda spec: ["IN_PROGRESS", "FATAL"]
    reports.failures[ORDERS_REPORT] = '{"errorDetails": "Report data range is too long.\\n"}'
    pages: list[Page] = []
    stream = connector.streams[StreamName.ORDERS]
    with pytest.raises(ReportFailed, match=r"FATAL: Report data range is too long\.") as caught:
        pages.extend(stream.read(Cursor(), now=NOW))
    message = str(caught.value)
    assert "account amazon-na" in message
    assert f"report {ORDERS_REPORT}" in message
    assert "2026-01-02..2026-02-01" in message
    assert f"after {ATTEMPTS_PER_RUN} attempt(s)" in message
    assert reports.created == [reports.created[0]] * ATTEMPTS_PER_RUN  # the same window
    assert connector.stats.snapshot()["getReportDocument"].requests == 1  # the last reason only
    assert search_route.call_count >= 1  # the stream went on: searchOrders after the backfill
    saved = pages[-1].checkpoint
    [aside] = set_aside_in(saved.extra)
    assert aside.job is not None
    assert (aside.job.status, aside.job.attempts) == (JobStatus.BACKOFF, ATTEMPTS_PER_RUN)
    assert aside.job.failure == "Report data range is too long."
    assert aside.job.retry_at is not None
    assert timedelta(minutes=14) < aside.job.retry_at - clock.now() <= timedelta(minutes=15)
    report_ops = ("createReport", "getReport", "getReportDocument")
    before = {op: connector.stats.snapshot()[op].requests for op in report_ops}
    with pytest.raises(ReportFailed, match="set aside, retried after"):
        read(connector, StreamName.ORDERS, saved)
    assert {op: connector.stats.snapshot()[op].requests for op in report_ops} == before
    clock.advance(16 * 60)
    reports.script = lambda spec: ["DONE"]
    later = read(connector, StreamName.ORDERS, saved, now=clock.now())
    assert len(reports.created) == ATTEMPTS_PER_RUN + 1
    assert reports.created[-1] == reports.created[0]  # the same window again
    assert len(records(later, Order)) == 2
    assert RETRY_LATER_KEY not in later[-1].checkpoint.extra


def test_fatal_without_a_document_says_so(
    connector: AmazonConnector, reports: FakeReports, search_route: respx.Route
) -> None:
    reports.script = lambda spec: ["FATAL"]
    with pytest.raises(ReportFailed, match="no failure document"):
        read(connector, StreamName.ORDERS, Cursor())


def test_done_document_is_stored_in_pages_and_resumes_after_the_stored_ones(
    connector: AmazonConnector,
    reports: FakeReports,
    search_route: respx.Route,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(report_reader, "RECORDS_PER_PAGE", 2)
    stream = connector.streams[StreamName.ORDERS]
    pages = []
    for page in stream.read(Cursor(), now=NOW):
        pages.append(page)
        if records([page], Order):
            break  # the run dies after its first stored page
    saved = pages[-1].checkpoint
    assert saved.extra["report_status"] == "DONE"
    assert saved.extra["records_done"] == "2"
    rest = read(connector, StreamName.ORDERS, saved)
    stored = [r for page in pages + rest for r in page.records]
    first_window = [r for r in stored if "2026-01-02" in getattr(r, "order_id", "")]
    assert len(first_window) == 3  # 2 orders + 1 promo use, each once
    assert len(reports.created) == 1  # the document was fetched again, no new report


def test_expired_document_url_is_fetched_again(
    connector: AmazonConnector, reports: FakeReports, search_route: respx.Route
) -> None:
    reports.expired_once = {"D-R1"}
    pages = read(connector, StreamName.ORDERS, Cursor())
    assert len(records(pages, Order)) == 2
    assert connector.stats.snapshot()["getReportDocument"].requests == 2


def test_polling_is_counted_per_operation(
    connector: AmazonConnector, reports: FakeReports, search_route: respx.Route
) -> None:
    reports.script = lambda spec: ["IN_QUEUE", "IN_PROGRESS", "DONE"]
    pages = read(connector, StreamName.ORDERS, Cursor())
    ops = connector.stats.snapshot()
    assert ops["createReport"].requests == 1
    assert ops["getReport"].requests == 3
    assert ops["getReportDocument"].requests == 1
    assert sum(page.requests for page in pages) == connector.stats.requests


def test_small_gap_reads_search_orders_only(
    connector: AmazonConnector, reports: FakeReports, search_route: respx.Route
) -> None:
    read(connector, StreamName.ORDERS, Cursor(position=NOW - timedelta(hours=20)))
    assert reports.created == []
    assert search_route.call_count == 1


def test_gap_over_a_day_goes_through_reports(
    connector: AmazonConnector, reports: FakeReports, search_route: respx.Route
) -> None:
    read(connector, StreamName.ORDERS, Cursor(position=NOW - timedelta(days=3)))
    assert reports.types_created() == [ORDERS_REPORT]
    assert reports.created[0]["dataStartTime"] == "2026-01-29T11:50:30Z"  # 10 min overlap


MFN_HEADER = [
    "Order ID", "Order date", "Return request date", "Return request status", "Amazon RMA ID",
    "Merchant RMA ID", "Label type", "Label cost", "Currency code", "Return carrier",
    "Tracking ID", "Label to be paid by", "A-to-Z Claim", "Is prime", "ASIN", "Merchant SKU",
    "Item Name", "Return quantity", "Return Reason", "In policy", "Return type", "Resolution",
    "Invoice number", "Return delivery date", "Order Amount", "Order quantity",
    "SafeT Action reason", "SafeT claim id", "SafeT claim state", "SafeT claim creation time",
    "SafeT claim reimbursement amount", "Refunded Amount",
]  # fmt: skip
FBA_HEADER = [
    "return-date", "order-id", "sku", "asin", "fnsku", "product-name", "quantity",
    "fulfillment-center-id", "detailed-disposition", "reason", "status",
    "license-plate-number", "customer-comments",
]  # fmt: skip


def mfn_row(order_id: str, rma: str, sku: str, qty: int) -> list[str]:
    row = [""] * len(MFN_HEADER)
    row[0], row[2], row[4], row[15], row[17], row[18] = (
        order_id, "2026-01-20T00:00:00+00:00", rma, sku, str(qty), "DEFECTIVE",
    )  # fmt: skip
    return row


def returns_tsv(spec: dict[str, object]) -> str:
    if spec["reportType"] == MFN_RETURNS_REPORT:
        return tsv(
            MFN_HEADER, mfn_row("111-1", "RMA1", "MUG-1", 1), mfn_row("111-1", "RMA1", "TEA-1", 2)
        )
    return tsv(
        FBA_HEADER,
        ["2026-01-21T09:30:00+00:00", "112-2", "MUG-1", "B01", "X01", "Mug", "1", "PHX3",
         "CUSTOMER_DAMAGED", "NOT_AS_DESCRIBED", "Unit returned to inventory", "LPN1", ""],
    )  # fmt: skip


def test_returns_window_asks_for_mfn_then_fba_returns(
    connector: AmazonConnector, reports: FakeReports
) -> None:
    reports.content = returns_tsv
    pages = read(connector, StreamName.RETURNS, Cursor())
    assert reports.types_created() == [MFN_RETURNS_REPORT, FBA_RETURNS_REPORT]
    returns = records(pages, Return)
    assert [(r.return_id, r.order_id, r.sku, r.qty) for r in returns] == [
        ("RMA1:MUG-1", "111-1", "MUG-1", 1),
        ("RMA1:TEA-1", "111-1", "TEA-1", 2),
        ("fba:112-2:MUG-1:2026-01-21T09:30:00+00:00:LPN1", "112-2", "MUG-1", 1),
    ]
    assert pages[-1].checkpoint == Cursor(position=datetime(2026, 2, 1, 11, 0, 30, tzinfo=UTC))
    assert read(connector, StreamName.RETURNS, pages[-1].checkpoint) == []  # < 1 day later


def test_returns_resume_at_the_second_report_of_a_window(
    connector: AmazonConnector, reports: FakeReports
) -> None:
    reports.content = returns_tsv
    reports.script = lambda spec: (
        ["DONE"] if spec["reportType"] == MFN_RETURNS_REPORT else ["IN_QUEUE"] * 500
    )
    first = read(connector, StreamName.RETURNS, Cursor())
    assert len(records(first, Return)) == 2
    reports.reports["R2"].statuses = ["DONE"]
    second = read(connector, StreamName.RETURNS, first[-1].checkpoint)
    assert [r.order_id for r in records(second, Return)] == ["112-2"]
    assert reports.types_created() == [MFN_RETURNS_REPORT, FBA_RETURNS_REPORT]


def test_feedback_is_one_report_per_marketplace_parsed_with_its_date_format(
    connector: AmazonConnector, reports: FakeReports
) -> None:
    header = ["Date", "Rating", "Comments", "Your Response", "Order ID", "Rater Email"]

    def feedback_tsv(spec: dict[str, object]) -> str:
        if spec["marketplaceIds"] == ["ATVPDKIKX0DER"]:
            return tsv(
                header, ["1/13/26", "1", "Never arrived.", "", "111-1", "a@marketplace.amazon.com"]
            )
        return tsv(header, ["13/01/26", "2", "", "", "701-1", "b@marketplace.amazon.ca"])

    reports.content = feedback_tsv
    pages = read(connector, StreamName.FEEDBACK, Cursor())
    assert reports.types_created() == [FEEDBACK_REPORT, FEEDBACK_REPORT]
    assert [s["marketplaceIds"] for s in reports.created] == [["ATVPDKIKX0DER"], ["A2EUQ1WTGCTBG2"]]
    feedback = records(pages, Feedback)
    assert [(f.order_id, f.rating, f.comment, f.left_at) for f in feedback] == [
        ("111-1", 1, "Never arrived.", datetime(2026, 1, 13, tzinfo=UTC)),
        ("701-1", 2, None, datetime(2026, 1, 13, tzinfo=UTC)),
    ]


def test_revoked_refresh_token_fails_every_stream_with_one_token_request(
    connector_for: Callable[[AmazonAccount], AmazonConnector], router: respx.MockRouter
) -> None:
    token = router.post(TOKEN_URL).mock(
        return_value=httpx.Response(400, json={"error": "invalid_grant", "error_description": "x"})
    )
    connector = connector_for(make_account())
    for name in connector.streams:
        with pytest.raises(ConfigError, match="re-authorize account amazon-na"):
            read(connector, name, Cursor())
    assert token.call_count == 1


def test_search_orders_pages_carry_promo_uses(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    router.get(f"{SP_API}{ORDERS_PATH}").mock(
        return_value=httpx.Response(200, json=load_fixture("searchOrders.200.sandbox-2.json"))
    )
    pages = read(connector, StreamName.ORDERS, Cursor(position=NOW - timedelta(hours=1)))
    orders = records(pages, Order)
    promos = records(pages, PromoUse)
    expected = {(o.order_id, code) for o in orders for line in o.lines for code in line.promo_codes}
    assert {(p.order_id, p.code) for p in promos} == expected


def test_buyer_enrichment_spends_only_idle_quota_and_resumes_next_run(
    connector_for: Callable[[AmazonAccount], AmazonConnector],
    token_route: respx.Route,
    reports: FakeReports,
    router: respx.MockRouter,
    clock: FakeClock,
) -> None:
    connector = connector_for(make_account(backfill_days=730))
    search = router.get(f"{SP_API}{ORDERS_PATH}").mock(
        return_value=httpx.Response(200, json={"orders": []})
    )
    pages = read(connector, StreamName.ORDERS, Cursor())
    assert search.call_count == 18  # 1 incremental + 17 enrichment: 2 tokens stay
    saved = pages[-1].checkpoint
    first_start = datetime(2024, 2, 2, 12, 0, 30, tzinfo=UTC)
    assert saved.position == datetime(2026, 2, 1, 11, 58, 30, tzinfo=UTC)
    assert saved.extra["enrich_from"] == (first_start + timedelta(days=17 * 30)).isoformat()
    assert saved.extra["enrich_to"] == "2026-02-01T11:00:30+00:00"
    assert float(saved.extra["quota_tokens"]) == pytest.approx(2, abs=0.1)
    assert connector._http.bucket(SEARCH_ORDERS_QUOTA).available() >= 2  # never ran dry
    clock.advance(20 * 60)  # 6.7 more tokens: a new client must not believe in 20
    fresh = connector_for(make_account(backfill_days=730))
    later = read(fresh, StreamName.ORDERS, saved, now=clock.now())
    assert search.call_count == 18 + 1 + 5
    expected = first_start + timedelta(days=22 * 30)
    assert later[-1].checkpoint.extra["enrich_from"] == expected.isoformat()
    assert fresh.stats.snapshot()["searchOrders"].rate_limited == 0


def test_enrichment_resumes_inside_a_window_on_its_token(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    search = router.get(f"{SP_API}{ORDERS_PATH}").mock(
        side_effect=[
            httpx.Response(200, json={"orders": []}),  # incremental
            httpx.Response(200, json=load_fixture("searchOrders.200.json")),  # has a next token
            httpx.Response(200, json=load_fixture("searchOrders.200.sandbox-2.json")),
        ]
    )
    start = NOW - timedelta(days=3)
    end = start + timedelta(days=1)
    cursor = Cursor(
        position=NOW - timedelta(hours=2),
        extra={"enrich_from": start.isoformat(), "enrich_to": end.isoformat()},
    )
    pages = read(connector, StreamName.ORDERS, cursor)
    token = "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4"
    assert pages[1].checkpoint.extra["enrich_token"] == token
    assert dict(search.calls[2].request.url.params)["paginationToken"] == token
    assert records(pages[1:], Order)
    assert pages[-1].checkpoint == Cursor(position=pages[0].checkpoint.position)


def test_enrichment_starts_at_the_first_report_window_with_orders(
    connector_for: Callable[[AmazonAccount], AmazonConnector],
    token_route: respx.Route,
    reports: FakeReports,
    search_route: respx.Route,
) -> None:
    connector = connector_for(make_account(backfill_days=120))
    reports.script = lambda spec: (
        ["CANCELLED"] if str(spec["dataStartTime"]) < "2026-01-01" else ["DONE"]
    )
    pages = read(connector, StreamName.ORDERS, Cursor())
    searched = [dict(call.request.url.params) for call in search_route.calls]
    first_with_data = next(s for s in reports.created if str(s["dataStartTime"]) >= "2026-01-01")
    assert searched[1]["lastUpdatedAfter"] == first_with_data["dataStartTime"]
    assert len(searched) == 1 + 1  # the incremental tail, then the one month with orders
    assert pages[-1].checkpoint == Cursor(position=datetime(2026, 2, 1, 11, 58, 30, tzinfo=UTC))


def test_a_backfill_without_orders_needs_no_enrichment(
    connector: AmazonConnector, reports: FakeReports, search_route: respx.Route
) -> None:
    reports.script = lambda spec: ["CANCELLED"]
    read(connector, StreamName.ORDERS, Cursor())
    assert search_route.call_count == 1
