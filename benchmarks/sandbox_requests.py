"""Sandbox figures: world generation at scale, and what a full read of a world costs in requests.

    python benchmarks/sandbox_requests.py                  # 1,000,000-order generation + 10k read
    python benchmarks/sandbox_requests.py --generate 100000 --orders 2000

1. Generation: ``World.iter_orders()`` over ``--generate`` orders, then ``write_truth`` of the
   same world, each in a fresh process (wall time, CPU time, peak RSS).
2. A full read of an ``--orders`` world, as a careful client does it, counting requests per
   operation (``RunningSandbox.requests_by_operation``) and converting them into the time the
   published quotas need (``(requests - burst) / rate``; GraphQL in cost points):
   Amazon: all-orders reports in 30-day windows, merchant returns in 60-day windows, one FBA
   returns report, one feedback report per marketplace; and, for comparison, the same year of
   orders through ``searchOrders`` (100 per page). Shopify: REST ``status=any`` at 250 per page;
   and GraphQL at 50 per page. eBay: getOrders at 200, returns (open and closed), feedback.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import multiprocessing
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from pace import peak_mb

from custsync.sandbox import World, ebay_api, quota, shopify_api, start_sandbox, write_truth
from custsync.sandbox.catalog import AMAZON_ACCOUNTS
from custsync.sandbox.lwa import credentials_for
from custsync.sandbox.server import RequestLogEntry

SEED = 7
FIRST = datetime(2025, 10, 31, tzinfo=UTC)
LAST = datetime(2026, 11, 2, tzinfo=UTC)
REPORTS = "/reports/2021-06-30/reports"
ORDERS_REPORT = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
QUOTAS = {
    q.operation: q
    for q in (
        quota.SEARCH_ORDERS,
        quota.GET_ORDER,
        quota.CREATE_REPORT,
        quota.GET_REPORT,
        quota.GET_REPORTS,
        quota.GET_REPORT_DOCUMENT,
    )
}
QUOTAS |= {
    "shopify.orders": quota.SHOPIFY_REST,
    "ebay.token": quota.EBAY_TOKEN,
    "ebay.getOrders": quota.EBAY_FULFILLMENT,
    "ebay.searchReturns": quota.EBAY_POST_ORDER,
    "ebay.getFeedback": quota.EBAY_FEEDBACK,
}
GRAPHQL_QUERY = """query($cursor: String) { orders(first: 50, after: $cursor) {
  nodes { id name updatedAt displayFinancialStatus discountCodes
    customer { id email firstName lastName phone }
    totalPriceSet { shopMoney { amount currencyCode } }
    lineItems(first: 5) { nodes { sku quantity } }
    refunds(first: 1) { refundLineItems(first: 5) { nodes { quantity } } } }
  pageInfo { hasNextPage endCursor } } }"""


# ---------------------------------------------------------------- generation


def _generate(orders: int, with_truth: bool, out: multiprocessing.Queue) -> None:  # type: ignore[type-arg]
    wall, cpu = time.perf_counter(), time.process_time()
    if with_truth:
        with tempfile.TemporaryDirectory() as folder:
            write_truth(World(SEED, orders), Path(folder))
    else:
        for _ in World(SEED, orders).iter_orders():
            pass
    out.put((time.perf_counter() - wall, time.process_time() - cpu, peak_mb()))


def measure_generation(orders: int) -> None:
    print(f"World generation, {orders:,} orders (seed {SEED}), each in a fresh process:")
    for label, with_truth in (("iter_orders()", False), ("write_truth()", True)):
        queue: multiprocessing.Queue = multiprocessing.Queue()  # type: ignore[type-arg]
        child = multiprocessing.Process(target=_generate, args=(orders, with_truth, queue))
        child.start()
        wall_s, cpu_s, peak = queue.get()
        child.join()
        print(f"  {label:<15} wall {wall_s:6.1f} s   cpu {cpu_s:6.1f} s   peak RSS {peak:5.0f} MB")


# ---------------------------------------------------------------- a full read


def _windows(days: int) -> Iterator[tuple[str, str]]:
    start = FIRST
    while start < LAST:
        end = min(start + timedelta(days=days), LAST)
        yield start.strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ")
        start = end


def _amazon_token(client: httpx.Client, url: str, account_id: str) -> str:
    credentials = credentials_for(next(a for a in AMAZON_ACCOUNTS if a.id == account_id))
    form = {
        "grant_type": "refresh_token",
        "refresh_token": credentials.refresh_token,
        "client_id": credentials.client_id,
        "client_secret": credentials.client_secret,
    }
    return str(client.post(url + "/auth/o2/token", data=form).json()["access_token"])


def _report(
    client: httpx.Client, url: str, token: str, report_type: str, marketplaces: list[str],
    window: tuple[str, str],
) -> int:  # fmt: skip
    """Create, poll, fetch; the number of rows (0 when cancelled)."""
    headers = {"x-amz-access-token": token}
    body = {"reportType": report_type, "marketplaceIds": marketplaces,
            "dataStartTime": window[0], "dataEndTime": window[1]}  # fmt: skip
    report_id = client.post(url + REPORTS, json=body, headers=headers).json()["reportId"]
    while True:
        report = client.get(f"{url}{REPORTS}/{report_id}", headers=headers).json()
        if report["processingStatus"] in ("DONE", "CANCELLED", "FATAL"):
            break
    if report["processingStatus"] != "DONE":
        return 0
    document_id = report["reportDocumentId"]
    meta = client.get(f"{url}/reports/2021-06-30/documents/{document_id}", headers=headers)
    text = gzip.decompress(client.get(meta.json()["url"]).content).decode()
    return sum(1 for _ in csv.reader(io.StringIO(text), delimiter="\t")) - 1


def read_amazon(client: httpx.Client, url: str) -> None:
    marketplaces = {a.id: list(a.marketplace_ids) for a in AMAZON_ACCOUNTS}
    for account_id, ids in marketplaces.items():
        token = _amazon_token(client, url, account_id)
        for window in _windows(30):
            _report(
                client,
                url,
                token,
                "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
                ids,
                window,
            )
        for window in _windows(60):
            _report(client, url, token, "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE", ids, window)
        year = (FIRST.strftime("%Y-%m-%dT%H:%M:%SZ"), LAST.strftime("%Y-%m-%dT%H:%M:%SZ"))
        _report(client, url, token, "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA", ids, year)
        for marketplace in ids:
            _report(client, url, token, "GET_SELLER_FEEDBACK_DATA", [marketplace], year)


def read_amazon_search(client: httpx.Client, url: str) -> None:
    for account in AMAZON_ACCOUNTS:
        headers = {"x-amz-access-token": _amazon_token(client, url, account.id)}
        params = {"lastUpdatedAfter": "2025-10-31T00:00:00Z", "maxResultsPerPage": "100",
                  "includedData": "BUYER,RECIPIENT,PROCEEDS,PROMOTION,FULFILLMENT"}  # fmt: skip
        query = dict(params)
        while True:
            body = client.get(
                url + "/orders/2026-01-01/orders", params=query, headers=headers
            ).json()
            token = body.get("pagination", {}).get("nextToken")
            if token is None:
                break
            query = {**params, "paginationToken": token}


def read_shopify(client: httpx.Client, url: str, *, graphql: bool) -> None:
    headers = {"X-Shopify-Access-Token": shopify_api.ACCESS_TOKEN}
    if graphql:
        cursor = None
        while True:
            body = client.post(
                url + "/admin/api/2026-07/graphql.json",
                json={"query": GRAPHQL_QUERY, "variables": {"cursor": cursor}},
                headers=headers,
            ).json()
            page = body["data"]["orders"]["pageInfo"]
            if not page["hasNextPage"]:
                return
            cursor = page["endCursor"]
    next_url: str | None = url + "/admin/api/2026-07/orders.json?status=any&limit=250"
    while next_url:
        next_url = client.get(next_url, headers=headers).links.get("next", {}).get("url")


def read_ebay(client: httpx.Client, url: str) -> None:
    token = client.post(
        url + ebay_api.TOKEN_PATH,
        auth=(ebay_api.CLIENT_ID, ebay_api.CLIENT_SECRET),
        data={"grant_type": "refresh_token", "refresh_token": ebay_api.REFRESH_TOKEN},
    ).json()["access_token"]
    reads = [
        (ebay_api.ORDERS_PATH, {"filter": "lastmodifieddate:[2025-01-01T00:00:00.000Z..]"},
         "Bearer"),
        (ebay_api.RETURNS_PATH, {"return_state": "ALL_OPEN"}, "IAF"),
        (ebay_api.RETURNS_PATH, {"return_state": "CLOSED"}, "IAF"),
        (ebay_api.FEEDBACK_PATH, {"user_id": "custsync_sandbox_seller",
                                  "feedback_type": "FEEDBACK_RECEIVED"}, "Bearer"),
    ]  # fmt: skip
    for path, params, scheme in reads:
        headers = {"Authorization": f"{scheme} {token}", "X-EBAY-C-MARKETPLACE-ID": "EBAY_US"}
        offset = 0
        while True:
            body = client.get(url + path, params={**params, "limit": "200", "offset": str(offset)},
                              headers=headers).json()  # fmt: skip
            items = body.get("orders") or body.get("members") or body.get("feedbackEntries") or []
            total = (
                body.get("total")
                or body.get("paginationOutput", {}).get("totalEntries")
                or (body.get("pagination", {}).get("total", 0))
            )
            offset += len(items)
            if not items or offset >= total:
                break


def measure_reads(orders: int) -> None:
    world = World(SEED, orders)
    counts: dict[str, int] = {}
    for order in world.iter_orders():
        counts[order.account.id] = counts.get(order.account.id, 0) + 1
    print(f"\nA full read of a {orders:,}-order world (seed {SEED}); orders per account: {counts}")
    paths = (
        ("Amazon through reports", read_amazon),
        ("Amazon orders through searchOrders (for comparison)", read_amazon_search),
        ("Shopify REST", lambda c, u: read_shopify(c, u, graphql=False)),
        ("Shopify GraphQL (for comparison)", lambda c, u: read_shopify(c, u, graphql=True)),
        ("eBay", read_ebay),
    )
    for label, read in paths:
        with (
            start_sandbox(world, time_scale=1_000_000) as running,
            httpx.Client(verify=False, timeout=60) as client,
        ):
            started = time.perf_counter()
            read(client, running.url)
            elapsed = time.perf_counter() - started
            _print_counts(label, list(running.request_log), elapsed)


def _print_counts(label: str, log: list[RequestLogEntry], elapsed_s: float) -> None:
    """Requests per operation; the quota time is per account (accounts sync side by side):
    the slowest account's ``(requests - burst) / rate``."""
    per_account: dict[tuple[str, str], int] = {}
    for entry in log:
        key = (entry.operation, entry.account or "-")
        per_account[key] = per_account.get(key, 0) + 1
    print(f"\n  {label} (served in {elapsed_s:.1f} s at time_scale 1e6)")
    print(f"    {'operation':<24}{'requests':>9}   API time under the published quota")
    for operation in sorted({op for op, _ in per_account}):
        counts = {a: n for (op, a), n in per_account.items() if op == operation}
        spec = QUOTAS.get(operation)
        if spec is None:
            note = "no published quota"
        else:
            seconds = max(max(0.0, (n - spec.burst) / spec.rate_per_s) for n in counts.values())
            note = f"{seconds / 60:7.1f} min  ({spec.rate_per_s:g}/s, burst {spec.burst})"
        print(f"    {operation:<24}{sum(counts.values()):>9}   {note}")
    if any(op == "shopify.graphql" for op, _ in per_account):
        print("    (GraphQL is limited by query cost: 100 points/s, bucket 2000)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--generate", type=int, default=1_000_000, help="orders to generate (0: skip)"
    )
    parser.add_argument("--orders", type=int, default=10_000, help="orders of the world to read")
    args = parser.parse_args()
    if args.generate:
        measure_generation(args.generate)
    if args.orders:
        measure_reads(args.orders)
    print(json.dumps({"seed": SEED, "generate": args.generate, "orders": args.orders}))


if __name__ == "__main__":
    main()
