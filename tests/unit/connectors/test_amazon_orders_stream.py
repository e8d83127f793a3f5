"""AmazonOrdersStream: searchOrders requests, paging, checkpoints, resume and errors."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from custsync.connectors.amazon import AmazonConnector, AmazonOrdersStream
from custsync.connectors.amazon.orders import (
    INCLUDED_DATA,
    ORDERS_PATH,
    SEARCH_ORDERS_QUOTA,
    plan_window,
)
from custsync.connectors.base import Cursor, Page, Stream
from custsync.errors import ConfigError, PayloadError
from custsync.records import Order, StreamName
from custsync.settings import AmazonAccount
from tests.unit.connectors.connector_fakes import NOW, SP_API, FakeClock, load_fixture, make_account

SEARCH_URL = f"{SP_API}{ORDERS_PATH}"
TOKEN_1 = "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4"
START = datetime(2026, 1, 2, 12, 0, 30, tzinfo=UTC)  # NOW − 30 days, whole seconds
END = datetime(2026, 2, 1, 11, 58, 30, tzinfo=UTC)  # NOW − 2 min, whole seconds
BASE_PARAMS = {
    "marketplaceIds": "ATVPDKIKX0DER,A2EUQ1WTGCTBG2",
    "lastUpdatedAfter": "2026-01-02T12:00:30Z",
    "lastUpdatedBefore": "2026-02-01T11:58:30Z",
    "maxResultsPerPage": "100",
    "includedData": "BUYER,RECIPIENT,PROCEEDS,PROMOTION,FULFILLMENT",
}


@pytest.fixture
def connector(connector: AmazonConnector) -> AmazonConnector:
    """These tests are about searchOrders: no report backfill, whatever the gap."""
    connector.orders.report_gap = None
    return connector


@pytest.fixture
def connector_for(
    connector_for: Callable[[AmazonAccount], AmazonConnector],
) -> Callable[[AmazonAccount], AmazonConnector]:
    def build(account: AmazonAccount) -> AmazonConnector:
        built = connector_for(account)
        built.orders.report_gap = None
        return built

    return build


def fixture_response(name: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=load_fixture(name))


def sent_params(route: respx.Route) -> list[dict[str, str]]:
    return [dict(call.request.url.params) for call in route.calls]


def read_all(stream: Stream, cursor: Cursor) -> list[Page]:
    return list(stream.read(cursor, now=NOW))


def order_ids(pages: list[Page]) -> list[str]:
    return [r.order_id for page in pages for r in page.records if isinstance(r, Order)]


def test_first_sync_pages_through_the_backfill_window(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    route = router.get(SEARCH_URL).mock(
        side_effect=[
            fixture_response("searchOrders.200.json"),
            fixture_response("searchOrders.200.sandbox-2.json"),
        ]
    )
    pages = read_all(connector.streams[StreamName.ORDERS], Cursor())
    assert sent_params(route) == [BASE_PARAMS, {**BASE_PARAMS, "paginationToken": TOKEN_1}]
    for call in route.calls:
        assert call.request.headers["x-amz-access-token"] == "Atza|AccessTokenOne"
    assert order_ids(pages) == ["123-4567890-1234567", "202-7654321-1098765"]
    assert pages[0].checkpoint == Cursor(
        position=None,
        window_end=END,
        page_token=TOKEN_1,
        extra={"window_start": START.isoformat()},
    )
    assert pages[1].checkpoint == Cursor(position=END)
    assert [page.requests for page in pages] == [2, 1]  # LWA token + searchOrders, then one
    assert all(page.rejects == [] for page in pages)


def test_incremental_sync_overlaps_ten_minutes(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    route = router.get(SEARCH_URL).mock(
        return_value=fixture_response("searchOrders.200.sandbox-2.json")
    )
    position = datetime(2026, 2, 1, 11, 0, tzinfo=UTC)
    pages = read_all(connector.orders, Cursor(position=position))
    (params,) = sent_params(route)
    assert params["lastUpdatedAfter"] == "2026-02-01T10:50:00Z"
    assert params["lastUpdatedBefore"] == "2026-02-01T11:58:30Z"
    assert pages[-1].checkpoint == Cursor(position=END)


def test_resume_after_crash_uses_the_saved_token_and_window(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    saved = Cursor(
        position=datetime(2025, 12, 1, tzinfo=UTC),
        window_end=END,
        page_token=TOKEN_1,
        extra={"window_start": START.isoformat()},
    )
    route = router.get(SEARCH_URL).mock(
        return_value=fixture_response("searchOrders.200.sandbox-3.json")
    )
    later = NOW + timedelta(hours=5)
    pages = list(connector.orders.read(Cursor.from_json(saved.to_json()), now=later))
    assert sent_params(route) == [{**BASE_PARAMS, "paginationToken": TOKEN_1}]
    assert order_ids(pages) == ["171-2345678-9012345"]
    assert pages[-1].checkpoint == Cursor(position=END)  # the saved end, not later − 2 min


def test_mid_window_checkpoint_keeps_the_old_position(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    router.get(SEARCH_URL).mock(return_value=fixture_response("searchOrders.200.json"))
    position = datetime(2026, 1, 31, tzinfo=UTC)
    first = next(iter(connector.orders.read(Cursor(position=position), now=NOW)))
    assert first.checkpoint.position == position
    assert first.checkpoint.is_mid_window
    assert first.checkpoint.page_token == TOKEN_1


def test_rejected_resume_token_restarts_the_window(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    saved = Cursor(window_end=END, page_token="expired", extra={"window_start": START.isoformat()})
    route = router.get(SEARCH_URL).mock(
        side_effect=[
            fixture_response("searchOrders.400.sandbox-1.json", 400),
            fixture_response("searchOrders.200.json"),
            fixture_response("searchOrders.200.sandbox-2.json"),
        ]
    )
    pages = read_all(connector.orders, saved)
    assert sent_params(route) == [
        {**BASE_PARAMS, "paginationToken": "expired"},
        BASE_PARAMS,
        {**BASE_PARAMS, "paginationToken": TOKEN_1},
    ]
    assert len(pages) == 2
    assert pages[0].requests == 3  # token, the rejected page, the restarted page
    assert pages[-1].checkpoint == Cursor(position=END)


def test_a_second_rejected_token_is_a_config_error(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    saved = Cursor(window_end=END, page_token="expired", extra={"window_start": START.isoformat()})
    router.get(SEARCH_URL).mock(
        side_effect=[
            fixture_response("searchOrders.400.sandbox-1.json", 400),
            fixture_response("searchOrders.200.json"),
            fixture_response("searchOrders.400.sandbox-1.json", 400),
        ]
    )
    with pytest.raises(ConfigError, match=r"searchOrders rejected: HTTP 400 \(InvalidInput\)"):
        read_all(connector.orders, saved)


def test_search_orders_400_fixture_is_a_clear_config_error(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    router.get(SEARCH_URL).mock(
        return_value=fixture_response("searchOrders.400.sandbox-1.json", 400)
    )
    with pytest.raises(ConfigError) as caught:
        read_all(connector.orders, Cursor())
    assert str(caught.value) == (
        "account amazon-na: searchOrders rejected: HTTP 400 (InvalidInput)"
    )


def test_get_order_400_fixture_is_a_clear_config_error(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    router.get(f"{SEARCH_URL}/TEST_CASE_400").mock(
        return_value=fixture_response("getOrder.400.sandbox-1.json", 400)
    )
    with pytest.raises(ConfigError, match=r"getOrder rejected: HTTP 400 \(InvalidInput\)$"):
        connector.orders.fetch_order("TEST_CASE_400")


@pytest.mark.parametrize(
    ("name", "order_id"),
    [
        ("getOrder.200.json", "202-1234567-8901234"),
        ("getOrder.200.sandbox-1.json", "171-9876543-2109876"),
        ("getOrder.200.sandbox-2.json", "028-1234567-8901234"),
        ("getOrder.200.sandbox-3.json", "114-9876543-1234567"),
    ],
)
def test_fetch_order_reads_get_order(
    connector: AmazonConnector, router: respx.MockRouter, name: str, order_id: str
) -> None:
    route = router.get(f"{SEARCH_URL}/{order_id}").mock(return_value=fixture_response(name))
    order = connector.orders.fetch_order(order_id)
    assert isinstance(order, Order)
    assert order.order_id == order_id
    assert dict(route.calls.last.request.url.params) == {"includedData": INCLUDED_DATA}
    assert route.calls.last.request.headers["x-amz-access-token"] == "Atza|AccessTokenOne"


def test_every_search_fixture_reads_as_one_page(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    names = ["searchOrders.200.sandbox-1.json", "searchOrders.200.sandbox-3.json"]
    router.get(SEARCH_URL).mock(side_effect=[fixture_response(n) for n in names])
    pages = read_all(connector.orders, Cursor())
    assert order_ids(pages) == ["250-1234567-8901234", "171-2345678-9012345"]


def test_tokens_with_reserved_characters_are_encoded_once(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    token = "a+b/c==&x"
    first = load_fixture("searchOrders.200.json")
    first["pagination"] = {"nextToken": token}
    route = router.get(SEARCH_URL).mock(
        side_effect=[
            httpx.Response(200, json=first),
            fixture_response("searchOrders.200.sandbox-2.json"),
        ]
    )
    read_all(connector.orders, Cursor())
    assert route.calls.last.request.url.params["paginationToken"] == token


def test_a_repeated_token_is_refused(connector: AmazonConnector, router: respx.MockRouter) -> None:
    router.get(SEARCH_URL).mock(return_value=fixture_response("searchOrders.200.json"))
    with pytest.raises(PayloadError, match="pagination token twice"):
        read_all(connector.orders, Cursor())


def test_nothing_to_read_when_the_position_is_recent(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    route = router.get(SEARCH_URL)
    assert read_all(connector.orders, Cursor(position=NOW + timedelta(minutes=10))) == []
    assert route.call_count == 0


def test_reading_the_same_window_twice_gives_the_same_records(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    router.get(SEARCH_URL).mock(return_value=fixture_response("searchOrders.200.sandbox-2.json"))
    first = read_all(connector.orders, Cursor(position=START))
    second = read_all(connector.orders, Cursor(position=START))
    assert [(p.records, p.checkpoint) for p in first] == [(p.records, p.checkpoint) for p in second]


def test_rate_limited_page_waits_and_retries(
    connector: AmazonConnector, router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.get(SEARCH_URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}),
            fixture_response("searchOrders.200.sandbox-2.json"),
        ]
    )
    pages = read_all(connector.orders, Cursor())
    assert route.call_count == 2
    assert clock.sleeps == [3.0]
    assert pages[0].requests == 3
    ops = connector.stats.snapshot()
    assert (ops["searchOrders"].rate_limited, ops["searchOrders"].retries) == (1, 1)


def test_malformed_envelope_is_a_payload_error(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    router.get(SEARCH_URL).mock(return_value=httpx.Response(200, json={"orders": "nope"}))
    with pytest.raises(PayloadError, match="searchOrders response does not fit"):
        read_all(connector.orders, Cursor())


def test_plan_window_never_ends_after_now_minus_two_minutes() -> None:
    window = plan_window(Cursor(position=START), now=NOW, backfill_days=730)
    assert window is not None
    assert window.end == END
    assert window.start == START - timedelta(minutes=10)
    first = plan_window(Cursor(), now=NOW, backfill_days=730)
    assert first is not None
    assert first.start == datetime(2024, 2, 2, 12, 0, 30, tzinfo=UTC)


def test_search_orders_quota_is_published_values() -> None:
    assert AmazonOrdersStream.quota == SEARCH_ORDERS_QUOTA
    assert (SEARCH_ORDERS_QUOTA.rate_per_s, SEARCH_ORDERS_QUOTA.burst) == (0.0056, 20)


def test_eu_account_uses_its_region_and_quota_scale(
    connector_for: Callable[[AmazonAccount], AmazonConnector],
    router: respx.MockRouter,
    token_route: respx.Route,
) -> None:
    account = make_account(region="eu", marketplace_ids=["A1F83G8C2ARO7P"], quota_scale=50)
    route = router.get(f"https://sellingpartnerapi-eu.amazon.com{ORDERS_PATH}").mock(
        return_value=fixture_response("searchOrders.200.sandbox-2.json")
    )
    connector = connector_for(account)
    read_all(connector.orders, Cursor())
    assert route.calls.last.request.url.params["marketplaceIds"] == "A1F83G8C2ARO7P"
    bucket = connector._http.bucket(SEARCH_ORDERS_QUOTA)
    assert bucket.rate_per_s == pytest.approx(0.28)
