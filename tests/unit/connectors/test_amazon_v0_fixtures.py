"""The Orders API v0 and Tokens API fixtures, at the client level.

custsync reads orders through Orders API v2026-01-01 and the Reports API (v0 is removed on
2027-03-27; v2026 needs no Restricted Data Token). These official examples still pin down what
the shared SP-API client does with any operation: the request it sends (token header, path),
a ``payload`` envelope parsed as given (quirks kept: string amounts, 1970 dates), and every
400 error body turned into a ``RequestRejected`` naming the code and never the body.
"""

from __future__ import annotations

import httpx
import pytest
import respx
from pydantic import BaseModel, ConfigDict

from custsync.connectors.amazon import AmazonConnector
from custsync.connectors.http import Quota, RequestRejected
from tests.unit.connectors.connector_fakes import SP_API, load_api_fixture

QUOTA = Quota("v0", rate_per_s=0.5, burst=30)
ORDER_PATH = "/orders/v0/orders/902-1845936-5435065"
V0_OPERATIONS = {
    "getOrders": "/orders/v0/orders",
    "getOrder": ORDER_PATH,
    "getOrderBuyerInfo": f"{ORDER_PATH}/buyerInfo",
    "getOrderAddress": f"{ORDER_PATH}/address",
    "getOrderItems": f"{ORDER_PATH}/orderItems",
    "getOrderItemsBuyerInfo": f"{ORDER_PATH}/orderItems/buyerInfo",
}
SUCCESS_FIXTURES = [
    ("getOrders", "getOrders.200.json"),
    ("getOrders", "getOrders.200.sandbox-1.json"),
    ("getOrders", "getOrders.200.sandbox-2.json"),
    ("getOrders", "getOrders.200.sandbox-3.json"),
    ("getOrder", "getOrder.200.json"),
    ("getOrder", "getOrder.200.sandbox-1.json"),
    ("getOrder", "getOrder.200.sandbox-2.json"),
    ("getOrderBuyerInfo", "getOrderBuyerInfo.200.json"),
    ("getOrderBuyerInfo", "getOrderBuyerInfo.200.sandbox-1.json"),
    ("getOrderAddress", "getOrderAddress.200.json"),
    ("getOrderAddress", "getOrderAddress.200.sandbox-1.json"),
    ("getOrderItems", "getOrderItems.200.json"),
    ("getOrderItems", "getOrderItems.200.sandbox-1.json"),
    ("getOrderItemsBuyerInfo", "getOrderItemsBuyerInfo.200.json"),
    ("getOrderItemsBuyerInfo", "getOrderItemsBuyerInfo.200.sandbox-1.json"),
]
RDT_PATH = "/tokens/2021-03-01/restrictedDataToken"


class V0Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    payload: dict[str, object]
    errors: list[dict[str, object]] | None = None


class RestrictedDataToken(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    restrictedDataToken: str
    expiresIn: int


@pytest.mark.parametrize(("operation", "fixture"), SUCCESS_FIXTURES)
def test_v0_examples_parse_through_the_client(
    connector: AmazonConnector, router: respx.MockRouter, operation: str, fixture: str
) -> None:
    body = load_api_fixture(fixture)
    route = router.get(f"{SP_API}{V0_OPERATIONS[operation]}").mock(
        return_value=httpx.Response(200, json=body)
    )
    parsed = connector.orders._client.get(V0Envelope, V0_OPERATIONS[operation], quota=QUOTA)
    assert parsed.payload == body["payload"]
    assert route.calls.last.request.headers["x-amz-access-token"] == "Atza|AccessTokenOne"


@pytest.mark.parametrize("operation", sorted(V0_OPERATIONS))
def test_v0_400_examples_are_rejections_naming_the_code(
    connector: AmazonConnector, router: respx.MockRouter, operation: str
) -> None:
    body = load_api_fixture(f"{operation}.400.sandbox-1.json")
    route = router.get(f"{SP_API}{V0_OPERATIONS[operation]}").mock(
        return_value=httpx.Response(400, json=body)
    )
    with pytest.raises(RequestRejected) as caught:
        connector.orders._client.get(V0Envelope, V0_OPERATIONS[operation], quota=QUOTA)
    errors = body["errors"]
    assert isinstance(errors, list)
    assert caught.value.code == errors[0]["code"]
    assert str(errors[0]["message"]) not in str(caught.value)
    assert route.call_count == 1


@pytest.mark.parametrize(
    "fixture",
    [
        "createRestrictedDataToken.200.sandbox-1.json",
        "createRestrictedDataToken.200.sandbox-2.json",
    ],
)
def test_restricted_data_token_examples_parse(
    connector: AmazonConnector, router: respx.MockRouter, fixture: str
) -> None:
    body = load_api_fixture(fixture)
    route = router.post(f"{SP_API}{RDT_PATH}").mock(return_value=httpx.Response(200, json=body))
    request = {"restrictedResources": [{"method": "GET", "path": f"{ORDER_PATH}/address"}]}
    token = connector.orders._client.post(RestrictedDataToken, RDT_PATH, quota=QUOTA, body=request)
    assert token.restrictedDataToken == body["restrictedDataToken"]
    assert token.expiresIn == body["expiresIn"]
    assert route.calls.last.request.headers["content-type"] == "application/json"


def test_restricted_data_token_400_example_is_a_rejection(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    body = load_api_fixture("createRestrictedDataToken.400.sandbox-1.json")
    router.post(f"{SP_API}{RDT_PATH}").mock(return_value=httpx.Response(400, json=body))
    with pytest.raises(RequestRejected) as caught:
        connector.orders._client.post(RestrictedDataToken, RDT_PATH, quota=QUOTA, body={})
    assert caught.value.status == 400
