"""Fixtures for connector tests: a fake clock, an Amazon account, a respx router."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
import respx

from custsync.connectors.amazon import AmazonConnector, build_amazon_connector
from custsync.settings import AmazonAccount
from tests.unit.connectors.connector_fakes import TOKEN_URL, FakeClock, make_account, token_response


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def account() -> AmazonAccount:
    return make_account()


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_mocked=True, assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def token_route(router: respx.MockRouter) -> respx.Route:
    return router.post(TOKEN_URL).mock(return_value=token_response())


@pytest.fixture
def connector_for(
    router: respx.MockRouter, clock: FakeClock
) -> Iterator[Callable[[AmazonAccount], AmazonConnector]]:
    built: list[AmazonConnector] = []

    def build(account: AmazonAccount) -> AmazonConnector:
        connector = build_amazon_connector(
            account, clock=clock, transport=httpx.MockTransport(router.handler)
        )
        built.append(connector)
        return connector

    yield build
    for connector in built:
        connector.close()


@pytest.fixture
def connector(
    connector_for: Callable[[AmazonAccount], AmazonConnector],
    account: AmazonAccount,
    token_route: respx.Route,
) -> AmazonConnector:
    return connector_for(account)
