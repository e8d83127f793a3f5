"""The Amazon orders stream: Orders API v2026-01-01 ``searchOrders`` by last-updated time.

Window: from ``position − OVERLAP`` (first sync: ``now − backfill_days``) to ``now − 2 min``
(Amazon rejects later ``lastUpdatedBefore`` values). One ``Page`` per API page. Mid-window
checkpoints keep the position and carry the window and the next token, so a crashed run
resumes on that token with the same window; the last page moves the position to the window
end, never further. An expired/invalid resumed token (400) restarts the window from its
start once. Re-reading a window is harmless: the store dedupes by (account, order id).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import structlog

from custsync.connectors.amazon.client import SpApiClient
from custsync.connectors.amazon.mapping import map_order, map_orders
from custsync.connectors.amazon.payloads import GetOrderResponse, SearchOrdersResponse
from custsync.connectors.base import Cursor, Page
from custsync.connectors.http import Quota, RequestRejected
from custsync.errors import PayloadError
from custsync.records import Order, Reject, StreamName

ORDERS_PATH = "/orders/2026-01-01/orders"
SEARCH_ORDERS_QUOTA = Quota("searchOrders", rate_per_s=0.0056, burst=20)
GET_ORDER_QUOTA = Quota("getOrder", rate_per_s=0.5, burst=30)
INCLUDED_DATA = "BUYER,RECIPIENT,PROCEEDS,PROMOTION,FULFILLMENT"
PAGE_SIZE = 100
OVERLAP = timedelta(minutes=10)
LATEST_LAG = timedelta(minutes=2)
WINDOW_START_KEY = "window_start"

_log: structlog.typing.FilteringBoundLogger = structlog.get_logger()


def iso_z(moment: datetime) -> str:
    """Explicit UTC: ``2026-01-31T12:00:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Window:
    """The ``lastUpdated`` range one read covers (whole seconds, aware UTC)."""

    start: datetime
    end: datetime

    def params(self, marketplace_ids: list[str], token: str | None) -> dict[str, str]:
        params = {
            "marketplaceIds": ",".join(marketplace_ids),
            "lastUpdatedAfter": iso_z(self.start),
            "lastUpdatedBefore": iso_z(self.end),
            "maxResultsPerPage": str(PAGE_SIZE),
            "includedData": INCLUDED_DATA,
        }
        if token is not None:
            params["paginationToken"] = token
        return params

    def checkpoint(self, position: datetime | None, next_token: str | None) -> Cursor:
        if next_token is None:
            return Cursor(position=self.end)
        return Cursor(
            position=position,
            window_end=self.end,
            page_token=next_token,
            extra={WINDOW_START_KEY: self.start.isoformat()},
        )


def plan_window(cursor: Cursor, *, now: datetime, backfill_days: int) -> Window | None:
    """The window to read from ``cursor``; ``None`` when there is nothing to read yet."""
    saved_start = cursor.extra.get(WINDOW_START_KEY)
    if cursor.window_end is not None and saved_start:
        return Window(datetime.fromisoformat(saved_start), cursor.window_end)
    end = cursor.window_end or (now - LATEST_LAG).astimezone(UTC).replace(microsecond=0)
    if cursor.position is not None:
        start = cursor.position - OVERLAP
    else:
        start = now - timedelta(days=backfill_days)
    start = start.astimezone(UTC).replace(microsecond=0)
    return Window(start, end) if start < end else None


class AmazonOrdersStream:
    """``connectors.base.Stream`` of ``records.Order`` for one Amazon account."""

    name = StreamName.ORDERS
    quota = SEARCH_ORDERS_QUOTA

    def __init__(self, client: SpApiClient) -> None:
        self._client = client
        self._account = client.account

    def read(self, cursor: Cursor, *, now: datetime) -> Iterator[Page]:
        window = plan_window(cursor, now=now, backfill_days=self._account.backfill_days)
        if window is None:
            return
        token = cursor.page_token if cursor.is_mid_window else None
        yield from self._read_window(window, cursor.position, token)

    def _read_window(
        self, window: Window, position: datetime | None, token: str | None
    ) -> Iterator[Page]:
        seen: set[str] = set()
        may_restart = True
        before = self._client.stats.requests
        while True:
            try:
                body = self._search(window, token)
            except RequestRejected as exc:
                if token is None or exc.status != 400 or not may_restart:
                    raise
                _log.warning("pagination_token_rejected", operation="searchOrders", code=exc.code)
                may_restart, token = False, None
                seen.clear()
                continue
            next_token = body.next_token
            if next_token is not None and (next_token in seen or next_token == token):
                raise PayloadError(
                    f"account {self._account.id}: searchOrders returned a pagination token twice"
                )
            orders, rejects = self._map(body)
            requests = self._client.stats.requests - before
            before += requests
            yield Page(orders, rejects, window.checkpoint(position, next_token), requests=requests)
            if next_token is None:
                return
            seen.add(next_token)
            token = next_token

    def _search(self, window: Window, token: str | None) -> SearchOrdersResponse:
        params = window.params(self._account.marketplace_ids, token)
        return self._client.get(
            SearchOrdersResponse, ORDERS_PATH, quota=SEARCH_ORDERS_QUOTA, params=params
        )

    def _map(self, body: SearchOrdersResponse) -> tuple[list[Order], list[Reject]]:
        return map_orders(
            body.orders,
            account_id=self._account.account_id,
            marketplace_ids=self._account.marketplace_ids,
        )

    def fetch_order(self, order_id: str) -> Order | Reject:
        """One order by id (``getOrder``), e.g. to re-read an order named in a notification."""
        body = self._client.get(
            GetOrderResponse,
            f"{ORDERS_PATH}/{quote(order_id, safe='')}",
            quota=GET_ORDER_QUOTA,
            params={"includedData": INCLUDED_DATA},
        )
        return map_order(
            body.order,
            account_id=self._account.account_id,
            marketplace_ids=self._account.marketplace_ids,
        )
