"""The eBay APIs of the sandbox seller: OAuth, Fulfillment ``getOrders``, Post-Order return
search and Commerce Feedback ``getFeedback``.

- ``POST /identity/v1/oauth2/token``: ``Authorization: Basic base64(client_id:client_secret)``,
  form ``grant_type=refresh_token&refresh_token=..[&scope=..]`` → ``{"access_token",
  "expires_in": 7200, "token_type": "User Access Token"}``; ``invalid_client`` (401),
  ``invalid_grant`` / ``unsupported_grant_type`` / ``invalid_scope`` (400).
- ``GET /sell/fulfillment/v1/order``: ``filter`` = ``creationdate:[from..to]``,
  ``lastmodifieddate:[from..]``, ``orderfulfillmentstatus:{NOT_STARTED|IN_PROGRESS}`` with
  ``[ ] { } |`` percent-encoded (literal ones are refused, error 30800); ISO UTC with ``Z``;
  creationdate wins when both dates are given; no filter = created in the last 90 days; orders
  older than two years are not returned. ``limit`` 1-200 (default 50; 31100 otherwise),
  ``offset`` ≥ 0 (31000), ``orderIds`` ≤ 50 (30900, and it ignores every other filter).
  Newest orders first. Answer ``{href, total, limit, offset, next?, prev?, orders}``.
- ``GET /post-order/v2/return/search`` (``Authorization: IAF <token>``; ``Bearer`` is accepted
  too; ``X-EBAY-C-MARKETPLACE-ID`` required): ``creation_date_range_from/to``, ``return_state``
  (default ``ALL_OPEN``, as documented: closed returns need ``return_state=CLOSED``),
  ``order_id``, ``limit`` (1-200, default 25), ``offset`` (records to skip; eBay's own paging
  semantics are not in the stored docs). Returns older than 7 days are closed.
- ``GET /commerce/feedback/v1/feedback``: ``user_id`` (the seller) and ``feedback_type``
  (``FEEDBACK_RECEIVED``; ``FEEDBACK_SENT`` is empty) required, ``filter`` =
  ``commentType:{NEGATIVE|NEUTRAL|POSITIVE}``, ``limit`` 1-200 (default 25), ``offset``;
  newest first; answer ``{feedbackEntries, pagination{count, limit, offset, total, next?}}``.

A bad or expired access token is 401 error 1001; throttling is 429 error 2001 (eBay sends no
rate headers: limits are daily and read through its Analytics API).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlencode

from custsync.sandbox.access import AccessTokens
from custsync.sandbox.bad_records import Spoilers, spoil
from custsync.sandbox.catalog import EBAY
from custsync.sandbox.ebay_payloads import SELLER, render_feedback, render_order, render_return
from custsync.sandbox.ebay_query import (
    EbayError,
    basic,
    bearer,
    comment_types,
    date_param,
    error_body,
    int_param,
    one,
    order_filter,
)
from custsync.sandbox.faults import FaultKind
from custsync.sandbox.guard import Gate
from custsync.sandbox.lwa import read_form
from custsync.sandbox.market_index import AccountBook, OrderView
from custsync.sandbox.quota import (
    EBAY_FEEDBACK,
    EBAY_FULFILLMENT,
    EBAY_POST_ORDER,
    EBAY_TOKEN,
    Quota,
)
from custsync.sandbox.responses import ApiResponse

TOKEN_PATH = "/identity/v1/oauth2/token"  # noqa: S105 - a path
ORDERS_PATH = "/sell/fulfillment/v1/order"
RETURNS_PATH = "/post-order/v2/return/search"
FEEDBACK_PATH = "/commerce/feedback/v1/feedback"
CLIENT_ID = "custsync-sandbox-PRD-0123456789-abcdef01"
CLIENT_SECRET = "PRD-custsync-sandbox-not-a-secret"  # noqa: S105 - sandbox only
REFRESH_TOKEN = "v^1.1#i^1#r^1#custsync-sandbox-refresh"  # noqa: S105 - sandbox only
TOKEN_TTL_S = 7200
SCOPES = frozenset(
    [
        "https://api.ebay.com/oauth/api_scope",
        "https://api.ebay.com/oauth/api_scope/sell.fulfillment",
        "https://api.ebay.com/oauth/api_scope/sell.fulfillment.readonly",
        "https://api.ebay.com/oauth/api_scope/commerce.feedback",
        "https://api.ebay.com/oauth/api_scope/commerce.feedback.readonly",
    ]
)
INVALID_GRANT = (
    "the provided authorization refresh token is invalid or was issued to another client"
)
INVALID_SCOPE = (
    "the requested scope is invalid, unknown, malformed, or exceeds the scope granted to the client"
)
OPEN_RETURN_S = 7 * 86_400
ORDER_SPOILERS = Spoilers(
    ("orderId",), ("creationDate",), ("lineItems", 0, "quantity"), ("orderFulfillmentStatus",)
)
Json = dict[str, object]
Params = Mapping[str, Sequence[str]]
Clock = Callable[[], datetime]


class EbayStyle:
    def throttled(self, gate: Gate, account: str, quota: Quota, operation: str) -> ApiResponse:
        message = "Too many requests. The request limit has been reached for the resource."
        return ApiResponse(429, error_body(2001, message, "ACCESS"), operation=operation)

    def server_error(self, status: int, operation: str, account: str) -> ApiResponse:
        message = "Internal error" if status == 500 else "Service unavailable"
        body = error_body(2003, message, "ACCESS", "APPLICATION")
        return ApiResponse(status, body, operation=operation)

    def rate_headers(
        self, gate: Gate, account: str, quota: Quota, status: int
    ) -> Mapping[str, str]:
        return {}


STYLE = EbayStyle()


class EbaySandbox:
    def __init__(
        self, book: AccountBook, tokens: AccessTokens, gate: Gate, *, seed: int, clock: Clock
    ) -> None:
        self._book, self._tokens, self._gate = book, tokens, gate
        self._seed, self._clock = seed, clock
        self.base_url = ""  # set once the server has its port

    @staticmethod
    def handles(path: str) -> bool:
        return path in (TOKEN_PATH, ORDERS_PATH, RETURNS_PATH, FEEDBACK_PATH)

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> ApiResponse:
        path, _, query = target.partition("?")
        if path == TOKEN_PATH and method == "POST":
            return self._token(headers, body)
        routes: dict[str, tuple[Quota, str, Callable[[Params, str], ApiResponse]]] = {
            ORDERS_PATH: (EBAY_FULFILLMENT, "ebay.getOrders", self._orders),
            RETURNS_PATH: (EBAY_POST_ORDER, "ebay.searchReturns", self._returns),
            FEEDBACK_PATH: (EBAY_FEEDBACK, "ebay.getFeedback", self._feedback),
        }
        if method != "GET" or path not in routes:
            return ApiResponse(404, error_body(2002, "Resource not found", "ACCESS"))
        quota, operation, handler = routes[path]
        scheme = "IAF " if path == RETURNS_PATH else "Bearer "
        check = self._tokens.check(bearer(headers.get("authorization", ""), scheme))
        if check.account is None:
            message = "Invalid access token"
            denied = ApiResponse(401, error_body(1001, message, "OAuth"), operation=operation)
            fault = FaultKind.TOKEN_EXPIRED.value if check.is_fault else None
            return dataclasses.replace(denied, fault=fault)
        if path == RETURNS_PATH and not headers.get("x-ebay-c-marketplace-id"):
            message = "Missing header X-EBAY-C-MARKETPLACE-ID"
            return ApiResponse(
                400, error_body(1002, message, "returnErrorDomain"), operation=operation
            )
        params = parse_qs(query, keep_blank_values=True)

        def answer() -> ApiResponse:
            try:
                return handler(params, query)
            except EbayError as exc:
                return ApiResponse(400, error_body(exc.error_id, str(exc), exc.domain))

        return self._gate.run(STYLE, EBAY.id, quota, operation, answer)

    def _token(self, headers: Mapping[str, str], body: bytes) -> ApiResponse:
        operation = "ebay.token"
        if basic(headers.get("authorization", "")) != (CLIENT_ID, CLIENT_SECRET):
            refused = {
                "error": "invalid_client",
                "error_description": "client authentication failed",
            }
            return ApiResponse(401, refused, operation=operation)
        form = read_form(headers, body)
        if form.get("grant_type") != "refresh_token":
            description = "grant type in request is not supported by the authorization server"
            return _oauth_error("unsupported_grant_type", description)
        if form.get("refresh_token") != REFRESH_TOKEN:
            return _oauth_error("invalid_grant", INVALID_GRANT)
        if set(form.get("scope", "").split()) - SCOPES:
            return _oauth_error("invalid_scope", INVALID_SCOPE)
        if not self._gate.limiter.take(EBAY.id, EBAY_TOKEN):
            return STYLE.throttled(self._gate, EBAY.id, EBAY_TOKEN, operation)
        body_out: Json = {
            "access_token": self._tokens.issue(EBAY),
            "expires_in": TOKEN_TTL_S,
            "token_type": "User Access Token",
        }
        return ApiResponse(200, body_out, operation=operation, account=EBAY.id)

    # ------------------------------------------------------------------ getOrders

    def _orders(self, params: Params, raw_query: str) -> ApiResponse:
        if any(ch in raw_query for ch in "[]{}|"):
            raise EbayError(30800, "Invalid filter value: [ ] { } | must be URL-encoded.")
        now_s = self._now_s()
        limit = int_param(
            params, "limit", 50, (1, 200), (31100, "Invalid limit. Supported ranges 1 - 200.")
        )
        offset = int_param(params, "offset", 0, (0, 10**9), (31000, "Invalid offset."))
        selected = self._select_orders(params, now_s)
        page = selected[offset : offset + limit]
        orders = [self._order(view, now_s) for view in page]
        fault = self._page_faults(raw_query, selected, (offset, limit), orders, now_s)
        body: Json = {
            "href": self._href(ORDERS_PATH, params, offset, limit),
            "total": len(selected),
            "limit": limit,
            "offset": offset,
        }
        if offset + limit < len(selected):
            body["next"] = self._href(ORDERS_PATH, params, offset + limit, limit)
        if offset > 0:
            body["prev"] = self._href(ORDERS_PATH, params, max(0, offset - limit), limit)
        body["orders"] = orders
        return ApiResponse(200, body, fault=fault)

    def _select_orders(self, params: Params, now_s: int) -> list[OrderView]:
        order_ids = [i for value in params.get("orderIds", ()) for i in value.split(",") if i]
        oldest_s = now_s - 730 * 86_400  # orders up to two years old
        views = [v for v in self._book.views(now_s) if v.order.created_at_s >= oldest_s]
        if order_ids:
            if len(order_ids) > 50:
                raise EbayError(30900, "Too many order IDs: the maximum is 50.")
            wanted = set(order_ids)
            views = [v for v in views if v.order.order_id in wanted]
        else:
            views = [v for v in views if order_filter(params, now_s)(v)]
        views.sort(key=lambda v: (-v.order.created_at_s, v.order.order_id))
        return views

    def _order(self, view: OrderView, now_s: int) -> Json:
        body = render_order(self._seed, view, now_s)
        variant = self._gate.faults.bad_record(view.order.order_id)
        if variant is not None:
            spoil(body, variant, ORDER_SPOILERS)
        return body

    def _page_faults(
        self,
        raw_query: str,
        selected: Sequence[OrderView],
        window: tuple[int, int],
        items: list[Json],
        now_s: int,
    ) -> str | None:
        """The ``paging`` profile on a follow-up page of getOrders (``window``: offset, limit)."""
        offset, limit = window
        if offset == 0 or not selected:
            return None
        kinds = self._gate.faults.page_faults(EBAY.id, "ebay.getOrders", raw_query)
        if FaultKind.DUPLICATE_RECORD in kinds:
            items.insert(0, self._order(selected[offset - 1], now_s))
        if FaultKind.UPDATED_WHILE_PAGING in kinds:
            moved = self._order(selected[max(0, offset - limit)], now_s)
            moved["lastModifiedDate"] = datetime.fromtimestamp(now_s, UTC).strftime(
                "%Y-%m-%dT%H:%M:%S.000Z"
            )
            items.append(moved)
        return ",".join(sorted(kind.value for kind in kinds)) or None

    # ------------------------------------------------------------------ returns, feedback

    def _returns(self, params: Params, raw_query: str) -> ApiResponse:
        now_s = self._now_s()
        state = one(params, "return_state") or "ALL_OPEN"
        if state not in ("ALL_OPEN", "CLOSED"):
            raise EbayError(1203, f"return_state {state} is not supported", "returnErrorDomain")
        low = date_param(params, "creation_date_range_from", now_s - 548 * 86_400)
        high = date_param(params, "creation_date_range_to", now_s)
        if low < now_s - 548 * 86_400:
            raise EbayError(1204, "creation_date_range_from is more than 18 months ago",
                            "returnErrorDomain")  # fmt: skip
        limit = int_param(params, "limit", 25, (1, 200), (1205, "Invalid limit."))
        offset = int_param(params, "offset", 0, (0, 10**9), (1206, "Invalid offset."))
        order_id = one(params, "order_id")
        members = []
        for view in self._book.views(now_s):
            if order_id is not None and view.order.order_id != order_id:
                continue
            for item in view.returns:
                is_open = now_s - item.returned_at_s < OPEN_RETURN_S
                if low <= item.returned_at_s <= high and is_open == (state == "ALL_OPEN"):
                    members.append(render_return(self._seed, view.order, item, is_open=is_open))
        members.sort(key=lambda m: str(m["returnId"]))
        page = members[offset : offset + limit]
        body: Json = {
            "members": page,
            "paginationOutput": {"limit": limit, "offset": offset, "totalEntries": len(members),
                                 "totalPages": -(-len(members) // limit)},
            "countSummary": [{"count": len(members), "type": state}],
        }  # fmt: skip
        return ApiResponse(200, body)

    def _feedback(self, params: Params, raw_query: str) -> ApiResponse:
        if not one(params, "user_id") or not one(params, "feedback_type"):
            raise EbayError(190000, "user_id and feedback_type are required", "API_FEEDBACK")
        kind = one(params, "feedback_type")
        if kind not in ("FEEDBACK_RECEIVED", "FEEDBACK_SENT"):
            raise EbayError(190001, f"feedback_type {kind} is not valid", "API_FEEDBACK")
        wanted = comment_types(one(params, "filter") or "")
        limit = int_param(params, "limit", 25, (1, 200), (190002, "Invalid limit."))
        offset = int_param(params, "offset", 0, (0, 10**9), (190003, "Invalid offset."))
        now_s = self._now_s()
        entries = []
        if one(params, "user_id") == SELLER and kind == "FEEDBACK_RECEIVED":
            for view in self._book.views(now_s):
                feedback = view.order.feedback
                if feedback is not None and feedback.left_at_s <= now_s:
                    entry = render_feedback(self._seed, view.order)
                    if not wanted or entry["commentType"] in wanted:
                        entries.append((feedback.left_at_s, entry))
        entries.sort(key=lambda item: (-item[0], str(item[1]["feedbackId"])))
        page = [entry for _, entry in entries[offset : offset + limit]]
        pagination: Json = {"count": len(page), "limit": limit, "offset": offset,
                            "total": len(entries)}  # fmt: skip
        if offset + limit < len(entries):
            pagination["next"] = self._href(FEEDBACK_PATH, params, offset + limit, limit)
        return ApiResponse(200, {"feedbackEntries": page, "pagination": pagination})

    def _href(self, path: str, params: Params, offset: int, limit: int) -> str:
        query = {k: v[-1] for k, v in params.items() if k not in ("offset", "limit")}
        return f"{self.base_url}{path}?{urlencode({**query, 'limit': limit, 'offset': offset})}"

    def _now_s(self) -> int:
        return int(self._clock().timestamp())


def _oauth_error(error: str, description: str) -> ApiResponse:
    return ApiResponse(400, {"error": error, "error_description": description},
                       operation="ebay.token")  # fmt: skip
