"""The Amazon SP-API surface of the sandbox: LWA token, searchOrders, getOrder.

Order of checks per operation, as on Amazon: access token (403) → quota (429) → parameters
(400) → data. Every request spends quota, whatever its outcome after the token check.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import parse_qs, unquote

from custsync.sandbox.amazon_index import OrderBook
from custsync.sandbox.amazon_payloads import render_order
from custsync.sandbox.amazon_query import (
    InvalidQuery,
    TokenSigner,
    parse_included,
    parse_search,
)
from custsync.sandbox.catalog import AMAZON_ACCOUNTS, Account
from custsync.sandbox.lwa import Clock, TokenIssuer
from custsync.sandbox.orders import iso
from custsync.sandbox.quota import GET_ORDER, SEARCH_ORDERS, Quota, RateLimiter
from custsync.sandbox.responses import ApiResponse, amazon_error
from custsync.sandbox.world import World

ORDERS_PATH = "/orders/2026-01-01/orders"
AUTH_PATH = "/auth/o2/token"
UNAUTHORIZED = "Access to requested resource is denied."
QUOTA_EXCEEDED = "You exceeded your quota for the requested resource."

Params = Mapping[str, Sequence[str]]
Operation = Callable[[Account], tuple[int, Mapping[str, object]]]  # → (status, body)


def system_clock() -> datetime:
    return datetime.now(UTC)


class AmazonSandbox:
    """Answers one HTTP request (already read) with an ``ApiResponse``; thread-safe."""

    def __init__(self, world: World, *, time_scale: float = 1.0, clock: Clock | None = None):
        self._seed = world.seed
        self._clock = clock or system_clock
        self.orders = OrderBook(world.iter_orders())
        self.tokens = TokenIssuer(AMAZON_ACCOUNTS, self._clock)
        self.limiter = RateLimiter(self._clock, time_scale)
        self._signer = TokenSigner(f"custsync-sandbox:{world.seed}".encode())

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> ApiResponse:
        path, _, query = target.partition("?")
        params = parse_qs(query, keep_blank_values=True)
        if path == AUTH_PATH and method == "POST":
            return self.tokens.exchange(_form(headers, body))
        if path == ORDERS_PATH and method == "GET":
            return self._guarded(SEARCH_ORDERS, headers, lambda a: self._search(a, params))
        if path.startswith(ORDERS_PATH + "/") and method == "GET":
            order_id = unquote(path.removeprefix(ORDERS_PATH + "/"))
            return self._guarded(GET_ORDER, headers, lambda a: self._get(a, order_id, params))
        return amazon_error(404, "NotFound", "Resource not found.", operation="unknown")

    def _guarded(
        self,
        quota: Quota,
        headers: Mapping[str, str],
        operation: Operation,
    ) -> ApiResponse:
        account = self.tokens.account_for(headers.get("x-amz-access-token"))
        if account is None:
            return amazon_error(403, "Unauthorized", UNAUTHORIZED, operation=quota.operation)
        if not self.limiter.take(account.id, quota):
            return amazon_error(
                429, "QuotaExceeded", QUOTA_EXCEEDED, operation=quota.operation, account=account.id
            )
        try:
            status, body = operation(account)
        except InvalidQuery as exc:
            return amazon_error(
                400, "InvalidInput", str(exc), operation=quota.operation, account=account.id
            )
        if status != 200:
            return ApiResponse(status, body, operation=quota.operation, account=account.id)
        rate = f"{self.limiter.rate_per_s(quota):g}"
        headers_out = {"x-amzn-RateLimit-Limit": rate}
        return ApiResponse(200, body, headers_out, operation=quota.operation, account=account.id)

    def _search(self, account: Account, params: Params) -> tuple[int, Mapping[str, object]]:
        query = parse_search(params, account, self._clock(), self._signer)
        matches = self.orders.search(account.id, query)
        page = matches[query.offset : query.offset + query.page_size]
        body: dict[str, object] = {
            "orders": [render_order(self._seed, o, s, query.included) for o, s in page]
        }
        end = query.offset + len(page)
        if end < len(matches):
            now_s = int(self._clock().timestamp())
            token = self._signer.issue(query.fingerprint, end, query.before_s, now_s)
            body["pagination"] = {"nextToken": token}
        body[f"{query.by}Before"] = iso(query.before_s)
        return 200, body

    def _get(
        self, account: Account, order_id: str, params: Params
    ) -> tuple[int, Mapping[str, object]]:
        included = parse_included(params)
        order = self.orders.get(account.id, order_id)
        state = order.state_at(int(self._clock().timestamp())) if order else None
        if order is None or state is None:
            error = {"code": "NotFound", "message": "Order not found.", "details": ""}
            return 404, {"errors": [error]}
        return 200, {"order": render_order(self._seed, order, state, included)}


def _form(headers: Mapping[str, str], body: bytes) -> dict[str, str]:
    """The token request: form-encoded (LWA), or JSON (some official clients)."""
    text = body.decode("utf-8", "replace")
    if headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return {key: values[-1] for key, values in parse_qs(text).items()}
