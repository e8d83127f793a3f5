"""Shopify GraphQL Admin ``POST graphql.json``: parse, validate, cost, throttle, execute.

The bucket holds 2,000 points and restores 100 per second (Standard plan). A query's requested
cost must be in the bucket before it runs, otherwise the answer is HTTP 200 with a
``THROTTLED`` error and ``extensions.cost.throttleStatus``; after it runs, the difference
between requested and actual cost goes back into the bucket. Schema, selection and cost rules
are in ``shopify_graphql``.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime

from custsync.sandbox.bad_records import Spoilers, spoil
from custsync.sandbox.faults import FaultKind
from custsync.sandbox.graphql_parser import Field, GraphQLError, parse
from custsync.sandbox.guard import Gate, disturb
from custsync.sandbox.market_index import AccountBook, OrderView
from custsync.sandbox.quota import SHOPIFY_GRAPHQL, SHOPIFY_MAX_QUERY_COST
from custsync.sandbox.responses import ApiResponse
from custsync.sandbox.shopify_filters import Ranked, sort_key, status_matches, within
from custsync.sandbox.shopify_graphql import (
    OrdersQuery,
    connection,
    encode_cursor,
    orders_query,
    requested_cost,
    validate,
)
from custsync.sandbox.shopify_nodes import order_node

GRAPHQL_OPERATION = "shopify.graphql"
NODE_SPOILERS = Spoilers(
    ("id",), ("createdAt",), ("lineItems", 0, "quantity"), ("displayFinancialStatus",)
)
Json = dict[str, object]
Clock = Callable[[], datetime]


class ShopifyGraphQL:
    def __init__(
        self, book: AccountBook, gate: Gate, *, account: str, seed: int, clock: Clock
    ) -> None:
        self._book, self._gate, self._account = book, gate, account
        self._seed, self._clock = seed, clock

    def handle(self, headers: Mapping[str, str], body: bytes) -> ApiResponse:
        try:
            fields = _graphql_document(headers, body)
            validate(fields)
        except GraphQLError as exc:
            return self._answer({"errors": [{"message": str(exc)}]})
        cost = requested_cost(fields)
        if cost > SHOPIFY_MAX_QUERY_COST:
            return self._answer({"errors": [_max_cost_error(cost)]})
        gate = self._gate
        fault = gate.faults.on_request(self._account, GRAPHQL_OPERATION)
        storm = fault is FaultKind.RATE_LIMIT_STORM
        if fault is not None and storm:
            return dataclasses.replace(self._throttled(cost), fault=fault.value)
        if not gate.limiter.take(self._account, SHOPIFY_GRAPHQL, cost):
            return self._throttled(cost)
        if fault in (FaultKind.SERVER_ERROR, FaultKind.SERVICE_UNAVAILABLE):
            gate.limiter.refund(self._account, SHOPIFY_GRAPHQL, cost)
            failed = self._answer({"errors": [{"message": "Internal error"}]})
            status = 500 if fault is FaultKind.SERVER_ERROR else 503
            return dataclasses.replace(failed, status=status, fault=fault.value)
        data, actual, page_fault, warnings = self._execute(fields)
        gate.limiter.refund(self._account, SHOPIFY_GRAPHQL, cost - actual)
        extensions: Json = {"cost": self._cost(cost, actual)}
        if warnings:
            search = [{"field": name, "message": "Invalid search field for this query."}
                      for name in warnings]  # fmt: skip
            extensions["search"] = [{"path": ["orders"], "warnings": search}]
        answer = self._answer({"data": data, "extensions": extensions})
        return disturb(dataclasses.replace(answer, fault=page_fault), fault)

    def _execute(self, fields: Sequence[Field]) -> tuple[Json, int, str | None, list[str]]:
        """(data, actual cost, paging faults, ignored search terms) of validated root fields."""
        now_s = int(self._clock().timestamp())
        data: Json = {}
        actual, faults, warnings = 0, set[str](), list[str]()
        for field in fields:  # validated: every root field is ``orders``
            query = orders_query(field)
            views = self._matches(query, now_s)
            start = 0
            if query.after is not None:
                start = next(
                    (n for n, (key, _) in enumerate(views) if _after(key, query)), len(views)
                )
            page = views[start : start + query.first]
            nodes = [self._node(view) for _, view in page]
            faults |= self._page_faults(query, views, start, nodes, now_s)
            cursors = [encode_cursor(key[0], key[1]) for key, _ in page]
            has_next = start + len(page) < len(views)
            data[field.key], cost = connection(
                field, "Order", nodes, cursors, has_next=has_next, has_previous=start > 0
            )
            actual += cost
            warnings.extend(query.warnings)
        return data, actual, ",".join(sorted(faults)) or None, warnings

    def _matches(self, query: OrdersQuery, now_s: int) -> Ranked:
        found = []
        for view in self._book.views(now_s):
            if not status_matches(view, query.status):
                continue
            if not within(view.updated_s, query.updated) or not within(
                view.order.created_at_s, query.created
            ):
                continue
            found.append((sort_key(view, query.sort), view))
        found.sort(key=lambda item: item[0], reverse=query.reverse)
        return found

    def _node(self, view: OrderView) -> Json:
        node = order_node(self._seed, self._book, view)
        variant = self._gate.faults.bad_record(view.order.order_id)
        if variant is not None:
            spoil(node, variant, NODE_SPOILERS)
        return node

    def _page_faults(
        self,
        query: OrdersQuery,
        views: Ranked,
        start: int,
        nodes: list[Json],
        now_s: int,
    ) -> set[str]:
        if query.after is None or start == 0:
            return set()
        page_key = f"{query}"
        kinds = self._gate.faults.page_faults(self._account, GRAPHQL_OPERATION, page_key)
        if FaultKind.DUPLICATE_RECORD in kinds:
            nodes.insert(0, self._node(views[start - 1][1]))
        if FaultKind.UPDATED_WHILE_PAGING in kinds:
            moved = self._node(views[max(0, start - query.first)][1])
            moved["updatedAt"] = datetime.fromtimestamp(now_s, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            nodes.append(moved)
        return {kind.value for kind in kinds}

    def _throttled(self, requested: int) -> ApiResponse:
        error = {
            "message": "Throttled",
            "extensions": {
                "code": "THROTTLED",
                "documentation": "https://shopify.dev/api/usage/rate-limits",
            },
        }
        cost = self._cost(requested, None)
        response = self._answer({"errors": [error], "extensions": {"cost": cost}})
        return dataclasses.replace(response, account=self._account)

    def _cost(self, requested: int, actual: int | None) -> Json:
        limiter = self._gate.limiter
        return {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": {
                "maximumAvailable": float(SHOPIFY_GRAPHQL.burst),
                "currentlyAvailable": math.floor(limiter.available(self._account, SHOPIFY_GRAPHQL)),
                "restoreRate": limiter.rate_per_s(SHOPIFY_GRAPHQL),
            },
        }

    def _answer(self, body: Json) -> ApiResponse:
        return _graphql_answer(body, self._account)


def _max_cost_error(cost: int) -> Json:
    return {
        "message": f"Query cost is {cost}, which exceeds the single query max cost limit "
        f"({SHOPIFY_MAX_QUERY_COST}).",
        "extensions": {
            "code": "MAX_COST_EXCEEDED",
            "cost": cost,
            "maxCost": SHOPIFY_MAX_QUERY_COST,
        },
    }


def _graphql_answer(body: Json, account: str | None = None) -> ApiResponse:
    return ApiResponse(200, body, operation=GRAPHQL_OPERATION, account=account)


def _graphql_document(headers: Mapping[str, str], body: bytes) -> tuple[Field, ...]:
    text = body.decode("utf-8", "replace")
    if headers.get("content-type", "").startswith("application/graphql"):
        return parse(text)
    try:
        request = json.loads(text)
    except ValueError:
        raise GraphQLError("The request body is not JSON") from None
    if not isinstance(request, dict) or not isinstance(request.get("query"), str):
        raise GraphQLError("No query string was present")
    variables = request.get("variables") or {}
    if not isinstance(variables, dict):
        raise GraphQLError("Variables must be an object")
    return parse(request["query"], variables)


def _after(key: tuple[int, int], query: OrdersQuery) -> bool:
    assert query.after is not None
    value, last_id = query.after
    cursor = (value, last_id)
    return key < cursor if query.reverse else key > cursor
