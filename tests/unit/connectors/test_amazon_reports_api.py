"""Reports API client on the official fixtures: requests sent, answers parsed, errors mapped."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import UTC, datetime

import httpx
import pytest
import respx

from custsync.connectors.amazon import AmazonConnector
from custsync.connectors.amazon.client import MAX_GARBLED_RESENDS
from custsync.connectors.amazon.reports_api import (
    CREATE_REPORT_QUOTA,
    DOCUMENTS_PATH,
    GET_DOCUMENT_QUOTA,
    GET_REPORT_QUOTA,
    GET_REPORTS_QUOTA,
    REPORTS_PATH,
    ReportsApi,
)
from custsync.connectors.http import RequestRejected
from custsync.errors import PayloadError, TransientError
from custsync.settings import AmazonAccount
from tests.unit.connectors.connector_fakes import SP_API, FakeClock, load_api_fixture, make_account

START = datetime(2024, 3, 10, 20, 11, 24, tzinfo=UTC)
END = datetime(2024, 3, 11, 0, 0, tzinfo=UTC)
DOC_URL = "https://d34o8swod1owfl.cloudfront.net/Report_47700__GET_MERCHANT_LISTINGS_ALL_DATA_.txt"


def api_of(connector: AmazonConnector) -> ReportsApi:
    return ReportsApi(connector.orders._client)


def reply(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=load_api_fixture(name))


def test_create_report_sends_the_specification_and_returns_the_id(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    route = router.post(f"{SP_API}{REPORTS_PATH}").mock(
        return_value=reply("createReport.202.sandbox-1.json", 202)
    )
    report_id = api_of(connector).create_report(
        "GET_MERCHANT_LISTINGS_ALL_DATA", ["A1PA6795UKMFR9", "ATVPDKIKX0DER"], START, END
    )
    assert report_id == "ID323"
    sent = json.loads(route.calls.last.request.content)
    assert sent == {
        "reportType": "GET_MERCHANT_LISTINGS_ALL_DATA",
        "marketplaceIds": ["A1PA6795UKMFR9", "ATVPDKIKX0DER"],
        "dataStartTime": "2024-03-10T20:11:24Z",
        "dataEndTime": "2024-03-11T00:00:00Z",
    }
    assert route.calls.last.request.headers["x-amz-access-token"] == "Atza|AccessTokenOne"


@pytest.mark.parametrize(
    ("fixture", "method", "path", "call"),
    [
        ("createReport.400.sandbox-1.json", "POST", REPORTS_PATH, "create"),
        ("getReport.400.sandbox-1.json", "GET", f"{REPORTS_PATH}/badReportId1", "get"),
        ("getReports.400.sandbox-1.json", "GET", REPORTS_PATH, "list"),
        ("getReportDocument.400.sandbox-1.json", "GET", f"{DOCUMENTS_PATH}/badDocumentId1", "doc"),
    ],
)
def test_official_400_bodies_are_config_errors_without_the_body(
    connector: AmazonConnector,
    router: respx.MockRouter,
    fixture: str,
    method: str,
    path: str,
    call: str,
) -> None:
    route = router.request(method, f"{SP_API}{path}").mock(return_value=reply(fixture, 400))
    api = api_of(connector)
    actions: dict[str, Callable[[], object]] = {
        "create": lambda: api.create_report(
            "BAD_FEE_DISCOUNTS_REPORT", ["ATVPDKIKX0DER"], START, END
        ),
        "get": lambda: api.get_report("badReportId1"),
        "list": lambda: api.get_reports(["FEE_DISCOUNTS_REPORT"], statuses=["BAD_VALUE"]),
        "doc": lambda: api.get_document("badDocumentId1"),
    }
    with pytest.raises(RequestRejected) as caught:
        actions[call]()
    assert caught.value.status == 400
    assert caught.value.code == "400"
    assert "Invalid input" not in str(caught.value)  # the code, never the body
    assert "account amazon-na" in str(caught.value)
    assert route.call_count == 1  # a 400 is not retried


def test_get_report_reads_the_official_example(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    router.get(f"{SP_API}{REPORTS_PATH}/ReportId1").mock(
        return_value=reply("getReport.200.sandbox-1.json")
    )
    report = api_of(connector).get_report("ReportId1")
    assert (report.report_id, report.processing_status) == ("ReportId1", "IN_PROGRESS")
    assert report.report_type == "FEE_DISCOUNTS_REPORT"
    assert report.report_document_id is None


def test_get_reports_sends_filters_then_the_token_alone(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    route = router.get(f"{SP_API}{REPORTS_PATH}").mock(
        return_value=reply("getReports.200.sandbox-1.json")
    )
    api = api_of(connector)
    first = api.get_reports(
        ["FEE_DISCOUNTS_REPORT", "GET_AFN_INVENTORY_DATA"], statuses=["IN_QUEUE", "IN_PROGRESS"]
    )
    assert [r.report_id for r in first.reports] == ["ReportId1"]
    assert first.next_token is not None
    api.get_reports(next_token=first.next_token)
    params = [dict(call.request.url.params) for call in route.calls]
    assert params == [
        {
            "reportTypes": "FEE_DISCOUNTS_REPORT,GET_AFN_INVENTORY_DATA",
            "processingStatuses": "IN_QUEUE,IN_PROGRESS",
            "pageSize": "100",
        },
        {"nextToken": first.next_token},
    ]


def test_document_without_compression_is_read_as_is(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    doc_id = "0356cf79-b8b0-4226-b4b9-0ee058ea5760"
    router.get(f"{SP_API}{DOCUMENTS_PATH}/{doc_id}").mock(
        return_value=reply("getReportDocument.200.sandbox-1.json")
    )
    download = router.get(DOC_URL).mock(return_value=httpx.Response(200, content=b"a\tb\n1\t2\n"))
    assert api_of(connector).fetch_document(doc_id) == b"a\tb\n1\t2\n"
    assert "x-amz-access-token" not in download.calls.last.request.headers


def _gzip_document(router: respx.MockRouter, content: bytes) -> None:
    """Document D1, said to be gzip, whose download holds ``content``."""
    router.get(f"{SP_API}{DOCUMENTS_PATH}/D1").mock(
        return_value=httpx.Response(
            200,
            json={
                "reportDocumentId": "D1",
                "url": "https://s3.example/d1",
                "compressionAlgorithm": "GZIP",
            },
        )
    )
    router.get("https://s3.example/d1").mock(return_value=httpx.Response(200, content=content))


def test_gzip_document_is_decompressed(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    _gzip_document(router, gzip.compress("x\ty\nü\t1\n".encode()))
    assert api_of(connector).fetch_document("D1").decode() == "x\ty\nü\t1\n"


def test_broken_gzip_is_a_payload_error(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    _gzip_document(router, b"\x1f\x8bnope")
    with pytest.raises(PayloadError, match="broken gzip"):
        api_of(connector).fetch_document("D1")


def test_expired_url_is_asked_for_again(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    documents = router.get(f"{SP_API}{DOCUMENTS_PATH}/D1").mock(
        side_effect=[
            httpx.Response(200, json={"reportDocumentId": "D1", "url": "https://s3.example/old"}),
            httpx.Response(200, json={"reportDocumentId": "D1", "url": "https://s3.example/new"}),
        ]
    )
    router.get("https://s3.example/old").mock(
        return_value=httpx.Response(403, content=b"<Error><Code>AccessDenied</Code></Error>")
    )
    router.get("https://s3.example/new").mock(return_value=httpx.Response(200, content=b"ok"))
    assert api_of(connector).fetch_document("D1") == b"ok"
    assert documents.call_count == 2


def test_a_url_that_stays_expired_is_a_transient_failure_after_five_refreshes(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    documents = router.get(f"{SP_API}{DOCUMENTS_PATH}/D1").mock(
        return_value=httpx.Response(
            200, json={"reportDocumentId": "D1", "url": "https://s3.example/x"}
        )
    )
    router.get("https://s3.example/x").mock(return_value=httpx.Response(403))
    with pytest.raises(TransientError, match="refused 6 times"):
        api_of(connector).fetch_document("D1")
    assert documents.call_count == 6


def test_reports_quotas_are_the_published_values() -> None:
    assert (CREATE_REPORT_QUOTA.rate_per_s, CREATE_REPORT_QUOTA.burst) == (0.0167, 15)
    assert (GET_REPORT_QUOTA.rate_per_s, GET_REPORT_QUOTA.burst) == (2.0, 15)
    assert (GET_REPORTS_QUOTA.rate_per_s, GET_REPORTS_QUOTA.burst) == (0.0222, 10)
    assert (GET_DOCUMENT_QUOTA.rate_per_s, GET_DOCUMENT_QUOTA.burst) == (0.0167, 15)


def test_create_report_429_backs_off_through_the_clock_and_is_counted(
    connector: AmazonConnector, router: respx.MockRouter, clock: FakeClock
) -> None:
    quota_exceeded = {"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota"}]}
    route = router.post(f"{SP_API}{REPORTS_PATH}").mock(
        side_effect=[
            httpx.Response(429, json=quota_exceeded),
            httpx.Response(202, json={"reportId": "R1"}),
        ]
    )
    assert api_of(connector).create_report("T", ["ATVPDKIKX0DER"], START, END) == "R1"
    assert route.call_count == 2
    assert clock.sleeps
    assert clock.sleeps[0] > 0
    stats = connector.stats.snapshot()["createReport"]
    assert (stats.requests, stats.rate_limited, stats.retries) == (2, 1, 1)


def test_rate_header_updates_the_create_report_bucket(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    router.post(f"{SP_API}{REPORTS_PATH}").mock(
        return_value=httpx.Response(
            202, json={"reportId": "R1"}, headers={"x-amzn-RateLimit-Limit": "0.5"}
        )
    )
    api_of(connector).create_report("T", ["ATVPDKIKX0DER"], START, END)
    assert connector._http.bucket(CREATE_REPORT_QUOTA).rate_per_s == 0.5


def test_each_account_has_its_own_create_report_bucket(
    connector_for: Callable[[AmazonAccount], AmazonConnector],
    router: respx.MockRouter,
    token_route: respx.Route,
    clock: FakeClock,
) -> None:
    build = connector_for
    first = build(make_account())
    second = build(make_account(id="amazon-na-2"))
    router.post(f"{SP_API}{REPORTS_PATH}").mock(
        return_value=httpx.Response(202, json={"reportId": "R"})
    )
    for _ in range(CREATE_REPORT_QUOTA.burst):
        ReportsApi(first.orders._client).create_report("T", ["ATVPDKIKX0DER"], START, END)
    assert clock.sleeps == []
    ReportsApi(second.orders._client).create_report("T", ["ATVPDKIKX0DER"], START, END)
    assert clock.sleeps == []  # the second account's burst is untouched
    ReportsApi(first.orders._client).create_report("T", ["ATVPDKIKX0DER"], START, END)
    assert clock.sleeps == [pytest.approx(1 / 0.0167)]


def test_a_garbled_200_answer_to_a_get_is_sent_again(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    route = router.get(f"{SP_API}{REPORTS_PATH}/ReportId1").mock(
        side_effect=[
            httpx.Response(200, content=b'{"reportId": "Rep'),
            reply("getReport.200.sandbox-1.json"),
        ]
    )
    assert api_of(connector).get_report("ReportId1").report_id == "ReportId1"
    assert route.call_count == 2
    assert connector.stats.snapshot()["getReport"].retries == 1


def test_json_of_the_wrong_shape_is_a_payload_error_at_once(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    route = router.get(f"{SP_API}{REPORTS_PATH}/ReportId1").mock(
        return_value=httpx.Response(200, json={"reportId": "ReportId1"})
    )
    with pytest.raises(PayloadError, match="processingStatus"):
        api_of(connector).get_report("ReportId1")
    assert route.call_count == 1


def test_a_garbled_answer_to_create_report_is_sent_again_a_bounded_number_of_times(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    """Asking again only leaves the lost report unread; it never loses or doubles data."""
    garbled = httpx.Response(202, content=b'{"reportId": "R')
    route = router.post(f"{SP_API}{REPORTS_PATH}").mock(
        side_effect=[garbled, httpx.Response(202, json={"reportId": "R2"})]
    )
    assert api_of(connector).create_report("T", ["ATVPDKIKX0DER"], START, END) == "R2"
    assert route.call_count == 2
    assert connector.stats.snapshot()["createReport"].retries == 1
    route.side_effect = None
    route.return_value = garbled
    with pytest.raises(PayloadError, match="createReport"):
        api_of(connector).create_report("T", ["ATVPDKIKX0DER"], START, END)
    assert route.call_count == 2 + 1 + MAX_GARBLED_RESENDS
