"""eBay request parameters as eBay reads them, and its error body.

``order_filter`` is the Fulfillment ``filter`` (``creationdate``, ``lastmodifieddate``,
``orderfulfillmentstatus``; creationdate wins; no filter: created in the last 90 days);
dates are ISO 8601 UTC with ``Z``; every refusal is an ``EbayError`` with eBay's error id.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

from custsync.sandbox.market_index import OrderView

Json = dict[str, object]
Params = Mapping[str, Sequence[str]]


class EbayError(ValueError):
    def __init__(self, error_id: int, message: str, domain: str = "API_FULFILLMENT") -> None:
        super().__init__(message)
        self.error_id, self.domain = error_id, domain


def error_body(error_id: int, message: str, domain: str, category: str = "REQUEST") -> Json:
    return {"errors": [{"errorId": error_id, "domain": domain, "category": category,
                        "message": message}]}  # fmt: skip


def order_filter(params: Params, now_s: int) -> Callable[[OrderView], bool]:
    text = one(params, "filter") or ""
    bounds: dict[str, tuple[int | None, int | None]] = {}
    statuses: set[str] = set()
    for part in [p for p in text.split(",") if p]:
        name, _, value = part.partition(":")
        if name in ("creationdate", "lastmodifieddate"):
            bounds[name] = date_range(value, now_s)
        elif name == "orderfulfillmentstatus":
            statuses = set(value.strip("{}").split("|"))
            if not statuses <= {"NOT_STARTED", "IN_PROGRESS", "FULFILLED"}:
                raise EbayError(30800, f"Invalid filter value: {value}")
        else:
            raise EbayError(30700, f"Invalid filter name: {name}")
    if not bounds:
        bounds["creationdate"] = (now_s - 90 * 86_400, None)
    name = "creationdate" if "creationdate" in bounds else "lastmodifieddate"
    low, high = bounds[name]

    def keep(view: OrderView) -> bool:
        at_s = view.order.created_at_s if name == "creationdate" else view.updated_s
        status = "FULFILLED" if view.state.status.value == "SHIPPED" else "NOT_STARTED"
        return (
            (low is None or at_s >= low)
            and (high is None or at_s <= high)
            and (not statuses or status in statuses)
        )

    return keep


def date_range(value: str, now_s: int) -> tuple[int | None, int | None]:
    if not (value.startswith("[") and value.endswith("]") and ".." in value):
        raise EbayError(30800, f"Invalid filter value: {value}")
    start_text, _, end_text = value[1:-1].partition("..")
    if not start_text:
        raise EbayError(30820, "The start date is missing.")
    start = timestamp(start_text)
    end = timestamp(end_text) if end_text else None
    if end is not None and start > end:
        raise EbayError(30840, "The start date is after the end date.")
    if start > now_s:
        raise EbayError(30850, "The dates cannot be in the future.")
    return start, end


def timestamp(text: str) -> int:
    if not text.endswith("Z"):
        raise EbayError(30810, f"Invalid date format: {text} (use 2026-01-01T00:00:00.000Z)")
    try:
        return int(datetime.fromisoformat(text).timestamp())
    except ValueError:
        raise EbayError(30810, f"Invalid date format: {text}") from None


def date_param(params: Params, name: str, default_s: int) -> int:
    text = one(params, name)
    if text is None:
        return default_s
    try:
        return timestamp(text)
    except EbayError:
        raise EbayError(1207, f"Invalid date format: {name}", "returnErrorDomain") from None


def comment_types(text: str) -> set[str]:
    wanted: set[str] = set()
    for part in [p for p in text.split(",") if p]:
        name, _, value = part.partition(":")
        if name != "commentType":
            raise EbayError(190004, f"Invalid filter: {name}", "API_FEEDBACK")
        wanted |= set(value.strip("{}").split("|"))
    return wanted


def int_param(
    params: Params, name: str, default: int, bounds: tuple[int, int], error: tuple[int, str]
) -> int:
    text = one(params, name)
    if text is None:
        return default
    low, high = bounds
    if not text.isdigit() or not low <= int(text) <= high:
        raise EbayError(*error)
    return int(text)


def one(params: Params, name: str) -> str | None:
    values = params.get(name)
    return values[-1] if values else None


def bearer(header: str, scheme: str) -> str | None:
    for prefix in (scheme, "Bearer "):
        if header.startswith(prefix):
            return header.removeprefix(prefix).strip()
    return None


def basic(header: str) -> tuple[str, str] | None:
    if not header.startswith("Basic "):
        return None
    try:
        user, _, password = base64.b64decode(header[6:].strip()).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return user, password
