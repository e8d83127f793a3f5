"""Helpers of the sandbox tests: a fake clock, logins, pagers for every served API."""

from __future__ import annotations

import csv
import gzip
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from custsync.records import AccountId
from custsync.sandbox import ebay_api, shopify_api
from custsync.sandbox.catalog import ACCOUNT_BY_ID
from custsync.sandbox.lwa import credentials_for

# One client for the whole session: ``httpx.get`` builds a TLS context per call (~30 ms), and
# the sandbox speaks plain HTTP on loopback.
HTTP = httpx.Client(verify=False, timeout=10.0)
SEED = 20261101
ORDERS = 600
AFTER_THE_WORLD = datetime(2026, 11, 20, tzinfo=UTC)


class FakeClock:
    """Returns ``now``; moves only when told to (or by ``step_s`` on every read)."""

    def __init__(self, now: datetime = AFTER_THE_WORLD, step_s: float = 0.0) -> None:
        self.now, self.step = now, timedelta(seconds=step_s)

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        return current

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def access_token(url: str, account_id: str) -> str:
    credentials = credentials_for(ACCOUNT_BY_ID[AccountId(account_id)])
    response = HTTP.post(
        f"{url}/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": credentials.refresh_token,
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        },
    )
    response.raise_for_status()
    token = response.json()["access_token"]
    assert isinstance(token, str)
    return token


ALL_DATA = "BUYER,RECIPIENT,PROCEEDS,PROMOTION,FULFILLMENT"


def search_all(
    url: str, token: str, params: dict[str, str], *, page_size: int = 100
) -> list[dict[str, Any]]:
    """Every order of a searchOrders query, following nextToken to the end."""
    orders: list[dict[str, Any]] = []
    query = {**params, "maxResultsPerPage": str(page_size)}
    with httpx.Client(verify=False, base_url=url, headers={"x-amz-access-token": token}) as client:
        while True:
            response = client.get("/orders/2026-01-01/orders", params=query)
            assert response.status_code == 200, response.text
            body = response.json()
            orders.extend(body["orders"])
            next_token = body.get("pagination", {}).get("nextToken")
            if next_token is None:
                return orders
            query = {**params, "maxResultsPerPage": str(page_size), "paginationToken": next_token}


# ---------------------------------------------------------------- reports, Shopify, eBay

REPORTS = "/reports/2021-06-30/reports"
DOCUMENTS = "/reports/2021-06-30/documents"
SHOPIFY_ORDERS = "/admin/api/2026-07/orders.json"
SHOPIFY_GRAPHQL = "/admin/api/2026-07/graphql.json"


def create_report(
    url: str, token: str, report_type: str, marketplaces: list[str], start: str, end: str
) -> str:
    body = {
        "reportType": report_type,
        "marketplaceIds": marketplaces,
        "dataStartTime": start,
        "dataEndTime": end,
    }
    response = HTTP.post(url + REPORTS, json=body, headers={"x-amz-access-token": token})
    assert response.status_code == 202, response.text
    report_id = response.json()["reportId"]
    assert isinstance(report_id, str)
    return report_id


def poll_report(url: str, token: str, report_id: str, *, max_polls: int = 10) -> dict[str, Any]:
    """getReport until a terminal status; the statuses seen are in ``["seen"]``."""
    seen = []
    for _ in range(max_polls):
        response = HTTP.get(f"{url}{REPORTS}/{report_id}", headers={"x-amz-access-token": token})
        assert response.status_code == 200, response.text
        report: dict[str, Any] = response.json()
        seen.append(report["processingStatus"])
        if report["processingStatus"] in ("DONE", "CANCELLED", "FATAL"):
            report["seen"] = seen
            return report
    raise AssertionError(f"report {report_id} still {seen[-1]} after {max_polls} polls")


def download(url: str, token: str, document_id: str) -> bytes:
    """getReportDocument, then the presigned URL; gunzipped when the document says GZIP."""
    meta = HTTP.get(f"{url}{DOCUMENTS}/{document_id}", headers={"x-amz-access-token": token})
    assert meta.status_code == 200, meta.text
    document = HTTP.get(meta.json()["url"])
    assert document.status_code == 200, document.text
    if meta.json().get("compressionAlgorithm") == "GZIP":
        return gzip.decompress(document.content)
    return document.content


def report_rows(
    url: str, token: str, report_type: str, marketplaces: list[str], start: str, end: str
) -> list[dict[str, str]]:
    """Rows of one report (empty when it was CANCELLED for want of data)."""
    report_id = create_report(url, token, report_type, marketplaces, start, end)
    report = poll_report(url, token, report_id)
    if report["processingStatus"] == "CANCELLED":
        return []
    assert report["processingStatus"] == "DONE", report
    text = download(url, token, report["reportDocumentId"]).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text), delimiter="\t", quoting=csv.QUOTE_NONE))


def shopify_headers() -> dict[str, str]:
    return {"X-Shopify-Access-Token": shopify_api.ACCESS_TOKEN}


def shopify_all_orders(url: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """Every order of a REST query, following ``Link: <...>; rel="next"``."""
    orders: list[dict[str, Any]] = []
    next_url: str | None = url + SHOPIFY_ORDERS
    query: dict[str, str] | None = params
    with httpx.Client(verify=False, headers=shopify_headers()) as client:
        while next_url:
            response = client.get(next_url, params=query)
            assert response.status_code == 200, response.text
            orders.extend(response.json()["orders"])
            next_url = response.links.get("next", {}).get("url")
            query = None
    return orders


def ebay_token(url: str) -> str:
    response = HTTP.post(
        url + ebay_api.TOKEN_PATH,
        auth=(ebay_api.CLIENT_ID, ebay_api.CLIENT_SECRET),
        data={"grant_type": "refresh_token", "refresh_token": ebay_api.REFRESH_TOKEN},
    )
    assert response.status_code == 200, response.text
    token = response.json()["access_token"]
    assert isinstance(token, str)
    return token


def ebay_pages(url: str, path: str, token: str, params: dict[str, str], key: str) -> list[Any]:
    """Every item of an offset-paged eBay answer, following ``next``."""
    items: list[Any] = []
    scheme = "IAF" if path.startswith("/post-order") else "Bearer"
    headers = {"Authorization": f"{scheme} {token}", "X-EBAY-C-MARKETPLACE-ID": "EBAY_US"}
    offset = 0
    with httpx.Client(verify=False, base_url=url, headers=headers) as client:
        while True:
            response = client.get(path, params={**params, "offset": str(offset)})
            assert response.status_code == 200, response.text
            body = response.json()
            items.extend(body[key])
            if not body[key] or len(items) >= _total(body):
                return items
            offset = len(items)


def _total(body: dict[str, Any]) -> int:
    for container in (body, body.get("pagination") or {}, body.get("paginationOutput") or {}):
        for name in ("total", "totalEntries"):
            if name in container:
                return int(container[name])
    raise AssertionError("no total in the answer")
