"""The Shopify GraphQL Admin ``orders`` query: a schema subset, selection, cost and paging.

Supported: ``orders(first, after, query, sortKey, reverse)`` with ``edges { cursor node }``,
``nodes`` and ``pageInfo``; the ``Order`` fields of ``SCHEMA`` (customer, addresses, lineItems,
discountCodes, refunds with refundLineItems, money sets). ``query`` understands
``updated_at:>'2026-01-01T00:00:00Z'`` (and ``>=``, ``<``, ``<=``), the same for ``created_at``,
and ``status:open|closed|cancelled|any``; other search terms are ignored with a warning in
``extensions.search``, as Shopify does. Unknown fields and arguments are GraphQL errors.

Cost follows Shopify's published rules: an object costs 1, a connection 2 + ``first`` x its
node's cost, scalars 0; the requested cost must be in the bucket before the query runs
(otherwise ``THROTTLED``), the difference to the actual cost (real item counts) is refunded,
and a query whose requested cost exceeds 1,000 is refused (``MAX_COST_EXCEEDED``).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from custsync.sandbox.graphql_parser import Enum, Field, GraphQLError

Json = dict[str, object]
S = "scalar"
_MONEY = {"shopMoney": ("object", "MoneyV2"), "presentmentMoney": ("object", "MoneyV2")}
_ADDRESS_FIELDS = (
    "firstName lastName name address1 address2 city province provinceCode zip country "
    "countryCodeV2 phone company"
)


def _scalars(names: str) -> dict[str, tuple[str, str]]:
    return {name: (S, "") for name in names.split()}


SCHEMA: dict[str, dict[str, tuple[str, str]]] = {
    "QueryRoot": {"orders": ("connection", "Order")},
    "Order": _scalars(
        "id legacyResourceId name email phone createdAt updatedAt processedAt cancelledAt "
        "cancelReason closed closedAt currencyCode displayFinancialStatus "
        "displayFulfillmentStatus discountCode discountCodes test tags sourceName"
    )
    | {
        name: ("object", "MoneyBag")
        for name in [
            "subtotalPriceSet",
            "totalDiscountsSet",
            "totalPriceSet",
            "totalShippingPriceSet",
            "totalTaxSet",
            "totalRefundedSet",
            "currentTotalPriceSet",
        ]
    }
    | {
        "customer": ("object", "Customer"),
        "shippingAddress": ("object", "MailingAddress"),
        "billingAddress": ("object", "MailingAddress"),
        "lineItems": ("connection", "LineItem"),
        "refunds": ("list", "Refund"),
    },
    "MoneyBag": _MONEY,
    "MoneyV2": _scalars("amount currencyCode"),
    "MailingAddress": _scalars(_ADDRESS_FIELDS),
    "Customer": _scalars(
        "id legacyResourceId firstName lastName displayName email phone createdAt updatedAt"
    )
    | {
        "defaultEmailAddress": ("object", "CustomerEmailAddress"),
        "defaultPhoneNumber": ("object", "CustomerPhoneNumber"),
        "defaultAddress": ("object", "MailingAddress"),
    },
    "CustomerEmailAddress": _scalars("emailAddress"),
    "CustomerPhoneNumber": _scalars("phoneNumber"),
    "LineItem": _scalars("id sku title name quantity currentQuantity")
    | {
        name: ("object", "MoneyBag")
        for name in [
            "originalUnitPriceSet",
            "originalTotalSet",
            "discountedTotalSet",
            "totalDiscountSet",
        ]
    }
    | {"discountAllocations": ("list", "DiscountAllocation")},
    "DiscountAllocation": {"allocatedAmountSet": ("object", "MoneyBag")},
    "Refund": _scalars("id legacyResourceId createdAt note")
    | {
        "totalRefundedSet": ("object", "MoneyBag"),
        "refundLineItems": ("connection", "RefundLineItem"),
    },
    "RefundLineItem": _scalars("quantity restockType")
    | {
        "subtotalSet": ("object", "MoneyBag"),
        "totalTaxSet": ("object", "MoneyBag"),
        "lineItem": ("object", "LineItem"),
    },
    "PageInfo": _scalars("hasNextPage hasPreviousPage startCursor endCursor"),
}
CONNECTION_ARGS = {"first", "after", "last", "before", "query", "sortKey", "reverse"}
SORT_KEYS = {
    "ID": "id",
    "CREATED_AT": "created",
    "PROCESSED_AT": "created",
    "UPDATED_AT": "updated",
}
MAX_PAGE = 250
_TERM = re.compile(r"(\w+):(<=|>=|<|>|=)?\s*('[^']*'|\"[^\"]*\"|\S+)")


@dataclass(frozen=True, slots=True)
class OrdersQuery:
    first: int
    after: tuple[int, int] | None  # (sort value, id) of the last item seen
    sort: str  # id | created | updated
    reverse: bool
    updated: tuple[int | None, int | None]  # [min, max] epoch seconds, inclusive
    created: tuple[int | None, int | None]
    status: str  # any | open | closed | cancelled
    warnings: tuple[str, ...]


def validate(fields: Sequence[Field], type_name: str = "QueryRoot", path: str = "query") -> None:
    """Refuse unknown fields and arguments, connections without ``first``."""
    for field in fields:
        spec = SCHEMA[type_name].get(field.name)
        if spec is None:
            raise GraphQLError(f"Field '{field.name}' doesn't exist on type '{type_name}'")
        kind, child = spec
        if kind == "connection":
            _validate_connection(field, child, f"{path}.{field.name}")
        elif kind in ("object", "list"):
            if not field.selections:
                raise GraphQLError(f"Field '{field.name}' of type '{child}' must have selections")
            validate(field.selections, child, f"{path}.{field.name}")
        elif field.selections:
            raise GraphQLError(f"Selections can't be made on scalars (field '{field.name}')")
        if kind != "connection" and set(field.args) - {"first"}:
            raise GraphQLError(f"Field '{field.name}' doesn't accept these arguments")


def _validate_connection(field: Field, node_type: str, path: str) -> None:
    unknown = set(field.args) - CONNECTION_ARGS
    if unknown:
        raise GraphQLError(f"Field '{field.name}' doesn't accept argument '{sorted(unknown)[0]}'")
    if "last" in field.args or "before" in field.args:
        raise GraphQLError("The sandbox pages forward only: use first and after")
    first = field.args.get("first")
    if not isinstance(first, int):
        raise GraphQLError("you must provide one of first or last")
    if not 0 < first <= MAX_PAGE:
        raise GraphQLError(f"The first argument of {field.name} must be between 1 and 250")
    for part in field.selections:
        if part.name == "edges":
            for edge_field in part.selections:
                if edge_field.name == "node":
                    validate(edge_field.selections, node_type, path)
                elif edge_field.name != "cursor":
                    raise GraphQLError(f"Field '{edge_field.name}' doesn't exist on the edge")
        elif part.name == "nodes":
            validate(part.selections, node_type, path)
        elif part.name == "pageInfo":
            validate(part.selections, "PageInfo", path)
        else:
            raise GraphQLError(f"Field '{part.name}' doesn't exist on the connection")


def requested_cost(fields: Sequence[Field], type_name: str = "QueryRoot") -> int:
    total = 0
    for field in fields:
        kind, child = SCHEMA[type_name][field.name]
        if kind == "object":
            total += 1 + requested_cost(field.selections, child)
        elif kind == "list":
            first = field.args.get("first")
            count = first if isinstance(first, int) else 1
            total += count * (1 + requested_cost(field.selections, child))
        elif kind == "connection":
            first = field.args.get("first")
            node = _node_fields(field)
            total += 2 + (first if isinstance(first, int) else 0) * (
                1 + requested_cost(node, child)
            )
    return total


def _node_fields(field: Field) -> tuple[Field, ...]:
    found: list[Field] = []
    for part in field.selections:
        if part.name == "nodes":
            found.extend(part.selections)
        elif part.name == "edges":
            for edge_field in part.selections:
                if edge_field.name == "node":
                    found.extend(edge_field.selections)
    return tuple(found)


def select(fields: Sequence[Field], type_name: str, data: Mapping[str, object]) -> tuple[Json, int]:
    """(the selected part of ``data``, its actual cost)."""
    out: Json = {}
    cost = 0
    for field in fields:
        kind, child = SCHEMA[type_name][field.name]
        value = data.get(field.name)
        if kind == "object":
            if isinstance(value, Mapping):
                out[field.key], part = select(field.selections, child, value)
                cost += 1 + part
            else:
                out[field.key] = None
        elif kind == "list":
            items = [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
            selected = [select(field.selections, child, item) for item in items]
            out[field.key] = [item for item, _ in selected]
            cost += sum(1 + part for _, part in selected)
        elif kind == "connection":
            items = [v for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []
            out[field.key], part = nested_connection(field, child, items)
            cost += part
        else:
            out[field.key] = value
    return out, cost


def nested_connection(
    field: Field, node_type: str, items: Sequence[Mapping[str, object]]
) -> tuple[Json, int]:
    """A connection inside a node (lineItems): cursors are positions."""
    start = 0
    after = field.args.get("after")
    if isinstance(after, str):
        start = int(decode_cursor(after)[1]) + 1
    first = field.args.get("first")
    page = list(enumerate(items))[start : start + (first if isinstance(first, int) else 0)]
    cursors = [encode_cursor(0, position) for position, _ in page]
    has_next = start + len(page) < len(items)
    nodes = [item for _, item in page]
    return connection(field, node_type, nodes, cursors, has_next=has_next, has_previous=start > 0)


def connection(
    field: Field,
    node_type: str,
    nodes: Sequence[Mapping[str, object]],
    cursors: Sequence[str],
    *,
    has_next: bool,
    has_previous: bool,
) -> tuple[Json, int]:
    out: Json = {}
    cost = 2
    selected = [select(_node_fields(field), node_type, node) for node in nodes]
    cost += sum(1 + part for _, part in selected)
    for part in field.selections:
        if part.name == "nodes":
            out[part.key] = [node for node, _ in selected]
        elif part.name == "edges":
            edges = []
            for (node, _), cursor in zip(selected, cursors, strict=True):
                edge: Json = {}
                for edge_field in part.selections:
                    edge[edge_field.key] = cursor if edge_field.name == "cursor" else node
                edges.append(edge)
            out[part.key] = edges
        elif part.name == "pageInfo":
            info = {
                "hasNextPage": has_next,
                "hasPreviousPage": has_previous,
                "startCursor": cursors[0] if cursors else None,
                "endCursor": cursors[-1] if cursors else None,
            }
            out[part.key] = {p.key: info[p.name] for p in part.selections}
    return out, cost


def encode_cursor(value: int, last_id: int) -> str:
    text = json.dumps({"last_id": last_id, "last_value": value}, separators=(",", ":"))
    return base64.b64encode(text.encode()).decode()


def decode_cursor(cursor: str) -> tuple[int, int]:
    """(last_value, last_id) of a cursor this sandbox issued."""
    try:
        data = json.loads(base64.b64decode(cursor, validate=True))
        return int(data["last_value"]), int(data["last_id"])
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor}") from None


def orders_query(field: Field) -> OrdersQuery:
    args = field.args
    sort_key = args.get("sortKey", Enum("ID"))
    sort_name = sort_key.name if isinstance(sort_key, Enum) else str(sort_key)
    if sort_name not in SORT_KEYS:
        raise GraphQLError(f"Argument 'sortKey' has an invalid value ({sort_name})")
    after = args.get("after")
    first = args.get("first")
    updated, created, status, warnings = _search(str(args.get("query") or ""))
    return OrdersQuery(
        first=first if isinstance(first, int) else 0,
        after=decode_cursor(after) if isinstance(after, str) else None,
        sort=SORT_KEYS[sort_name],
        reverse=args.get("reverse") is True,
        updated=updated,
        created=created,
        status=status,
        warnings=warnings,
    )


def _search(
    text: str,
) -> tuple[tuple[int | None, int | None], tuple[int | None, int | None], str, tuple[str, ...]]:
    bounds: dict[str, list[int | None]] = {"updated_at": [None, None], "created_at": [None, None]}
    status, warnings = "any", []
    for name, operator, raw in _TERM.findall(text):
        value = raw.strip("'\"")
        if name in bounds:
            moment = _moment(value)
            if operator in (">", ">="):
                bounds[name][0] = moment + (1 if operator == ">" else 0)
            elif operator in ("<", "<="):
                bounds[name][1] = moment - (1 if operator == "<" else 0)
            else:
                bounds[name] = [moment, moment]
        elif name == "status" and value in ("any", "open", "closed", "cancelled"):
            status = value
        else:
            warnings.append(name)
    updated, created = bounds["updated_at"], bounds["created_at"]
    return (updated[0], updated[1]), (created[0], created[1]), status, tuple(warnings)


def _moment(text: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise GraphQLError(f"Invalid date in search query: {text}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())
