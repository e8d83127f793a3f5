"""Helpers of the sandbox tests (a fake clock, an LWA login, a searchOrders pager)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx

from custsync.records import AccountId
from custsync.sandbox.catalog import ACCOUNT_BY_ID
from custsync.sandbox.lwa import credentials_for

SEED = 20261101
ORDERS = 600
AFTER_THE_WORLD = datetime(2026, 11, 20, tzinfo=UTC)


class FakeClock:
    """Returns ``now``; moves only when told to (or by ``step_s`` on every read)."""

    def __init__(self, now: datetime = AFTER_THE_WORLD, step_s: float = 0.0) -> None:
        self.now, self.step = now, timedelta(seconds=step_s)

    def __call__(self) -> datetime:
        current = self.now
        self.now += self.step
        return current

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def access_token(url: str, account_id: str) -> str:
    credentials = credentials_for(ACCOUNT_BY_ID[AccountId(account_id)])
    response = httpx.post(
        f"{url}/auth/o2/token",
        data={
            "grant_type": "refresh_token",
            "refresh_token": credentials.refresh_token,
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        },
    )
    response.raise_for_status()
    token = response.json()["access_token"]
    assert isinstance(token, str)
    return token


ALL_DATA = "BUYER,RECIPIENT,PROCEEDS,PROMOTION,FULFILLMENT"


def search_all(
    url: str, token: str, params: dict[str, str], *, page_size: int = 100
) -> list[dict[str, object]]:
    """Every order of a searchOrders query, following nextToken to the end."""
    orders: list[dict[str, object]] = []
    query = {**params, "maxResultsPerPage": str(page_size)}
    with httpx.Client(base_url=url, headers={"x-amz-access-token": token}) as client:
        while True:
            response = client.get("/orders/2026-01-01/orders", params=query)
            assert response.status_code == 200, response.text
            body = response.json()
            orders.extend(body["orders"])
            next_token = body.get("pagination", {}).get("nextToken")
            if next_token is None:
                return orders
            query = {**params, "maxResultsPerPage": str(page_size), "paginationToken": next_token}
