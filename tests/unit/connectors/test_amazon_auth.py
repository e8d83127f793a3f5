"""LWA auth: refresh-token grant, caching, one refresh on 401/403, clear credential errors."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from structlog.testing import capture_logs

from custsync.connectors.amazon import AmazonConnector
from custsync.connectors.amazon.orders import GET_ORDER_QUOTA, ORDERS_PATH
from custsync.connectors.http import redact_event
from custsync.errors import ConfigError
from custsync.records import Order
from custsync.settings import AmazonAccount, Credential
from tests.unit.connectors.connector_fakes import (
    CLIENT_ID,
    CLIENT_SECRET,
    REFRESH_TOKEN,
    SP_API,
    TOKEN_URL,
    FakeClock,
    load_fixture,
    make_account,
    token_response,
)

ORDER_URL = f"{SP_API}{ORDERS_PATH}/202-1234567-8901234"


def order_body() -> dict[str, object]:
    return load_fixture("getOrder.200.json")


def test_token_request_is_a_refresh_token_form_post(
    connector: AmazonConnector, router: respx.MockRouter, token_route: respx.Route
) -> None:
    router.get(ORDER_URL).mock(return_value=httpx.Response(200, json=order_body()))
    connector.orders.fetch_order("202-1234567-8901234")
    request = token_route.calls.last.request
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert parse_qs(request.content.decode()) == {
        "grant_type": ["refresh_token"],
        "refresh_token": [REFRESH_TOKEN],
        "client_id": [CLIENT_ID],
        "client_secret": [CLIENT_SECRET],
    }


def test_access_token_is_cached_until_60_s_before_expiry(
    connector: AmazonConnector, router: respx.MockRouter, clock: FakeClock
) -> None:
    token_route = router.post(TOKEN_URL).mock(
        side_effect=[token_response("Atza|one", 3600), token_response("Atza|two", 3600)]
    )
    order_route = router.get(ORDER_URL).mock(return_value=httpx.Response(200, json=order_body()))
    connector.orders.fetch_order("202-1234567-8901234")
    clock.advance(3600 - 61)
    connector.orders.fetch_order("202-1234567-8901234")
    assert token_route.call_count == 1
    clock.advance(2)  # now inside the 60 s margin
    connector.orders.fetch_order("202-1234567-8901234")
    assert token_route.call_count == 2
    sent = [call.request.headers["x-amz-access-token"] for call in order_route.calls]
    assert sent == ["Atza|one", "Atza|one", "Atza|two"]


def test_401_refreshes_the_token_once_then_succeeds(
    connector: AmazonConnector, router: respx.MockRouter
) -> None:
    token_route = router.post(TOKEN_URL).mock(
        side_effect=[token_response("Atza|stale"), token_response("Atza|fresh")]
    )
    order_route = router.get(ORDER_URL).mock(
        side_effect=[httpx.Response(401), httpx.Response(200, json=order_body())]
    )
    result = connector.orders.fetch_order("202-1234567-8901234")
    assert isinstance(result, Order)
    assert token_route.call_count == 2
    sent = [call.request.headers["x-amz-access-token"] for call in order_route.calls]
    assert sent == ["Atza|stale", "Atza|fresh"]


def test_403_after_refresh_is_a_config_error(
    connector: AmazonConnector, router: respx.MockRouter, token_route: respx.Route
) -> None:
    body = {
        "errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied."}]
    }
    route = router.get(ORDER_URL).mock(return_value=httpx.Response(403, json=body))
    with pytest.raises(ConfigError, match=r"getOrder rejected: HTTP 403 \(Unauthorized\)"):
        connector.orders.fetch_order("202-1234567-8901234")
    assert route.call_count == 2
    assert token_route.call_count == 2


@pytest.mark.parametrize(
    ("status", "code"),
    [(400, "invalid_grant"), (401, "invalid_client"), (400, "unauthorized_client")],
)
def test_rejected_credentials_say_re_authorize_without_secrets(
    connector: AmazonConnector, router: respx.MockRouter, status: int, code: str
) -> None:
    body = {"error": code, "error_description": f"The request has an invalid grant {REFRESH_TOKEN}"}
    token_route = router.post(TOKEN_URL).mock(return_value=httpx.Response(status, json=body))
    with capture_logs(processors=[redact_event]) as logs, pytest.raises(ConfigError) as caught:
        connector.orders.fetch_order("202-1234567-8901234")
    message = str(caught.value)
    assert message.startswith(f"account amazon-na: Amazon rejected the credentials ({code})")
    assert "re-authorize account amazon-na" in message
    for secret in (REFRESH_TOKEN, CLIENT_SECRET, "IwEBI", "clientsecretvalue"):
        assert secret not in message
        assert secret not in repr(logs)
    assert token_route.call_count == 1  # never retried


def test_token_endpoint_5xx_is_retried(
    connector: AmazonConnector, router: respx.MockRouter, clock: FakeClock
) -> None:
    router.post(TOKEN_URL).mock(side_effect=[httpx.Response(503), token_response()])
    router.get(ORDER_URL).mock(return_value=httpx.Response(200, json=order_body()))
    assert isinstance(connector.orders.fetch_order("202-1234567-8901234"), Order)
    assert len(clock.sleeps) == 1


def test_token_endpoint_override_is_used(
    connector_for: Callable[[AmazonAccount], AmazonConnector], router: respx.MockRouter
) -> None:
    account = make_account(token_endpoint="http://127.0.0.1:9999/auth/o2/token")
    route = router.post("http://127.0.0.1:9999/auth/o2/token").mock(return_value=token_response())
    router.get(ORDER_URL).mock(return_value=httpx.Response(200, json=order_body()))
    connector_for(account).orders.fetch_order("202-1234567-8901234")
    assert route.call_count == 1


def test_missing_credential_env_var_is_a_config_error(
    connector_for: Callable[[AmazonAccount], AmazonConnector],
    router: respx.MockRouter,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CUSTSYNC_TEST_NO_SUCH_VAR", raising=False)
    account = make_account(refresh_token=Credential(env="CUSTSYNC_TEST_NO_SUCH_VAR"))
    with pytest.raises(ConfigError, match="CUSTSYNC_TEST_NO_SUCH_VAR"):
        connector_for(account).orders.fetch_order("202-1234567-8901234")


def test_get_order_quota_is_published_values() -> None:
    assert (GET_ORDER_QUOTA.rate_per_s, GET_ORDER_QUOTA.burst) == (0.5, 30)
