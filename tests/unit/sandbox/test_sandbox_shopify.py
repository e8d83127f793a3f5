"""Shopify Admin in the sandbox: REST orders in the official shape with cursor paging and the
leaky bucket, and the GraphQL ``orders`` query with cost-based throttling."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from custsync.sandbox import RunningSandbox, World, start_sandbox
from tests.unit.sandbox.sandbox_helpers import (
    HTTP,
    SEED,
    SHOPIFY_GRAPHQL,
    SHOPIFY_ORDERS,
    FakeClock,
    shopify_all_orders,
    shopify_headers,
)

FIXTURES = Path(__file__).parents[4] / "shared" / "fixtures" / "shopify" / "rest-2026-07"
ORDERS_QUERY = """
query Orders($cursor: String) {
  orders(first: 25, after: $cursor, sortKey: UPDATED_AT,
         query: "updated_at:>='2025-01-01T00:00:00Z'") {
    edges { cursor node {
      id name updatedAt displayFinancialStatus discountCodes
      customer { id email firstName lastName }
      totalPriceSet { shopMoney { amount currencyCode } }
      lineItems(first: 10) { nodes { sku quantity } }
      refunds { refundLineItems(first: 10) { nodes { quantity lineItem { sku } } } }
    } }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def _shape(node: object, path: str, into: dict[str, set[str]]) -> None:
    into.setdefault(path, set()).add(type(node).__name__)
    if isinstance(node, dict):
        for key, value in node.items():
            _shape(value, f"{path}.{key}", into)
    elif isinstance(node, list):
        for item in node:
            _shape(item, path + "[]", into)


def _official_shape() -> dict[str, set[str]]:
    shape: dict[str, set[str]] = {}
    for name in ("GET_orders.status_any.200.json", "GET_order_450789469.200.json"):
        body = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
        for order in body.get("orders", [body.get("order")]):
            _shape(order, "order", shape)
    return shape


def _graphql(url: str, query: str, **variables: object) -> httpx.Response:
    return HTTP.post(
        url + SHOPIFY_GRAPHQL,
        json={"query": query, "variables": variables},
        headers=shopify_headers(),
    )


@pytest.fixture(scope="module")
def busy_shop() -> Iterator[RunningSandbox]:
    """A larger world: enough Shopify orders for refunds, codes and guests to all show up."""
    with start_sandbox(World(SEED, 3000), time_scale=10_000, clock=FakeClock(step_s=1)) as running:
        yield running


def test_rest_orders_have_the_official_shape(busy_shop: RunningSandbox) -> None:
    official = _official_shape()
    orders = shopify_all_orders(busy_shop.url, {"status": "any", "limit": "250"})
    ours: dict[str, set[str]] = {}
    for order in orders:
        _shape(order, "order", ours)
    for path, types in ours.items():
        assert path in official, f"{path} is not in the official payloads"
        known = official[path] - {"NoneType"}
        if known:  # a field the examples show only as null may hold any type
            assert types - {"NoneType"} <= known, f"{path}: {types} vs {official[path]}"
    for section in ("refunds[]", "discount_codes[]", "customer", "line_items[]"):
        assert f"order.{section}" in ours, section
    assert any(o["refunds"] for o in orders)
    assert any(o["customer"] is None for o in orders)  # guest checkouts, protected data


def test_default_status_is_open_so_archived_orders_need_status_any(
    sandbox: RunningSandbox,
) -> None:
    everything = shopify_all_orders(sandbox.url, {"status": "any", "limit": "50"})
    default = shopify_all_orders(sandbox.url, {"limit": "50"})
    assert len(default) < len(everything) / 2
    assert all(o["closed_at"] is None and o["cancelled_at"] is None for o in default)
    ids = [o["id"] for o in everything]
    assert len(ids) == len(set(ids))


def test_link_paging_walks_forward_and_back_and_refuses_filters(sandbox: RunningSandbox) -> None:
    with httpx.Client(verify=False, headers=shopify_headers()) as client:
        first = client.get(sandbox.url + SHOPIFY_ORDERS, params={"status": "any", "limit": "5"})
        assert "previous" not in first.links
        second = client.get(first.links["next"]["url"])
        assert second.status_code == 200
        back = client.get(second.links["previous"]["url"])
        assert [o["id"] for o in back.json()["orders"]] == [o["id"] for o in first.json()["orders"]]
        page_info = httpx.URL(first.links["next"]["url"]).params["page_info"]
        mixed = client.get(
            sandbox.url + SHOPIFY_ORDERS,
            params={"page_info": page_info, "updated_at_min": "2026-01-01T00:00:00Z"},
        )
        assert mixed.status_code == 400
        assert "cannot be passed when page_info is present" in mixed.json()["errors"]
        assert client.get(sandbox.url + SHOPIFY_ORDERS, params={"limit": "251"}).status_code == 400


def test_updated_at_min_returns_orders_touched_since(sandbox: RunningSandbox) -> None:
    since = "2026-10-01T00:00:00-04:00"
    recent = shopify_all_orders(
        sandbox.url, {"status": "any", "updated_at_min": since, "order": "updated_at asc"}
    )
    assert recent
    stamps = [o["updated_at"] for o in recent]
    assert all(stamp >= "2026-10-01" for stamp in stamps)
    assert all(o["created_at"].endswith(("-04:00", "-05:00")) for o in recent)


def test_rest_leaky_bucket_is_forty_with_retry_after(world: World) -> None:
    clock = FakeClock()
    with (
        start_sandbox(world, clock=clock) as running,
        httpx.Client(verify=False, headers=shopify_headers()) as client,
    ):
        answers = [
            client.get(running.url + SHOPIFY_ORDERS, params={"limit": "1"}) for _ in range(41)
        ]
        assert [a.status_code for a in answers] == [200] * 40 + [429]
        assert answers[0].headers["X-Shopify-Shop-Api-Call-Limit"] == "1/40"
        assert answers[39].headers["X-Shopify-Shop-Api-Call-Limit"] == "40/40"
        throttled = answers[-1]
        assert throttled.headers["Retry-After"] == "2.0"
        assert throttled.json() == {
            "errors": "Exceeded 2 calls per second for api client. Reduce request rates to "
            "resume uninterrupted service."
        }
        clock.advance(0.5)
        assert client.get(running.url + SHOPIFY_ORDERS).status_code == 200
        denied = HTTP.get(running.url + SHOPIFY_ORDERS, headers={"X-Shopify-Access-Token": "x"})
        assert denied.status_code == 401


def test_graphql_orders_page_by_cursor_and_report_their_cost(
    sandbox: RunningSandbox, world: World
) -> None:
    names: list[str] = []
    cursor = None
    while True:
        answer = _graphql(sandbox.url, ORDERS_QUERY, cursor=cursor)
        assert answer.status_code == 200
        body: dict[str, Any] = answer.json()
        assert "errors" not in body, body
        cost = body["extensions"]["cost"]
        assert cost["requestedQueryCost"] == 2 + 25 * (
            1 + 1 + 1 + 1 + 2 + 10 * 1 + 1 * (1 + 2 + 10 * 2)
        )
        assert cost["actualQueryCost"] <= cost["requestedQueryCost"]
        assert cost["throttleStatus"]["maximumAvailable"] == 2000.0
        orders = body["data"]["orders"]
        names.extend(edge["node"]["name"] for edge in orders["edges"])
        if not orders["pageInfo"]["hasNextPage"]:
            break
        cursor = orders["pageInfo"]["endCursor"]
    shop_orders = [o for o in world.iter_orders() if o.account.id == "shopify-store"]
    assert len(names) == len(set(names)) == len(shop_orders)


@pytest.mark.parametrize(
    ("query", "code_or_text"),
    [
        ("{ orders(first: 5) { nodes { notAField } } }", "doesn't exist on type 'Order'"),
        ("{ orders { nodes { id } } }", "you must provide one of first or last"),
        (
            "{ orders(first: 250) { nodes { lineItems(first: 250) { nodes { sku } } } } }",
            "MAX_COST_EXCEEDED",
        ),
        ("mutation { orderClose(id: 1) { id } }", "Only queries"),
    ],
)
def test_graphql_errors_are_answered_as_graphql_errors(
    sandbox: RunningSandbox, query: str, code_or_text: str
) -> None:
    answer = _graphql(sandbox.url, query)
    assert answer.status_code == 200
    assert code_or_text in json.dumps(answer.json()["errors"])


def test_graphql_is_throttled_by_query_cost(world: World) -> None:
    clock = FakeClock()
    with start_sandbox(world, clock=clock) as running:
        query = "{ orders(first: 100) { nodes { id customer { id } } } }"  # 2 + 100 x 2 = 202
        results = [_graphql(running.url, query).json() for _ in range(40)]
        assert all("data" in r for r in results[:3])
        throttled = next(r for r in results if "errors" in r)
        assert throttled["errors"][0]["extensions"]["code"] == "THROTTLED"
        status = throttled["extensions"]["cost"]["throttleStatus"]
        assert status["currentlyAvailable"] < 202
        assert status["restoreRate"] == 100.0
        clock.advance(3)
        assert "data" in _graphql(running.url, query).json()


def test_graphql_search_ignores_unknown_terms_with_a_warning(sandbox: RunningSandbox) -> None:
    answer = _graphql(
        sandbox.url,
        '{ orders(first: 2, query: "tag:vip updated_at:>2026-01-01") { nodes { id } } }',
    ).json()
    assert answer["data"]["orders"]["nodes"]
    assert answer["extensions"]["search"][0]["warnings"][0]["field"] == "tag"
