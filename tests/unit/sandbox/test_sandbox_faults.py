"""Fault profiles: each produces its faults, seeded so that the same requests meet the same
faults, and every fault reaches the client the way a real one would."""

from __future__ import annotations

import dataclasses

import httpx
import pytest

from custsync.sandbox import (
    PROFILES,
    FaultKind,
    FaultProfile,
    RunningSandbox,
    World,
    ebay_api,
    start_sandbox,
)
from custsync.sandbox.bad_records import BAD_DATE, UNKNOWN_STATUS
from custsync.sandbox.faults import REQUEST_FAULTS
from tests.unit.sandbox.sandbox_helpers import (
    ALL_DATA,
    HTTP,
    FakeClock,
    access_token,
    create_report,
    ebay_pages,
    ebay_token,
    poll_report,
    search_all,
    shopify_headers,
)

ORDERS = "/orders/2026-01-01/orders"
DOCUMENTS = "/reports/2021-06-30/documents"


@pytest.fixture(scope="module")
def order_id(world: World) -> str:
    return next(o.order_id for o in world.iter_orders() if o.account.id == "amazon-na")


def _serve(world: World, profile: FaultProfile | str) -> RunningSandbox:
    return start_sandbox(world, time_scale=100_000, clock=FakeClock(step_s=1), faults=profile)


def _hammer(
    running: RunningSandbox,
    order_id: str,
    count: int,
    timeout_s: float = 5,
    *,
    relogin: bool = True,
) -> list[str]:
    """``count`` getOrder calls; what the client saw each time (a 403 makes it log in again)."""
    token = access_token(running.url, "amazon-na")
    seen = []
    with httpx.Client(verify=False, timeout=timeout_s) as client:
        for _ in range(count):
            try:
                response = client.get(
                    f"{running.url}{ORDERS}/{order_id}", headers={"x-amz-access-token": token}
                )
                response.json()
                seen.append(str(response.status_code))
                if response.status_code == 403 and relogin:
                    token = access_token(running.url, "amazon-na")
            except httpx.TimeoutException:
                seen.append("timeout")
            except httpx.TransportError:
                seen.append("transport")
            except ValueError:
                seen.append("invalid-json")
    return seen


def test_the_cli_lists_exactly_the_profiles() -> None:
    from custsync.commands.sandbox import FAULT_PROFILES

    assert set(FAULT_PROFILES) == set(PROFILES)
    assert PROFILES["none"].rates == {}
    chaos = PROFILES["chaos"]
    for name in FAULT_PROFILES[1:-1]:
        for kind, rate in PROFILES[name].rates.items():
            assert chaos.rate(kind) == pytest.approx(rate / 3)


@pytest.mark.parametrize(
    ("profile", "kinds"),
    [
        ("rate-limits", {FaultKind.RATE_LIMIT_STORM}),
        ("server-errors", {FaultKind.SERVER_ERROR, FaultKind.SERVICE_UNAVAILABLE}),
        (
            dataclasses.replace(PROFILES["network"], slow_s=0.01),
            {
                FaultKind.DROPPED_CONNECTION,
                FaultKind.SLOW_RESPONSE,
                FaultKind.TRUNCATED_BODY,
                FaultKind.INVALID_JSON,
            },
        ),
        (dataclasses.replace(PROFILES["chaos"], slow_s=0.01), set(REQUEST_FAULTS)),
    ],
)
def test_request_profiles_produce_their_faults(
    world: World, order_id: str, profile: FaultProfile | str, kinds: set[FaultKind]
) -> None:
    with _serve(world, profile) as running:
        _hammer(running, order_id, 250)
        seen = running.faults_seen()
    assert {kind.value for kind in kinds} <= set(seen), seen
    assert set(seen) - {FaultKind.TOKEN_EXPIRED.value} <= {kind.value for kind in REQUEST_FAULTS}


def test_faults_reach_the_client_as_real_ones_do(world: World, order_id: str) -> None:
    expected = {
        FaultKind.RATE_LIMIT_STORM: "429",
        FaultKind.SERVER_ERROR: "500",
        FaultKind.SERVICE_UNAVAILABLE: "503",
        FaultKind.DROPPED_CONNECTION: "transport",
        FaultKind.TRUNCATED_BODY: "transport",
        FaultKind.INVALID_JSON: "invalid-json",
        FaultKind.SLOW_RESPONSE: "timeout",
    }
    for kind, outcome in expected.items():
        profile = FaultProfile("forced", {kind: 1.0}, slow_s=0.5)
        with _serve(world, profile) as running:
            assert _hammer(running, order_id, 2, timeout_s=0.2) == [outcome, outcome], kind
            statuses = [e.status for e in running.request_log if e.operation == "getOrder"]
            if kind is FaultKind.DROPPED_CONNECTION:
                assert statuses == [0, 0]


def test_storms_are_answered_in_each_marketplace_shape(world: World) -> None:
    storm = FaultProfile("storm", {FaultKind.RATE_LIMIT_STORM: 1.0})
    with _serve(world, storm) as running:
        shopify = HTTP.get(
            running.url + "/admin/api/2026-07/orders.json", headers=shopify_headers()
        )
        assert shopify.status_code == 429
        assert "Retry-After" in shopify.headers
        assert shopify.headers["X-Shopify-Shop-Api-Call-Limit"] == "40/40"
        graphql = HTTP.post(
            running.url + "/admin/api/2026-07/graphql.json",
            json={"query": "{ orders(first: 1) { nodes { id } } }"},
            headers=shopify_headers(),
        )
        assert graphql.json()["errors"][0]["extensions"]["code"] == "THROTTLED"
        token = ebay_token(running.url)
        ebay = HTTP.get(
            running.url + ebay_api.ORDERS_PATH, headers={"Authorization": f"Bearer {token}"}
        )
        assert (ebay.status_code, ebay.json()["errors"][0]["errorId"]) == (429, 2001)


def test_the_same_seed_meets_the_same_faults(world: World, order_id: str) -> None:
    runs = []
    for _ in range(2):
        with _serve(world, dataclasses.replace(PROFILES["chaos"], slow_s=0.01)) as running:
            _hammer(running, order_id, 120)
            runs.append([(e.operation, e.status, e.fault) for e in running.request_log])
    assert runs[0] == runs[1]
    assert any(fault for _, _, fault in runs[0])


def test_bad_records_violate_the_schema_the_same_way_every_time(world: World) -> None:
    profile = FaultProfile("often-bad", {FaultKind.BAD_RECORD: 0.2})
    with _serve(world, profile) as running:
        token = access_token(running.url, "amazon-na")
        params = {"lastUpdatedAfter": "2025-01-01T00:00:00Z", "includedData": ALL_DATA}
        first = search_all(running.url, token, params)
        again = search_all(running.url, token, params)
        assert first == again
        broken = {
            "missing-id": [o for o in first if "orderId" not in o],
            "bad-date": [o for o in first if o.get("createdTime") == BAD_DATE],
            "negative-quantity": [o for o in first if o["orderItems"][0]["quantityOrdered"] < 0],
            "unknown-status": [
                o for o in first if o["fulfillment"]["fulfillmentStatus"] == UNKNOWN_STATUS
            ],
        }
        assert all(broken.values()), {k: len(v) for k, v in broken.items()}
        shopify = HTTP.get(
            running.url + "/admin/api/2026-07/orders.json",
            params={"status": "any", "limit": "250"},
            headers=shopify_headers(),
        ).json()["orders"]
        assert any("id" not in o or o["created_at"] == BAD_DATE for o in shopify)


def test_paging_repeats_and_moves_records(world: World) -> None:
    with _serve(world, "paging") as running:
        token = access_token(running.url, "amazon-na")
        orders = search_all(
            running.url, token, {"lastUpdatedAfter": "2025-01-01T00:00:00Z"}, page_size=10
        )
        ids = [o["orderId"] for o in orders]
        assert len(ids) > len(set(ids))  # the same record on two pages
        stamps: dict[str, set[str]] = {}
        for order in orders:
            stamps.setdefault(order["orderId"], set()).add(order["lastUpdatedTime"])
        assert any(len(seen) > 1 for seen in stamps.values())  # updated while paging
        expected = {o.order_id for o in world.iter_orders() if o.account.id == "amazon-na"}
        assert set(ids) == expected  # nothing is lost: an idempotent reader is still right
        ebay = ebay_pages(
            running.url,
            ebay_api.ORDERS_PATH,
            ebay_token(running.url),
            {"filter": "lastmodifieddate:[2025-01-01T00:00:00.000Z..]", "limit": "3"},
            "orders",
        )
        assert len(ebay) > len({o["orderId"] for o in ebay})
        seen = running.faults_seen()
    assert {"duplicate-record", "updated-while-paging"} <= set(seen)


def test_tokens_die_early_under_the_auth_profile(world: World, order_id: str) -> None:
    with _serve(world, "auth") as running:
        outcomes = _hammer(running, order_id, 20, relogin=False)
        assert outcomes[0] == "200"
        assert "403" in outcomes
        died = outcomes.index("403")
        assert 3 <= died <= 12
        assert set(outcomes[died:]) == {"403"}
        token = access_token(running.url, "amazon-na")
        denied = [e for e in running.request_log if e.fault == "token-expired"]
        assert denied
        answer = HTTP.get(
            f"{running.url}{ORDERS}/{order_id}", headers={"x-amz-access-token": token}
        )
        assert answer.status_code == 200  # a fresh token works again
        expired = HTTP.get(
            f"{running.url}{ORDERS}/{order_id}",
            headers={"x-amz-access-token": _dead_token(running, order_id)},
        )
        assert (
            expired.json()["errors"][0]["details"] == "The access token you provided has expired."
        )


def _dead_token(running: RunningSandbox, order_id: str) -> str:
    token = access_token(running.url, "amazon-na")
    for _ in range(13):
        answer = HTTP.get(
            f"{running.url}{ORDERS}/{order_id}", headers={"x-amz-access-token": token}
        )
        if answer.status_code == 403:
            break
    return token


def test_reports_profile_fails_reports_and_expires_urls(world: World) -> None:
    with _serve(world, "reports") as running:
        token = access_token(running.url, "amazon-na")
        statuses, downloads = [], []
        for month in range(1, 10):
            start, end = f"2026-0{month}-01T00:00:00Z", f"2026-0{month}-28T00:00:00Z"
            report_type = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
            report = poll_report(
                running.url,
                token,
                create_report(running.url, token, report_type, ["ATVPDKIKX0DER"], start, end),
            )
            statuses.append(report["processingStatus"])
            meta = HTTP.get(
                f"{running.url}{DOCUMENTS}/{report['reportDocumentId']}",
                headers={"x-amz-access-token": token},
            ).json()
            downloads.append(HTTP.get(meta["url"]).status_code)
        assert "FATAL" in statuses
        assert "DONE" in statuses
        assert 403 in downloads
        assert 200 in downloads
        assert {"report-fatal", "document-url-expired"} <= set(running.faults_seen())
