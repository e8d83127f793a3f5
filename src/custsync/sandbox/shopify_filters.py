"""Which Shopify orders a query selects, and in which order (REST and GraphQL share them).

A query sees ``OrderView``s (``market_index``) ranked by a sort key ``(value, order id)``:
``updated`` (``updated_at``), ``created`` (``created_at``) or ``id``. Cursors of both APIs
name the key of the last item seen, so paging is by key (keyset), not by position: an order
updated while a client pages moves, as it does on Shopify.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from custsync.sandbox.market_index import OrderView
from custsync.sandbox.shopify_payloads import closed_s

Json = dict[str, object]
Params = Mapping[str, Sequence[str]]
Ranked = list[tuple[tuple[int, int], OrderView]]
SORTS = {"created_at": "created", "updated_at": "updated", "processed_at": "created", "id": "id"}


def rest_filters(params: Params) -> Json:
    status = one(params, "status") or "open"
    if status not in ("open", "closed", "cancelled", "any"):
        raise ValueError(f"status {status!r} is not valid (open, closed, cancelled, any)")
    order = (one(params, "order") or "created_at desc").split()
    if len(order) != 2 or order[0] not in SORTS or order[1] not in ("asc", "desc"):
        raise ValueError("order must be a field (created_at, updated_at, id) and asc or desc")
    query: Json = {"status": status, "sort": SORTS[order[0]], "desc": order[1] == "desc"}
    for name in ("updated_at_min", "updated_at_max", "created_at_min", "created_at_max"):
        text = one(params, name)
        if text is not None:
            query[name] = epoch(text, name)
    since_id = one(params, "since_id")
    if since_id is not None:
        if not since_id.isdigit():
            raise ValueError("since_id must be an order id")
        query |= {"since_id": int(since_id), "sort": "id", "desc": False}
    ids = one(params, "ids")
    if ids is not None:
        query["ids"] = [int(part) for part in ids.split(",") if part.strip().isdigit()]
    return query


def one(params: Params, name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None


def epoch(text: str, name: str) -> int:
    try:
        moment = datetime.fromisoformat(text.replace(" ", "+"))
    except ValueError:
        raise ValueError(f"{name} is not a valid ISO 8601 time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())


def status_matches(view: OrderView, status: str) -> bool:
    if status == "any":
        return True
    cancelled = view.state.status.value == "CANCELLED"
    if status == "cancelled":
        return cancelled
    closed = closed_s(view) is not None
    return closed if status == "closed" else not closed and not cancelled


def in_range(view: OrderView, query: Json) -> bool:
    updated = (query.get("updated_at_min"), query.get("updated_at_max"))
    created = (query.get("created_at_min"), query.get("created_at_max"))
    since_id = query.get("since_id")
    if isinstance(since_id, int) and int(view.order.order_id) <= since_id:
        return False
    return within(view.updated_s, updated) and within(view.order.created_at_s, created)  # type: ignore[arg-type]


def within(value: int, bounds: tuple[int | None, int | None]) -> bool:
    low, high = bounds
    return (low is None or value >= low) and (high is None or value <= high)


def sort_key(view: OrderView, sort: str) -> tuple[int, int]:
    order_id = int(view.order.order_id)
    if sort == "updated":
        return view.updated_s, order_id
    if sort == "created":
        return view.order.created_at_s, order_id
    return order_id, order_id


def start_position(views: Sequence[tuple[tuple[int, int], OrderView]], query: Json) -> int:
    """Position of the first item after (``next``) or of the cursor item (``prev``)."""
    key = query.get("key")
    if not isinstance(key, list):
        return 0
    cursor = (int(key[0]), int(key[1]))
    descending = query["desc"] is True
    for position, (item_key, _) in enumerate(views):
        beyond = item_key < cursor if descending else item_key > cursor
        if query.get("direction") == "next" and beyond:
            return position
        if query.get("direction") == "prev" and (beyond or item_key == cursor):
            return position
    return len(views)
