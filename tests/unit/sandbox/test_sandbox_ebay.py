"""eBay in the sandbox: OAuth refresh grant, Fulfillment getOrders (filters, limits, offset
paging), Post-Order return search and Commerce Feedback, in the shapes of research notes §3."""

from __future__ import annotations

import httpx
import pytest

from custsync.sandbox import RunningSandbox, World
from custsync.sandbox import ebay_api as api
from tests.unit.sandbox.sandbox_helpers import HTTP, ebay_pages, ebay_token

ORDERS, RETURNS, FEEDBACK = api.ORDERS_PATH, api.RETURNS_PATH, api.FEEDBACK_PATH
SINCE = {"filter": "lastmodifieddate:[2025-01-01T00:00:00.000Z..]"}
# Synthetic expectations (eBay publishes no examples): the field lists of research notes §3.2.
ORDER_KEYS = {
    "orderId", "legacyOrderId", "creationDate", "lastModifiedDate", "orderFulfillmentStatus",
    "orderPaymentStatus", "sellerId", "buyer", "pricingSummary", "cancelStatus",
    "paymentSummary", "fulfillmentStartInstructions", "fulfillmentHrefs", "lineItems",
    "salesRecordReference", "totalFeeBasisAmount", "totalMarketplaceFee",
}  # fmt: skip
LINE_KEYS = {
    "lineItemId", "legacyItemId", "sku", "title", "quantity", "lineItemCost", "total",
    "deliveryCost", "appliedPromotions", "lineItemFulfillmentStatus",
    "soldFormat", "listingMarketplaceId", "purchaseMarketplaceId",  # also sel:LineItem fields
}  # fmt: skip


@pytest.fixture(scope="module")
def token(sandbox: RunningSandbox) -> str:
    return ebay_token(sandbox.url)


def _get(url: str, path: str, token: str, **params: str) -> httpx.Response:
    scheme = "IAF" if path == RETURNS else "Bearer"
    headers = {"Authorization": f"{scheme} {token}", "X-EBAY-C-MARKETPLACE-ID": "EBAY_US"}
    return HTTP.get(url + path, params=params, headers=headers)


def test_refresh_grant_needs_basic_client_auth(sandbox: RunningSandbox) -> None:
    form = {"grant_type": "refresh_token", "refresh_token": api.REFRESH_TOKEN}
    url = sandbox.url + api.TOKEN_PATH
    assert HTTP.post(url, data=form).json()["error"] == "invalid_client"
    wrong = HTTP.post(
        url, auth=(api.CLIENT_ID, api.CLIENT_SECRET), data={**form, "refresh_token": "x"}
    )
    assert (wrong.status_code, wrong.json()["error"]) == (400, "invalid_grant")
    scope = {**form, "scope": "https://api.ebay.com/oauth/api_scope/sell.inventory"}
    assert HTTP.post(url, auth=(api.CLIENT_ID, api.CLIENT_SECRET), data=scope).json()["error"] == (
        "invalid_scope"
    )
    good = HTTP.post(url, auth=(api.CLIENT_ID, api.CLIENT_SECRET), data=form).json()
    assert good["expires_in"] == 7200
    assert good["token_type"] == "User Access Token"


def test_get_orders_answers_the_documented_shape(
    sandbox: RunningSandbox, token: str, world: World
) -> None:
    body = _get(sandbox.url, ORDERS, token, limit="200", **SINCE).json()
    assert set(body) <= {"href", "total", "limit", "offset", "next", "prev", "orders", "warnings"}
    ebay_orders = [o for o in world.iter_orders() if o.account.id == "ebay-us"]
    assert body["total"] == len(ebay_orders)
    for order in body["orders"]:
        assert set(order) == ORDER_KEYS
        assert set(order["buyer"]) == {"username", "taxAddress", "buyerRegistrationAddress"}
        assert order["buyer"]["buyerRegistrationAddress"]["email"] == "Invalid Request"
        for line in order["lineItems"]:
            assert set(line) == LINE_KEYS
            assert set(line["lineItemCost"]) == {"value", "currency"}
    created = [o["creationDate"] for o in body["orders"]]
    assert created == sorted(created, reverse=True)


def test_offset_paging_reaches_every_order_once(sandbox: RunningSandbox, token: str) -> None:
    orders = ebay_pages(sandbox.url, ORDERS, token, {**SINCE, "limit": "7"}, "orders")
    ids = [o["orderId"] for o in orders]
    assert len(ids) == len(set(ids))
    first = _get(sandbox.url, ORDERS, token, limit="7", **SINCE).json()
    assert "offset=7" in first["next"]
    assert "prev" not in first


@pytest.mark.parametrize(
    ("params", "error_id"),
    [
        ({"limit": "201"}, 31100),
        ({"offset": "-1"}, 31000),
        ({"filter": "modifieddate:[2026-01-01T00:00:00.000Z..]"}, 30700),
        ({"filter": "lastmodifieddate:[..2026-01-01T00:00:00.000Z]"}, 30820),
        ({"filter": "lastmodifieddate:[2026-01-01..]"}, 30810),
        ({"filter": "creationdate:[2026-02-01T00:00:00.000Z..2026-01-01T00:00:00.000Z]"}, 30840),
    ],
)
def test_get_orders_refuses_what_ebay_refuses(
    sandbox: RunningSandbox, token: str, params: dict[str, str], error_id: int
) -> None:
    response = _get(sandbox.url, ORDERS, token, **params)
    assert response.status_code == 400
    assert response.json()["errors"][0]["errorId"] == error_id


def test_filter_brackets_must_be_percent_encoded(sandbox: RunningSandbox, token: str) -> None:
    raw = f"{sandbox.url}{ORDERS}?filter=lastmodifieddate:[2025-01-01T00:00:00.000Z..]"
    with httpx.Client(verify=False) as client:
        request = client.build_request("GET", raw, headers={"Authorization": f"Bearer {token}"})
        request.url = httpx.URL(raw.replace("%5B", "[").replace("%5D", "]"))
        response = client.send(request)
    assert response.status_code == 400
    assert response.json()["errors"][0]["errorId"] == 30800


def test_returns_are_closed_so_the_default_open_search_misses_them(
    sandbox: RunningSandbox, token: str, world: World
) -> None:
    returned = sum(
        item.qty for o in world.iter_orders() if o.account.id == "ebay-us" for item in o.returns
    )
    assert returned
    assert _get(sandbox.url, RETURNS, token).json()["members"] == []
    closed = ebay_pages(sandbox.url, RETURNS, token, {"return_state": "CLOSED"}, "members")
    assert sum(m["creationInfo"]["item"]["returnQuantity"] for m in closed) == returned
    assert {"returnId", "orderId", "buyerLoginName", "state", "creationInfo"} <= set(closed[0])
    no_marketplace = HTTP.get(sandbox.url + RETURNS, headers={"Authorization": f"IAF {token}"})
    assert no_marketplace.status_code == 400


def test_feedback_comes_in_the_commerce_feedback_shape(sandbox: RunningSandbox, token: str) -> None:
    params = {"user_id": "custsync_sandbox_seller", "feedback_type": "FEEDBACK_RECEIVED"}
    entries = ebay_pages(sandbox.url, FEEDBACK, token, {**params, "limit": "5"}, "feedbackEntries")
    assert entries
    for entry in entries:
        assert entry["commentType"] in ("POSITIVE", "NEUTRAL", "NEGATIVE")
        assert set(entry["orderLineItemSummary"]) == {
            "orderLineItemId",
            "listingId",
            "listingTitle",
        }
        assert entry["providerUserDetail"]["role"] == "BUYER"
    negative = ebay_pages(
        sandbox.url,
        FEEDBACK,
        token,
        {**params, "filter": "commentType:{NEGATIVE}"},
        "feedbackEntries",
    )
    assert {e["commentType"] for e in negative} <= {"NEGATIVE"}
    assert _get(sandbox.url, FEEDBACK, token, user_id="x").status_code == 400


def test_a_bad_token_is_error_1001(sandbox: RunningSandbox) -> None:
    response = _get(sandbox.url, ORDERS, "v^1.1#forged")
    assert response.status_code == 401
    assert response.json()["errors"][0]["errorId"] == 1001
