"""The Amazon sandbox over HTTP: LWA, searchOrders/getOrder in the official shape, paging,
the 2-minute rule, quotas, and an independent reader checking the truth against the API."""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from custsync.sandbox import RunningSandbox, World, start_sandbox, write_accounts_file
from custsync.sandbox.lwa import CLIENT_ID, CLIENT_SECRET
from custsync.settings import AmazonAccount, load_accounts
from tests.unit.sandbox.sandbox_helpers import ALL_DATA, HTTP, FakeClock, access_token, search_all

FIXTURES = Path(__file__).parents[4] / "shared" / "fixtures" / "amazon-sp-api" / "orders-2026-01-01"
ORDERS = "/orders/2026-01-01/orders"
SINCE = {"createdAfter": "2025-10-01T00:00:00Z", "includedData": ALL_DATA}


@dataclass
class _Tally:
    """One person's orders, units, amount, discount and codes in one account and currency."""

    orders: int = 0
    units: int = 0
    spent: Decimal = Decimal(0)
    discount: Decimal = Decimal(0)
    codes: set[str] = field(default_factory=set)


@pytest.fixture(scope="module")
def na_token(sandbox: RunningSandbox) -> str:
    return access_token(sandbox.url, "amazon-na")


def _get(sandbox: RunningSandbox, path: str, token: str | None, **params: str) -> httpx.Response:
    headers = {"x-amz-access-token": token} if token else {}
    return HTTP.get(sandbox.url + path, params=params, headers=headers)


# ---------------------------------------------------------------- LWA


def test_refresh_token_gives_a_bearer_access_token(sandbox: RunningSandbox) -> None:
    token = access_token(sandbox.url, "amazon-eu")
    assert token.startswith("Atza|")


def test_unknown_refresh_token_is_invalid_grant(sandbox: RunningSandbox) -> None:
    response = HTTP.post(
        sandbox.url + "/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "Atzr|revoked",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
        },
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_wrong_client_secret_is_invalid_client(sandbox: RunningSandbox) -> None:
    response = HTTP.post(
        sandbox.url + "/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": "Atzr|custsync-sandbox-amazon-na",
            "client_id": CLIENT_ID,
            "client_secret": "expired",
        },
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("token", [None, "Atza|forged"])
def test_orders_without_a_valid_access_token_are_denied(
    sandbox: RunningSandbox, token: str | None
) -> None:
    response = _get(sandbox, ORDERS, token, createdAfter="2026-01-01T00:00:00Z")
    assert response.status_code == 403
    assert response.json() == {
        "errors": [
            {
                "code": "Unauthorized",
                "message": "Access to requested resource is denied.",
                "details": "",
            }
        ]
    }


# ---------------------------------------------------------------- shape


def _shape(node: object, path: str, into: dict[str, set[str]]) -> None:
    """path → type names and, for objects, keys (list items share the path ``[]``)."""
    into.setdefault(path, set()).add(type(node).__name__)
    if isinstance(node, dict):
        for key, value in node.items():
            into.setdefault(path + "{}", set()).add(key)
            _shape(value, f"{path}.{key}", into)
    elif isinstance(node, list):
        for item in node:
            _shape(item, path + "[]", into)


def _official_order_shape() -> dict[str, set[str]]:
    shape: dict[str, set[str]] = {}
    for file in sorted(FIXTURES.glob("*.200*.json")):
        body = json.loads(file.read_text(encoding="utf-8"))
        for order in body.get("orders", [body.get("order")]):
            _shape(order, "order", shape)
    return shape


def test_search_and_get_answer_in_the_official_shape(
    sandbox: RunningSandbox, na_token: str
) -> None:
    official = _official_order_shape()
    response = _get(sandbox, ORDERS, na_token, maxResultsPerPage="100", **SINCE)
    assert response.status_code == 200
    body = response.json()
    assert set(body) <= {"orders", "pagination", "createdBefore"}
    assert set(body["pagination"]) == {"nextToken"}
    ours: dict[str, set[str]] = {}
    for order in body["orders"]:
        _shape(order, "order", ours)
    single = _get(
        sandbox, f"{ORDERS}/{body['orders'][0]['orderId']}", na_token, includedData=ALL_DATA
    )
    assert single.status_code == 200
    assert set(single.json()) == {"order"}
    _shape(single.json()["order"], "order", ours)
    for path, found in ours.items():
        assert path in official, f"{path} is not in the official payloads"
        assert found <= official[path], f"{path}: {found - official[path]} not official"
    for section in ("buyer", "recipient", "proceeds", "fulfillment", "orderItems"):
        assert f"order.{section}" in ours


def test_included_data_selects_the_sections(sandbox: RunningSandbox, na_token: str) -> None:
    bare = _get(sandbox, ORDERS, na_token, createdAfter=SINCE["createdAfter"]).json()["orders"]
    assert all(not {"buyer", "recipient", "proceeds", "fulfillment"} & set(o) for o in bare)
    assert all("orderItems" in o and "salesChannel" in o for o in bare)
    buyer_only = _get(
        sandbox, ORDERS, na_token, createdAfter=SINCE["createdAfter"], includedData="BUYER"
    ).json()["orders"]
    assert any("buyer" in o for o in buyer_only)
    assert all("recipient" not in o and "proceeds" not in o for o in buyer_only)


def test_fba_orders_carry_no_buyer_email(sandbox: RunningSandbox, na_token: str) -> None:
    orders = search_all(sandbox.url, na_token, SINCE)
    fba = [o for o in orders if o["fulfillment"]["fulfilledBy"] == "AMAZON"]
    assert fba
    assert all("buyerEmail" not in o.get("buyer", {}) for o in fba)


def test_get_order_of_unknown_or_foreign_id_is_not_found(
    sandbox: RunningSandbox, na_token: str, world: World
) -> None:
    eu_order = next(o for o in world.iter_orders() if o.account.id == "amazon-eu")
    for order_id in ("999-0000000-0000000", eu_order.order_id):
        response = _get(sandbox, f"{ORDERS}/{order_id}", na_token)
        assert response.status_code == 404
        assert response.json()["errors"][0]["code"] == "NotFound"


# ---------------------------------------------------------------- paging and rules


@pytest.mark.parametrize("account_id", ["amazon-na", "amazon-eu"])
def test_paging_returns_every_order_exactly_once(
    sandbox: RunningSandbox, world: World, account_id: str
) -> None:
    token = access_token(sandbox.url, account_id)
    orders = search_all(
        sandbox.url, token, {"lastUpdatedAfter": "2025-01-01T00:00:00Z"}, page_size=7
    )
    ids = [order["orderId"] for order in orders]
    assert len(ids) == len(set(ids))
    assert set(ids) == {o.order_id for o in world.iter_orders() if o.account.id == account_id}
    keys = [(o["lastUpdatedTime"], o["orderId"]) for o in orders]
    assert keys == sorted(keys)


def test_changed_parameters_invalidate_the_pagination_token(
    sandbox: RunningSandbox, na_token: str
) -> None:
    first = _get(sandbox, ORDERS, na_token, maxResultsPerPage="5", **SINCE).json()
    token = first["pagination"]["nextToken"]
    same = _get(sandbox, ORDERS, na_token, paginationToken=token, maxResultsPerPage="9", **SINCE)
    assert same.status_code == 200
    moved = _get(
        sandbox, ORDERS, na_token, paginationToken=token, createdAfter="2025-10-02T00:00:00Z"
    )
    assert moved.status_code == 400
    assert moved.json()["errors"][0]["code"] == "InvalidInput"


@pytest.mark.parametrize(
    "params",
    [
        {},
        {"createdAfter": "2026-01-01T00:00:00Z", "lastUpdatedAfter": "2026-01-01T00:00:00Z"},
        {"createdAfter": "2026-01-01T00:00:00Z", "lastUpdatedBefore": "2026-02-01T00:00:00Z"},
        {"createdAfter": "yesterday"},
        {"createdAfter": "2026-01-01T00:00:00Z", "maxResultsPerPage": "101"},
        {"createdAfter": "2026-01-01T00:00:00Z", "marketplaceIds": "A1PA6795UKMFR9"},
        {"createdAfter": "2026-01-01T00:00:00Z", "includedData": "EVERYTHING"},
        {"createdAfter": "2026-01-01T00:00:00Z", "paginationToken": "bm90IGEgdG9rZW4"},
    ],
)
def test_invalid_parameters_are_rejected(
    sandbox: RunningSandbox, na_token: str, params: dict[str, str]
) -> None:
    response = _get(sandbox, ORDERS, na_token, **params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "InvalidInput"


def test_before_must_be_two_minutes_before_now(world: World) -> None:
    clock = FakeClock()
    with start_sandbox(world, clock=clock) as running:
        token = access_token(running.url, "amazon-na")
        for lag_s, status in ((60, 400), (119, 400), (121, 200)):
            before = (clock.now - timedelta(seconds=lag_s)).strftime("%Y-%m-%dT%H:%M:%SZ")
            response = _get(
                running,
                ORDERS,
                token,
                lastUpdatedAfter="2026-10-01T00:00:00Z",
                lastUpdatedBefore=before,
            )
            assert response.status_code == status, lag_s
        body = _get(running, ORDERS, token, lastUpdatedAfter="2026-10-31T00:00:00Z").json()
        assert body["lastUpdatedBefore"] == (clock.now - timedelta(minutes=2)).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )


def test_a_window_end_shows_orders_as_they_stood_then(
    sandbox: RunningSandbox, world: World
) -> None:
    token = access_token(sandbox.url, "amazon-na")
    order = next(
        o
        for o in world.iter_orders()
        if o.account.id == "amazon-na" and len(o.history) == 3 and o.history[2].status == "SHIPPED"
    )
    pending_until = order.history[1].at_s - 1
    before = order.history[0].at_s
    params = {
        "createdAfter": _iso(before),
        "createdBefore": _iso(pending_until),
        "includedData": "FULFILLMENT",
    }
    orders = search_all(sandbox.url, token, params)
    seen = next(o for o in orders if o["orderId"] == order.order_id)
    assert seen["fulfillment"]["fulfillmentStatus"] == "PENDING"
    assert seen["lastUpdatedTime"] == seen["createdTime"]


def _iso(epoch_s: int) -> str:
    from custsync.sandbox.orders import iso

    return iso(epoch_s)


# ---------------------------------------------------------------- quotas


def test_search_orders_bursts_twenty_then_is_throttled(world: World) -> None:
    clock = FakeClock()
    with start_sandbox(world, clock=clock) as running:
        token = access_token(running.url, "amazon-na")
        params = {"createdAfter": "2026-10-31T00:00:00Z"}
        statuses = [_get(running, ORDERS, token, **params).status_code for _ in range(20)]
        assert statuses == [200] * 20
        throttled = _get(running, ORDERS, token, **params)
        assert throttled.status_code == 429
        assert throttled.json() == {
            "errors": [
                {
                    "code": "QuotaExceeded",
                    "message": "You exceeded your quota for the requested resource.",
                    "details": "",
                }
            ]
        }
        assert "x-amzn-RateLimit-Limit" not in throttled.headers
        assert "x-amzn-RequestId" in throttled.headers
        clock.advance(1 / 0.0056)
        refilled = _get(running, ORDERS, token, **params)
        assert refilled.status_code == 200
        assert refilled.headers["x-amzn-RateLimit-Limit"] == "0.0056"
        assert _get(running, ORDERS, token, **params).status_code == 429
        eu_token = access_token(running.url, "amazon-eu")
        assert _get(running, ORDERS, eu_token, **params).status_code == 200  # own bucket
        assert running.requests_by_operation()["searchOrders"] == 24


def test_get_order_bursts_thirty_and_time_scale_speeds_refill(world: World) -> None:
    clock = FakeClock()
    order_id = next(o.order_id for o in world.iter_orders() if o.account.id == "amazon-na")
    with start_sandbox(world, clock=clock, time_scale=10) as running:
        token = access_token(running.url, "amazon-na")
        path = f"{ORDERS}/{order_id}"
        assert all(_get(running, path, token).status_code == 200 for _ in range(30))
        assert _get(running, path, token).status_code == 429
        clock.advance(0.2)  # 0.5/s x 10 = one token per 0.2 s
        ok = _get(running, path, token)
        assert ok.status_code == 200
        assert ok.headers["x-amzn-RateLimit-Limit"] == "5"
        logged = [e for e in running.request_log if e.operation == "getOrder"]
        assert [e.status for e in logged].count(429) == 1
        assert all(e.account == "amazon-na" and e.duration_ms >= 0 for e in logged)


# ---------------------------------------------------------------- determinism, accounts file


def test_same_seed_serves_identical_responses() -> None:
    bodies = []
    for _ in range(2):
        with start_sandbox(World(21, 300), clock=FakeClock()) as running:
            token = access_token(running.url, "amazon-eu")
            response = _get(running, ORDERS, token, maxResultsPerPage="10", **SINCE)
            bodies.append(response.content)
    assert bodies[0] == bodies[1]


def test_accounts_file_loads_and_logs_in(sandbox: RunningSandbox, tmp_path: Path) -> None:
    path = write_accounts_file(sandbox, tmp_path / "accounts.toml")
    accounts = load_accounts(path)
    assert [a.id for a in accounts] == ["amazon-na", "amazon-eu"]
    na = accounts[0]
    assert isinstance(na, AmazonAccount)
    assert na.is_sandbox
    assert na.region == "na"
    assert na.marketplace_ids == ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]
    assert na.endpoint == sandbox.url
    assert na.token_endpoint == sandbox.url + "/auth/o2/token"
    assert na.quota_scale == sandbox.time_scale
    response = HTTP.post(
        na.token_endpoint,
        data={
            "grant_type": "refresh_token",
            "refresh_token": na.refresh_token.resolve(na.id, "refresh_token"),
            "client_id": na.client_id.resolve(na.id, "client_id"),
            "client_secret": na.client_secret.resolve(na.id, "client_secret"),
        },
    )
    assert response.status_code == 200


# ---------------------------------------------------------------- independent reader


def test_independent_reader_reproduces_the_amazon_metrics(
    sandbox: RunningSandbox, truth_dir: Path
) -> None:
    """Re-derive orders, units, amount, discount and codes per person from the API alone."""
    with (truth_dir / "orders.csv").open(encoding="utf-8") as file:
        person_of = {row["order_id"]: row["person_id"] for row in csv.DictReader(file)}
    derived: dict[tuple[str, str, str], _Tally] = defaultdict(_Tally)
    for account_id in ("amazon-na", "amazon-eu"):
        token = access_token(sandbox.url, account_id)
        params = {"lastUpdatedAfter": "2024-01-01T00:00:00Z", "includedData": ALL_DATA}
        for order in search_all(sandbox.url, token, params):
            if order["fulfillment"]["fulfillmentStatus"] == "CANCELLED":
                continue
            total = order["proceeds"]["grandTotal"]
            tally = derived[(person_of[order["orderId"]], account_id, total["currencyCode"])]
            tally.orders += 1
            tally.units += sum(item["quantityOrdered"] for item in order["orderItems"])
            tally.spent += Decimal(total["amount"])
            for part in order["proceeds"]["breakdowns"]:
                if part["type"] == "DISCOUNT":
                    tally.discount -= Decimal(part["subtotal"]["amount"])
            for item in order["orderItems"]:
                for promo in item.get("promotion", {}).get("breakdowns", []):
                    tally.codes.add(promo["promotionId"])
    with (truth_dir / "metrics.csv").open(encoding="utf-8") as file:
        truth = [r for r in csv.DictReader(file) if r["account_id"].startswith("amazon")]
    assert truth
    compared = 0
    for row in truth:
        key = (row["person_id"], row["account_id"], row["currency"])
        tally = derived.get(key, _Tally())
        assert int(row["orders"]) == tally.orders, key
        assert int(row["units"]) == tally.units, key
        assert Decimal(row["amount_spent"]) == tally.spent, key
        assert Decimal(row["discount_received"]) == tally.discount, key
        assert row["promo_codes"] == ";".join(sorted(tally.codes)), key
        compared += 1
    assert compared == len(derived) + sum(1 for r in truth if r["orders"] == "0")


@pytest.mark.parametrize(("years_later", "days"), [(0, 2), (1, 367), (5, 730)])
def test_accounts_file_backfills_to_the_worlds_first_order_and_no_further(
    world: World, tmp_path: Path, years_later: int, days: int
) -> None:
    now = world.end + timedelta(days=365 * years_later)
    one_day = World(
        seed=world.seed, order_count=100, start=world.end - timedelta(days=1), end=world.end
    )
    with start_sandbox(one_day, clock=FakeClock(now)) as running:
        accounts = load_accounts(write_accounts_file(running, tmp_path / "accounts.toml"))
    assert [a.backfill_days for a in accounts if isinstance(a, AmazonAccount)] == [days, days]
