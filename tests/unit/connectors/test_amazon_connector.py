"""AmazonConnector wiring, endpoints per region, marketplace table, import boundaries."""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
import respx

import custsync.connectors
from custsync.connectors.amazon import (
    AmazonConnector,
    AmazonFeedbackStream,
    AmazonOrdersStream,
    AmazonReturnsStream,
    build_amazon_connector,
)
from custsync.connectors.amazon.orders import ORDERS_PATH
from custsync.connectors.amazon.regions import MARKETPLACES, base_url, marketplace_currency
from custsync.connectors.base import Connector, Cursor, Stream
from custsync.records import StreamName
from custsync.settings import AmazonAccount
from tests.unit.connectors.connector_fakes import NOW, load_fixture, make_account


def test_build_gives_orders_returns_and_feedback_streams(connector: AmazonConnector) -> None:
    assert list(connector.streams) == [StreamName.ORDERS, StreamName.RETURNS, StreamName.FEEDBACK]
    assert isinstance(connector.streams[StreamName.RETURNS], AmazonReturnsStream)
    assert isinstance(connector.streams[StreamName.FEEDBACK], AmazonFeedbackStream)
    stream: Stream = connector.streams[StreamName.ORDERS]
    assert isinstance(stream, AmazonOrdersStream)
    assert stream.name is StreamName.ORDERS
    typed: Connector = connector
    assert typed.streams is connector.streams


def test_close_closes_the_http_client(account: AmazonAccount) -> None:
    with build_amazon_connector(account) as connector:
        pass
    assert connector._http._client.is_closed


def test_endpoint_override_points_at_a_local_server(
    connector_for: Callable[[AmazonAccount], AmazonConnector],
    router: respx.MockRouter,
    token_route: respx.Route,
) -> None:
    account = make_account(endpoint="http://127.0.0.1:8765/", is_sandbox=True)
    route = router.get(f"http://127.0.0.1:8765{ORDERS_PATH}").mock(
        return_value=httpx.Response(200, json=load_fixture("searchOrders.200.sandbox-2.json"))
    )
    stream = connector_for(account).orders
    stream.report_gap = None
    pages = list(stream.read(Cursor(), now=NOW))
    assert route.call_count == 1
    assert len(pages) == 1


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"region": "na"}, "https://sellingpartnerapi-na.amazon.com"),
        ({"region": "eu"}, "https://sellingpartnerapi-eu.amazon.com"),
        ({"region": "fe"}, "https://sellingpartnerapi-fe.amazon.com"),
        ({"region": "eu", "is_sandbox": True}, "https://sandbox.sellingpartnerapi-eu.amazon.com"),
        ({"endpoint": "http://localhost:9000/"}, "http://localhost:9000"),
    ],
)
def test_base_url(overrides: dict[str, object], expected: str) -> None:
    assert base_url(make_account(**overrides)) == expected


@pytest.mark.parametrize(
    ("marketplace_id", "country", "currency", "region"),
    [
        ("ATVPDKIKX0DER", "US", "USD", "na"),
        ("A2EUQ1WTGCTBG2", "CA", "CAD", "na"),
        ("A1AM78C64UM0Y8", "MX", "MXN", "na"),
        ("A2Q3Y263D00KWC", "BR", "BRL", "na"),
        ("A1F83G8C2ARO7P", "GB", "GBP", "eu"),
        ("A1PA6795UKMFR9", "DE", "EUR", "eu"),
        ("A13V1IB3VIYZZH", "FR", "EUR", "eu"),
        ("APJ6JRA9NG5V4", "IT", "EUR", "eu"),
        ("A1RKKUPIHCS9HS", "ES", "EUR", "eu"),
        ("A1805IZSGTT6HS", "NL", "EUR", "eu"),
        ("A2NODRKZP88ZB9", "SE", "SEK", "eu"),
        ("A1C3SOZRARQ6R3", "PL", "PLN", "eu"),
        ("A33AVAJ2PDY3EV", "TR", "TRY", "eu"),
        ("A2VIGQ35RCS4UG", "AE", "AED", "eu"),
        ("A21TJRUUN4KGV", "IN", "INR", "eu"),
        ("A1VC38T7YXB528", "JP", "JPY", "fe"),
        ("A39IBJ37TRP1C6", "AU", "AUD", "fe"),
        ("A19VAU5U5O7RUS", "SG", "SGD", "fe"),
    ],
)
def test_marketplaces(marketplace_id: str, country: str, currency: str, region: str) -> None:
    found = MARKETPLACES[marketplace_id]
    assert (found.country_code, found.currency, found.region) == (country, currency, region)
    assert marketplace_currency(marketplace_id) == currency


def test_unknown_marketplace_has_no_currency() -> None:
    assert marketplace_currency("NOPE") is None


FORBIDDEN = (
    "sqlalchemy",
    "custsync.store",
    "custsync.pipeline",
    "custsync.reports",
    "custsync.sync",
)


def test_connectors_import_no_store_pipeline_reports_or_sql() -> None:
    root = Path(custsync.connectors.__file__).parent
    offenders = []
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [f"{path.name}: {n}" for n in names if n.startswith(FORBIDDEN)]
    assert offenders == []
