"""``accounts check`` for Amazon: what is missing, what was rejected, what role is lacking."""

from __future__ import annotations

import httpx
import pytest
import respx

from custsync.connectors.amazon.check import check_amazon_account
from custsync.connectors.amazon.orders import ORDERS_PATH
from custsync.settings import Credential
from tests.unit.connectors.connector_fakes import SP_API, TOKEN_URL, FakeClock, make_account

SEARCH_URL = f"{SP_API}{ORDERS_PATH}"


def test_every_missing_variable_is_named(
    monkeypatch: pytest.MonkeyPatch, router: respx.MockRouter, clock: FakeClock
) -> None:
    monkeypatch.delenv("NA_ID", raising=False)
    monkeypatch.delenv("NA_TOKEN", raising=False)
    monkeypatch.setenv("NA_SECRET", "s3cret")
    account = make_account(
        client_id=Credential(env="NA_ID"),
        client_secret=Credential(env="NA_SECRET"),
        refresh_token=Credential(env="NA_TOKEN"),
    )
    report = check_amazon_account(
        account, clock=clock, transport=httpx.MockTransport(router.handler)
    )
    assert not report.is_ok
    assert report.problem == (
        "account amazon-na: environment variable NA_ID (client_id) is not set; "
        "account amazon-na: environment variable NA_TOKEN (refresh_token) is not set"
    )
    assert report.passed == []


def test_rejected_refresh_token_says_to_reauthorize(
    router: respx.MockRouter, clock: FakeClock
) -> None:
    router.post(TOKEN_URL).mock(
        return_value=httpx.Response(400, json={"error": "invalid_grant", "error_description": "x"})
    )
    report = check_amazon_account(
        make_account(), clock=clock, transport=httpx.MockTransport(router.handler)
    )
    assert report.passed == ["credentials set"]
    assert "Amazon rejected the credentials (invalid_grant)" in (report.problem or "")
    assert "re-authorize" in (report.problem or "")


def test_403_on_orders_means_a_missing_role(
    router: respx.MockRouter, clock: FakeClock, token_route: respx.Route
) -> None:
    denied = {"errors": [{"code": "Unauthorized", "message": "Access denied", "details": ""}]}
    router.get(SEARCH_URL).mock(return_value=httpx.Response(403, json=denied))
    report = check_amazon_account(
        make_account(), clock=clock, transport=httpx.MockTransport(router.handler)
    )
    assert report.passed == ["credentials set", "Login with Amazon token exchange"]
    assert "lacks a role the Orders API needs" in (report.problem or "")


def test_working_account_passes_every_step(
    router: respx.MockRouter, clock: FakeClock, token_route: respx.Route
) -> None:
    route = router.get(SEARCH_URL).mock(return_value=httpx.Response(200, json={"orders": []}))
    report = check_amazon_account(
        make_account(), clock=clock, transport=httpx.MockTransport(router.handler)
    )
    assert report.is_ok
    assert report.passed[-1] == "Orders API searchOrders"
    assert route.calls.last.request.url.params["maxResultsPerPage"] == "1"
