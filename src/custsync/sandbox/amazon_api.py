"""The Amazon SP-API surface of the sandbox: LWA token, Orders v2026-01-01, Reports 2021-06-30.

Order of checks per operation, as on Amazon: access token (403) → quota (429) → parameters
(400) → data. Every request spends quota, whatever its outcome after the token check. 2xx
answers carry ``x-amzn-RateLimit-Limit``; a 429 carries only ``x-amzn-RequestId`` (the model).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from urllib.parse import parse_qs, unquote

from custsync.records import AccountId
from custsync.sandbox.amazon_index import Match, OrderBook
from custsync.sandbox.amazon_payloads import render_order
from custsync.sandbox.amazon_query import (
    InvalidQuery,
    SearchQuery,
    TokenSigner,
    parse_included,
    parse_search,
)
from custsync.sandbox.amazon_reports import FAULT_KEY, ReportsApi, UnknownResource
from custsync.sandbox.bad_records import Spoilers, spoil
from custsync.sandbox.catalog import ACCOUNT_BY_ID, Account
from custsync.sandbox.faults import FaultKind, FaultPlan
from custsync.sandbox.guard import Gate
from custsync.sandbox.lwa import TokenIssuer
from custsync.sandbox.orders import SimOrder, StatusChange, iso
from custsync.sandbox.quota import (
    CREATE_REPORT,
    GET_ORDER,
    GET_REPORT,
    GET_REPORT_DOCUMENT,
    GET_REPORTS,
    SEARCH_ORDERS,
    Quota,
)
from custsync.sandbox.responses import ApiResponse, amazon_error

ORDERS_PATH = "/orders/2026-01-01/orders"
REPORTS_PATH = "/reports/2021-06-30/reports"
DOCUMENTS_PATH = "/reports/2021-06-30/documents"
AUTH_PATH = "/auth/o2/token"
UNAUTHORIZED = "Access to requested resource is denied."
EXPIRED = "The access token you provided has expired."
QUOTA_EXCEEDED = "You exceeded your quota for the requested resource."
ORDER_SPOILERS = Spoilers(
    ("orderId",),
    ("createdTime",),
    ("orderItems", 0, "quantityOrdered"),
    ("fulfillment", "fulfillmentStatus"),
)

Params = Mapping[str, Sequence[str]]
Json = dict[str, object]
Clock = Callable[[], datetime]


class AmazonStyle:
    """How SP-API words throttling, server errors and rate headers (``guard.ApiStyle``)."""

    def throttled(self, gate: Gate, account: str, quota: Quota, operation: str) -> ApiResponse:
        return amazon_error(429, "QuotaExceeded", QUOTA_EXCEEDED, operation=operation)

    def server_error(self, status: int, operation: str, account: str) -> ApiResponse:
        if status == 503:
            message = "Service is temporarily unavailable. Please try again."
            return amazon_error(503, "ServiceUnavailable", message, operation=operation)
        message = "We encountered an internal error. Please try again."
        return amazon_error(500, "InternalFailure", message, operation=operation)

    def rate_headers(
        self, gate: Gate, account: str, quota: Quota, status: int
    ) -> Mapping[str, str]:
        if status >= 300:
            return {}
        return {"x-amzn-RateLimit-Limit": f"{gate.limiter.rate_per_s(quota):g}"}


STYLE = AmazonStyle()


class AmazonSandbox:
    """Answers one HTTP request (already read) with an ``ApiResponse``; thread-safe."""

    def __init__(
        self,
        book: OrderBook,
        reports: ReportsApi,
        tokens: TokenIssuer,
        gate: Gate,
        *,
        seed: int,
        clock: Clock,
    ) -> None:
        self._seed, self._clock = seed, clock
        self.orders, self.reports, self.tokens, self._gate = book, reports, tokens, gate
        self._faults: FaultPlan = gate.faults
        self._signer = TokenSigner(f"custsync-sandbox:{seed}".encode())

    @staticmethod
    def handles(path: str) -> bool:
        return path == AUTH_PATH or path.startswith(("/orders/2026-01-01/", "/reports/2021-06-30/"))

    def handle(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes
    ) -> ApiResponse:
        path, _, query = target.partition("?")
        params = parse_qs(query, keep_blank_values=True)
        if path == AUTH_PATH and method == "POST":
            return self.tokens.exchange(headers, body)
        route = self._route(method, path, params, body)
        if route is None:
            return amazon_error(404, "NotFound", "Resource not found.", operation="unknown")
        quota, operation = route
        return self._guarded(quota, headers, operation)

    def _route(
        self, method: str, path: str, params: Params, body: bytes
    ) -> tuple[Quota, Callable[[str], tuple[int, Json]]] | None:
        reports = self.reports
        if method == "GET" and path == ORDERS_PATH:
            return SEARCH_ORDERS, lambda a: self._search(a, params)
        if method == "GET" and path.startswith(ORDERS_PATH + "/"):
            order_id = unquote(path.removeprefix(ORDERS_PATH + "/"))
            return GET_ORDER, lambda a: self._get(a, order_id, params)
        if method == "POST" and path == REPORTS_PATH:
            return CREATE_REPORT, lambda a: reports.create_report(self._account(a), body)
        if method == "GET" and path == REPORTS_PATH:
            return GET_REPORTS, lambda a: reports.get_reports(self._account(a), params)
        if method == "GET" and path.startswith(REPORTS_PATH + "/"):
            report_id = unquote(path.removeprefix(REPORTS_PATH + "/"))
            return GET_REPORT, lambda a: reports.get_report(self._account(a), report_id)
        if method == "GET" and path.startswith(DOCUMENTS_PATH + "/"):
            document_id = unquote(path.removeprefix(DOCUMENTS_PATH + "/"))
            return GET_REPORT_DOCUMENT, lambda a: reports.get_document(
                self._account(a), document_id
            )
        return None

    def _guarded(
        self, quota: Quota, headers: Mapping[str, str], operation: Callable[[str], tuple[int, Json]]
    ) -> ApiResponse:
        check = self.tokens.check(headers.get("x-amz-access-token"))
        if check.account is None:
            details = EXPIRED if check.problem == "expired" else ""
            denied = amazon_error(
                403, "Unauthorized", UNAUTHORIZED, operation=quota.operation, details=details
            )
            fault = FaultKind.TOKEN_EXPIRED.value if check.is_fault else None
            return dataclasses.replace(denied, fault=fault)
        account_id = check.account.id

        def answer() -> ApiResponse:
            try:
                status, body = operation(account_id)
            except InvalidQuery as exc:
                return amazon_error(400, "InvalidInput", str(exc), operation=quota.operation)
            except UnknownResource as exc:
                message = "The resource specified does not exist."
                return amazon_error(
                    404, "NotFound", message, operation=quota.operation, details=str(exc)
                )
            fault = body.pop(FAULT_KEY, None)
            return ApiResponse(status, body, fault=str(fault) if fault else None)

        return self._gate.run(STYLE, account_id, quota, quota.operation, answer)

    def _account(self, account_id: str) -> Account:
        return ACCOUNT_BY_ID[AccountId(account_id)]

    def _search(self, account_id: str, params: Params) -> tuple[int, Json]:
        account = self._account(account_id)
        query = parse_search(params, account, self._clock(), self._signer)
        matches = self.orders.search(account_id, query)
        page = list(matches[query.offset : query.offset + query.page_size])
        orders = [self._render(order, state, query.included) for order, state in page]
        faults = self._page_faults(account_id, query, matches, orders)
        body: Json = {"orders": orders}
        end = query.offset + len(page)
        if end < len(matches):
            now_s = int(self._clock().timestamp())
            token = self._signer.issue(query.fingerprint, end, query.before_s, now_s)
            body["pagination"] = {"nextToken": token}
        body[f"{query.by}Before"] = iso(query.before_s)
        if faults:
            body[FAULT_KEY] = ",".join(sorted(faults))
        return 200, body

    def _page_faults(
        self, account_id: str, query: SearchQuery, matches: Sequence[Match], orders: list[Json]
    ) -> set[str]:
        """The ``paging`` profile: repeat the record before the page, re-serve an earlier one."""
        if query.offset == 0:
            return set()
        key = f"{query.fingerprint}:{query.offset}"
        kinds = self._faults.page_faults(account_id, SEARCH_ORDERS.operation, key)
        if FaultKind.DUPLICATE_RECORD in kinds:
            order, state = matches[query.offset - 1]
            orders.insert(0, self._render(order, state, query.included))
        if FaultKind.UPDATED_WHILE_PAGING in kinds:
            order, state = matches[max(0, query.offset - query.page_size)]
            moved = self._render(order, state, query.included)
            moved["lastUpdatedTime"] = iso(query.before_s)
            orders.append(moved)
        return {kind.value for kind in kinds}

    def _get(self, account_id: str, order_id: str, params: Params) -> tuple[int, Json]:
        included = parse_included(params)
        order = self.orders.get(account_id, order_id)
        state = order.state_at(int(self._clock().timestamp())) if order else None
        if order is None or state is None:
            error = {"code": "NotFound", "message": "Order not found.", "details": ""}
            return 404, {"errors": [error]}
        return 200, {"order": self._render(order, state, included)}

    def _render(self, order: SimOrder, state: StatusChange, included: frozenset[str]) -> Json:
        body = render_order(self._seed, order, state, included)
        variant = self._faults.bad_record(order.order_id)
        if variant is not None:
            spoil(body, variant, ORDER_SPOILERS)
        return body
