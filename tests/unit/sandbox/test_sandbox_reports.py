"""Reports API 2021-06-30 in the sandbox: official shapes, the state machine, documents that
expire, the four report types with their columns and range limits, and the published quotas."""

from __future__ import annotations

import gzip
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from custsync.sandbox import RunningSandbox, World, start_sandbox
from custsync.sandbox.report_documents import (
    FBA_RETURNS_HEADER,
    FEEDBACK_HEADER,
    MFN_RETURNS_HEADER,
    ORDERS_HEADER,
)
from tests.unit.sandbox.sandbox_helpers import (
    DOCUMENTS,
    HTTP,
    REPORTS,
    FakeClock,
    access_token,
    create_report,
    download,
    poll_report,
    report_rows,
)

FIXTURES = Path(__file__).parents[4] / "shared" / "fixtures" / "amazon-sp-api"
ALL_ORDERS = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
MFN_RETURNS = "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE"
FBA_RETURNS = "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA"
FEEDBACK = "GET_SELLER_FEEDBACK_DATA"
US, CA, UK, DE = "ATVPDKIKX0DER", "A2EUQ1WTGCTBG2", "A1F83G8C2ARO7P", "A1PA6795UKMFR9"
# Optional Report keys of the model that the official examples happen not to show.
MODEL_OPTIONAL = {"marketplaceIds", "reportScheduleId", "reportDocumentId"}


@pytest.fixture(scope="module")
def na_token(sandbox: RunningSandbox) -> str:
    return access_token(sandbox.url, "amazon-na")


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _same_shape(ours: dict[str, Any], official: dict[str, Any], optional: set[str]) -> None:
    assert set(ours) <= set(official) | optional, set(ours) - set(official) - optional
    for key, value in ours.items():
        if key in official:
            assert type(value) is type(official[key]), key


def test_report_lifecycle_answers_in_the_official_shapes(
    sandbox: RunningSandbox, na_token: str
) -> None:
    headers = {"x-amz-access-token": na_token}
    body = {
        "reportType": ALL_ORDERS,
        "marketplaceIds": [US, CA],
        "dataStartTime": "2026-10-01T00:00:00Z",
        "dataEndTime": "2026-10-31T00:00:00Z",
    }
    created = HTTP.post(sandbox.url + REPORTS, json=body, headers=headers)
    assert created.status_code == 202
    assert created.json().keys() == _fixture("createReport.202.sandbox-1.json").keys()
    report_id = created.json()["reportId"]
    report = poll_report(sandbox.url, na_token, report_id)
    assert report.pop("seen")[-1] == "DONE"
    _same_shape(report, _fixture("getReport.200.sandbox-1.json"), MODEL_OPTIONAL)
    assert report["reportId"] == report_id
    assert report["marketplaceIds"] == [US, CA]
    listed = HTTP.get(sandbox.url + REPORTS, params={"reportTypes": ALL_ORDERS}, headers=headers)
    assert listed.status_code == 200
    official_list = _fixture("getReports.200.sandbox-1.json")
    assert set(listed.json()) <= set(official_list)
    for item in listed.json()["reports"]:
        _same_shape(item, official_list["reports"][0], MODEL_OPTIONAL)
    meta = HTTP.get(f"{sandbox.url}{DOCUMENTS}/{report['reportDocumentId']}", headers=headers)
    official_document = _fixture("getReportDocument.200.sandbox-1.json")
    _same_shape(meta.json(), official_document, {"compressionAlgorithm"})
    assert meta.json()["compressionAlgorithm"] == "GZIP"


def test_processing_moves_through_the_queue_over_several_polls(
    sandbox: RunningSandbox, na_token: str
) -> None:
    report_id = create_report(
        sandbox.url, na_token, ALL_ORDERS, [US], "2026-10-01T00:00:00Z", "2026-10-20T00:00:00Z"
    )
    seen = poll_report(sandbox.url, na_token, report_id)["seen"]
    assert seen[0] == "IN_QUEUE"
    assert "IN_PROGRESS" in seen
    assert seen[-1] == "DONE"
    assert 3 <= len(seen) <= 6
    assert seen == sorted(seen, key=["IN_QUEUE", "IN_PROGRESS", "DONE"].index)


def test_a_range_without_data_ends_cancelled_without_document(
    sandbox: RunningSandbox, na_token: str
) -> None:
    report_id = create_report(
        sandbox.url, na_token, ALL_ORDERS, [US], "2020-01-01T00:00:00Z", "2020-01-20T00:00:00Z"
    )
    report = poll_report(sandbox.url, na_token, report_id)
    assert report["processingStatus"] == "CANCELLED"
    assert "reportDocumentId" not in report


@pytest.mark.parametrize(
    ("report_type", "start", "end"),
    [
        (ALL_ORDERS, "2026-09-30T23:59:59Z", "2026-10-31T00:00:00Z"),  # 30 days + 1 s
        (MFN_RETURNS, "2026-08-31T00:00:00Z", "2026-10-31T00:00:00Z"),  # 61 days
    ],
)
def test_a_range_beyond_the_limit_ends_fatal_with_a_failure_document(
    sandbox: RunningSandbox, na_token: str, report_type: str, start: str, end: str
) -> None:
    report = poll_report(
        sandbox.url, na_token, create_report(sandbox.url, na_token, report_type, [US], start, end)
    )
    assert report["processingStatus"] == "FATAL"
    failure = json.loads(download(sandbox.url, na_token, report["reportDocumentId"]))
    assert "exceeds" in failure["errorDetails"]


@pytest.mark.parametrize(
    ("report_type", "header"),
    [
        (ALL_ORDERS, ORDERS_HEADER),
        (MFN_RETURNS, MFN_RETURNS_HEADER),
        (FBA_RETURNS, FBA_RETURNS_HEADER),
        (FEEDBACK, FEEDBACK_HEADER),
    ],
)
def test_documents_are_gzip_tsv_with_the_documented_header(
    sandbox: RunningSandbox, na_token: str, report_type: str, header: list[str]
) -> None:
    start = "2026-10-02T00:00:00Z" if report_type == ALL_ORDERS else "2025-11-01T00:00:00Z"
    end = "2026-10-31T00:00:00Z" if report_type == ALL_ORDERS else "2025-12-30T00:00:00Z"
    if report_type in (FBA_RETURNS, FEEDBACK):
        end = "2026-11-01T00:00:00Z"
    rows = report_rows(sandbox.url, na_token, report_type, [US, CA], start, end)
    assert rows
    assert list(rows[0]) == list(header)
    if report_type == ALL_ORDERS:
        assert "buyer-email" not in rows[0]
        assert all(float(r["item-promotion-discount"]) <= 0 for r in rows)
        assert any(r["promotion-ids"] for r in rows)
    if report_type == FEEDBACK:
        assert {int(r["Rating"]) for r in rows} <= {1, 2, 3}


def test_feedback_dates_follow_the_marketplace(sandbox: RunningSandbox, world: World) -> None:
    formats = {
        US: r"^\d{1,2}/\d{1,2}/\d{2}$",
        UK: r"^\d{1,2}/\d{1,2}/\d{2}$",
        DE: r"^\d{1,2}\.\d{1,2}\.\d{2}$",
    }
    for account_id, marketplace in (("amazon-na", US), ("amazon-eu", UK), ("amazon-eu", DE)):
        token = access_token(sandbox.url, account_id)
        rows = report_rows(
            sandbox.url,
            token,
            FEEDBACK,
            [marketplace],
            "2025-11-01T00:00:00Z",
            "2026-11-01T00:00:00Z",
        )
        assert rows, marketplace
        assert all(re.match(formats[marketplace], row["Date"]) for row in rows)
        left = {
            o.order_id: o.feedback.left_at_s
            for o in world.iter_orders()
            if o.feedback is not None and o.marketplace.id == marketplace
        }
        day = datetime.fromtimestamp(left[rows[0]["Order ID"]], UTC)
        parts = [int(p) for p in re.split(r"[/.]", rows[0]["Date"])]
        expected = [day.month, day.day] if marketplace == US else [day.day, day.month]
        assert parts[:2] == expected


def test_document_url_expires_after_five_minutes(world: World) -> None:
    clock = FakeClock()
    with start_sandbox(world, clock=clock, time_scale=1000) as running:
        token = access_token(running.url, "amazon-na")
        report_id = create_report(
            running.url, token, ALL_ORDERS, [US], "2026-10-01T00:00:00Z", "2026-10-30T00:00:00Z"
        )
        report = poll_report(running.url, token, report_id)
        headers = {"x-amz-access-token": token}
        meta = HTTP.get(f"{running.url}{DOCUMENTS}/{report['reportDocumentId']}", headers=headers)
        url = meta.json()["url"]
        clock.advance(299)
        assert HTTP.get(url).status_code == 200
        assert gzip.decompress(HTTP.get(url).content).startswith(b"amazon-order-id\t")
        clock.advance(2)
        expired = HTTP.get(url)
        assert expired.status_code == 403
        assert b"<Code>AccessDenied</Code>" in expired.content
        assert b"Request has expired" in expired.content
        forged = HTTP.get(url.replace("X-Amz-Signature=", "X-Amz-Signature=0"))
        assert b"SignatureDoesNotMatch" in forged.content


@pytest.mark.parametrize(
    "body",
    [
        {"reportType": "GET_NOT_A_REPORT", "marketplaceIds": [US]},
        {"reportType": ALL_ORDERS},
        {"reportType": ALL_ORDERS, "marketplaceIds": [UK]},
        {"reportType": ALL_ORDERS, "marketplaceIds": [US], "dataStartTime": "yesterday"},
    ],
)
def test_invalid_report_requests_are_refused(
    sandbox: RunningSandbox, na_token: str, body: dict[str, object]
) -> None:
    response = HTTP.post(sandbox.url + REPORTS, json=body, headers={"x-amz-access-token": na_token})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput"


def test_get_reports_pages_with_a_next_token_that_stands_alone(
    sandbox: RunningSandbox, na_token: str
) -> None:
    for day in (1, 2, 3):
        create_report(
            sandbox.url,
            na_token,
            FBA_RETURNS,
            [US],
            f"2026-0{day}-01T00:00:00Z",
            "2026-10-01T00:00:00Z",
        )
    headers = {"x-amz-access-token": na_token}
    first = HTTP.get(
        sandbox.url + REPORTS, params={"reportTypes": FBA_RETURNS, "pageSize": "2"}, headers=headers
    ).json()
    assert len(first["reports"]) == 2
    token = first["nextToken"]
    mixed = HTTP.get(
        sandbox.url + REPORTS, params={"nextToken": token, "pageSize": "2"}, headers=headers
    )
    assert mixed.status_code == 400
    rest = HTTP.get(sandbox.url + REPORTS, params={"nextToken": token}, headers=headers).json()
    ids = [r["reportId"] for r in first["reports"] + rest["reports"]]
    assert len(ids) == len(set(ids)) >= 3
    bad = HTTP.get(
        sandbox.url + REPORTS, params={"processingStatuses": "BAD_VALUE"}, headers=headers
    )
    assert bad.status_code == 400


def test_reports_quotas_are_the_published_ones(world: World) -> None:
    clock = FakeClock()
    with start_sandbox(world, clock=clock) as running:
        token = access_token(running.url, "amazon-eu")
        codes = [
            HTTP.post(
                running.url + REPORTS,
                json={"reportType": FEEDBACK, "marketplaceIds": [UK]},
                headers={"x-amz-access-token": token},
            ).status_code
            for _ in range(16)
        ]
        assert codes == [202] * 15 + [429]
        report_id = HTTP.get(
            running.url + REPORTS,
            params={"reportTypes": FEEDBACK, "pageSize": "1"},
            headers={"x-amz-access-token": token},
        ).json()["reports"][0]["reportId"]
        assert report_id.isdigit()
        polls = [
            HTTP.get(f"{running.url}{REPORTS}/{report_id}", headers={"x-amz-access-token": token})
            for _ in range(16)
        ]
        assert [p.status_code for p in polls] == [200] * 15 + [429]
        assert polls[0].headers["x-amzn-RateLimit-Limit"] == "2"
        assert "x-amzn-RateLimit-Limit" not in polls[-1].headers
        clock.advance(0.5)
        assert (
            HTTP.get(
                f"{running.url}{REPORTS}/{report_id}", headers={"x-amz-access-token": token}
            ).status_code
            == 200
        )
        clock.advance(0.5)
        unknown = HTTP.get(f"{running.url}{REPORTS}/1", headers={"x-amz-access-token": token})
        assert (unknown.status_code, unknown.json()["errors"][0]["code"]) == (404, "NotFound")
        counts = running.requests_by_operation()
        assert counts["createReport"] == 16
        assert counts["getReport"] == 18
