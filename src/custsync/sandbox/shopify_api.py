"""The Shopify Admin API of the sandbox store: REST ``orders.json`` and GraphQL ``orders``.

Auth: ``X-Shopify-Access-Token`` (a permanent offline token; 401 otherwise). Any
``/admin/api/{YYYY-MM}/`` version is answered in the 2026-07 shape.

REST ``GET orders.json``: ``status`` (``open`` by default, ``closed``, ``cancelled``, ``any``),
``updated_at_min/max``, ``created_at_min/max``, ``since_id``, ``ids``, ``fields``, ``order``
(``created_at desc`` by default; ``updated_at``/``created_at``/``id`` ``asc``/``desc``) and
``limit`` (1-250, default 50; 400 above). Paging is by cursor in the ``Link`` header
(``rel="next"`` / ``rel="previous"``, ``page_info``): a request with ``page_info`` may add only
``limit`` and ``fields``, any filter is refused with 400. Every answer carries
``X-Shopify-Shop-Api-Call-Limit: used/40``; over the bucket (40, leaking 2/s) the answer is 429
with ``Retry-After`` and Shopify's message.

GraphQL ``POST graphql.json``: see ``shopify_graphql``; throttling is cost-based and answered
as HTTP 200 with a ``THROTTLED`` error and ``extensions.cost.throttleStatus``.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode

from custsync.sandbox.bad_records import Spoilers, spoil
from custsync.sandbox.faults import FaultKind
from custsync.sandbox.guard import Gate
from custsync.sandbox.market_index import AccountBook, OrderView
from custsync.sandbox.quota import SHOPIFY_REST, Quota
from custsync.sandbox.responses import ApiResponse
from custsync.sandbox.sealed import BadToken, Sealer
from custsync.sandbox.shopify_filters import (
    Ranked,
    in_range,
    one,
    rest_filters,
    sort_key,
    start_position,
    status_matches,
)
from custsync.sandbox.shopify_graphql_api import GRAPHQL_OPERATION, ShopifyGraphQL
from custsync.sandbox.shopify_payloads import render_rest_order

SHOP = "custsync-sandbox.myshopify.com"
ACCESS_TOKEN = "shpat_custsync_sandbox_not_a_secret"  # noqa: S105 - sandbox only
ACCOUNT_ID = "shopify-store"
API_VERSION = "2026-07"
REST_OPERATION = "shopify.orders"
RETRY_AFTER_S = 2.0
THROTTLE_MESSAGE = (
    "Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted "
    "service."
)
REST_SPOILERS = Spoilers(
    ("id",), ("created_at",), ("line_items", 0, "quantity"), ("financial_status",)
)
_PATH = re.compile(r"^/admin/api/(\d{4}-\d{2})/(orders|graphql)\.json$")
Json = dict[str, object]
Params = Mapping[str, Sequence[str]]
Clock = Callable[[], datetime]


class ShopifyRestStyle:
    def throttled(self, gate: Gate, account: str, quota: Quota, operation: str) -> ApiResponse:
        retry_after_s = RETRY_AFTER_S / gate.limiter.time_scale  # Shopify says 2.0 seconds
        headers = {
            "X-Shopify-Shop-Api-Call-Limit": f"{quota.burst}/{quota.burst}",
            "Retry-After": f"{retry_after_s:.1f}"
            if retry_after_s >= 0.1
            else f"{retry_after_s:.3g}",
        }
        body = {"errors": THROTTLE_MESSAGE}
        return ApiResponse(429, body, headers, operation=operation, account=account)

    def server_error(self, status: int, operation: str, account: str) -> ApiResponse:
        text = "Internal Server Error" if status == 500 else "Service Unavailable"
        return ApiResponse(status, {"errors": text}, operation=operation, account=account)

    def rate_headers(
        self, gate: Gate, account: str, quota: Quota, status: int
    ) -> Mapping[str, str]:
        used = quota.burst - math.floor(gate.limiter.available(account, quota))
        return {"X-Shopify-Shop-Api-Call-Limit": f"{used}/{quota.burst}"}


REST_STYLE = ShopifyRestStyle()


class ShopifySandbox:
    def __init__(self, book: AccountBook, gate: Gate, *, seed: int, clock: Clock) -> None:
        self._book, self._gate, self._seed, self._clock = book, gate, seed, clock
        self._sealer = Sealer(seed, "shopify-page-info")
        self._graphql = ShopifyGraphQL(book, gate, account=ACCOUNT_ID, seed=seed, clock=clock)
        self.base_url = ""  # set once the server has its port

    @staticmethod
    def handles(path: str) -> bool:
        return path.startswith("/admin/api/")

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> ApiResponse:
        path, _, query = target.partition("?")
        match = _PATH.match(path)
        if match is None:
            return ApiResponse(404, {"errors": "Not Found"}, operation="unknown")
        if headers.get("x-shopify-access-token") != ACCESS_TOKEN:
            message = "[API] Invalid API key or access token (unrecognized login or wrong password)"
            operation = REST_OPERATION if match.group(2) == "orders" else GRAPHQL_OPERATION
            return ApiResponse(401, {"errors": message}, operation=operation)
        if match.group(2) == "orders" and method == "GET":
            params = parse_qs(query, keep_blank_values=True)
            return self._gate.run(
                REST_STYLE, ACCOUNT_ID, SHOPIFY_REST, REST_OPERATION, lambda: self._rest(params)
            )
        if match.group(2) == "graphql" and method == "POST":
            return self._graphql.handle(headers, body)
        return ApiResponse(406, {"errors": "Not Acceptable"}, operation="unknown")

    # ------------------------------------------------------------------ REST

    def _rest(self, params: Params) -> ApiResponse:
        try:
            query, limit, fields = self._rest_query(params)
        except ValueError as exc:
            return ApiResponse(400, {"errors": str(exc)})
        now_s = int(self._clock().timestamp())
        views = self._rest_matches(query, now_s)
        position = start_position(views, query)
        direction = str(query.get("direction", "next"))
        if direction == "next":
            page = views[position : position + limit]
            has_next, has_previous = position + limit < len(views), "key" in query
        else:
            page = views[max(0, position - limit) : position]
            has_next, has_previous = True, position - limit > 0
        orders = [self._rest_order(view) for _, view in page]
        fault = self._rest_page_faults(query, views, position, orders, now_s)
        if fields:
            orders = [{k: v for k, v in order.items() if k in fields} for order in orders]
        links = self._links(query, page, limit, fields, has_next=has_next, has_prev=has_previous)
        headers = {"X-Shopify-API-Version": API_VERSION}
        if links:
            headers["Link"] = links
        return ApiResponse(200, {"orders": orders}, headers, fault=fault)

    def _rest_query(self, params: Params) -> tuple[Json, int, set[str]]:
        limit_text = one(params, "limit") or "50"
        if not limit_text.isdigit() or not 1 <= int(limit_text) <= 250:
            raise ValueError("limit must be between 1 and 250")
        fields = {f for f in (one(params, "fields") or "").split(",") if f}
        page_info = one(params, "page_info")
        if page_info is None:
            return rest_filters(params), int(limit_text), fields
        extra = sorted(set(params) - {"page_info", "limit", "fields"})
        if extra:
            raise ValueError(f"{extra[0]} cannot be passed when page_info is present")
        try:
            return self._sealer.open(page_info), int(limit_text), fields
        except BadToken:
            raise ValueError("page_info - Invalid value.") from None

    def _rest_matches(self, query: Json, now_s: int) -> Ranked:
        status = str(query["status"])
        ids = query.get("ids")
        found = []
        for view in self._book.views(now_s):
            if not status_matches(view, status) or not in_range(view, query):
                continue
            if isinstance(ids, list) and int(view.order.order_id) not in ids:
                continue
            found.append((sort_key(view, str(query["sort"])), view))
        found.sort(key=lambda item: item[0], reverse=query["desc"] is True)
        return found

    def _rest_order(self, view: OrderView) -> Json:
        order = render_rest_order(self._seed, self._book, view)
        variant = self._gate.faults.bad_record(view.order.order_id)
        if variant is not None:
            spoil(order, variant, REST_SPOILERS)
        return order

    def _rest_page_faults(
        self,
        query: Json,
        views: Ranked,
        position: int,
        orders: list[Json],
        now_s: int,
    ) -> str | None:
        if "key" not in query or query.get("direction") != "next" or position == 0:
            return None
        page_key = json.dumps(query, sort_keys=True)
        kinds = self._gate.faults.page_faults(ACCOUNT_ID, REST_OPERATION, page_key)
        if FaultKind.DUPLICATE_RECORD in kinds:
            orders.insert(0, self._rest_order(views[position - 1][1]))
        if FaultKind.UPDATED_WHILE_PAGING in kinds:
            moved = self._rest_order(views[max(0, position - len(orders))][1])
            moved["updated_at"] = datetime.fromtimestamp(now_s, UTC).isoformat()
            orders.append(moved)
        return ",".join(sorted(kind.value for kind in kinds)) or None

    def _links(
        self,
        query: Json,
        page: Ranked,
        limit: int,
        fields: set[str],
        *,
        has_next: bool,
        has_prev: bool,
    ) -> str:
        links = []
        base = {k: v for k, v in query.items() if k not in ("key", "direction")}
        extra = {"fields": ",".join(sorted(fields))} if fields else {}
        for rel, wanted, item, direction in (
            ("previous", has_prev, page[0] if page else None, "prev"),
            ("next", has_next, page[-1] if page else None, "next"),
        ):
            if wanted and item is not None:
                token = self._sealer.seal({**base, "key": list(item[0]), "direction": direction})
                url_query = urlencode({"limit": limit, **extra, "page_info": token})
                url = f"{self.base_url}/admin/api/{API_VERSION}/orders.json?{url_query}"
                links.append(f'<{url}>; rel="{rel}"')
        return ", ".join(links)

    # ------------------------------------------------------------------ GraphQL
