"""searchOrders parameters: validated as strictly as the real API, and the pagination token.

Rules (Orders API v2026-01-01): exactly one of ``createdAfter``/``lastUpdatedAfter``; the
matching ``...Before`` is optional, must not precede the ``...After`` and must be at least two
minutes before the request (default: now - 2 min); ``maxResultsPerPage`` 1..100 (default 100);
a ``paginationToken`` is only valid with the same other parameters (``maxResultsPerPage`` and
``includedData`` may change), expires after 24 h and carries the window end of the first page,
so later pages show the same snapshot.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from custsync.sandbox.amazon_payloads import INCLUDED_DATA
from custsync.sandbox.catalog import Account

LAG_S = 120
TOKEN_TTL_S = 24 * 3600
MAX_PAGE_SIZE = 100
FULFILLMENT_STATUSES = frozenset(
    {
        "PENDING_AVAILABILITY",
        "PENDING",
        "UNSHIPPED",
        "PARTIALLY_SHIPPED",
        "SHIPPED",
        "CANCELLED",
        "UNFULFILLABLE",
    }
)
FULFILLED_BY = frozenset({"MERCHANT", "AMAZON"})
_WINDOW_PARAMS = ("createdAfter", "createdBefore", "lastUpdatedAfter", "lastUpdatedBefore")
_LIST_PARAMS = ("marketplaceIds", "fulfillmentStatuses", "fulfilledBy", "includedData")
KNOWN_PARAMS = frozenset({*_WINDOW_PARAMS, *_LIST_PARAMS, "maxResultsPerPage", "paginationToken"})


class InvalidQuery(ValueError):
    """A parameter the API would reject with 400 InvalidInput (message names it)."""


@dataclass(frozen=True, slots=True)
class SearchQuery:
    by: Literal["created", "lastUpdated"]
    after_s: int
    before_s: int  # the snapshot: state as of this time
    marketplace_ids: frozenset[str]
    statuses: frozenset[str]  # empty: any
    fulfilled_by: frozenset[str]  # empty: any
    page_size: int
    included: frozenset[str]
    offset: int
    fingerprint: str  # what a pagination token must match


class TokenSigner:
    """Opaque, tamper-evident pagination tokens (deterministic for a given key and clock)."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def issue(self, fingerprint: str, offset: int, before_s: int, issued_s: int) -> str:
        payload = f"{fingerprint}:{offset}:{before_s}:{issued_s}"
        mac = hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()[:16]
        return base64.urlsafe_b64encode(f"{payload}:{mac}".encode()).decode().rstrip("=")

    def read(self, token: str) -> tuple[str, int, int, int]:
        """(fingerprint, offset, before_s, issued_s) of a token this signer issued."""
        try:
            text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
            fingerprint, offset, before_s, issued_s, mac = text.split(":")
            payload = f"{fingerprint}:{offset}:{before_s}:{issued_s}"
            expected = hmac.new(self._key, payload.encode(), hashlib.sha256).hexdigest()[:16]
            if not hmac.compare_digest(mac, expected):
                raise InvalidQuery("paginationToken is not valid")
            return fingerprint, int(offset), int(before_s), int(issued_s)
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            if isinstance(exc, InvalidQuery):
                raise
            raise InvalidQuery("paginationToken is not valid") from None


def parse_search(
    params: Mapping[str, Sequence[str]], account: Account, now: datetime, signer: TokenSigner
) -> SearchQuery:
    unknown = sorted(set(params) - KNOWN_PARAMS)
    if unknown:
        raise InvalidQuery(f"unknown parameter {unknown[0]}")
    now_s = int(now.timestamp())
    by, after_s, before_given = _window(params, now_s)
    marketplaces = list_values(params, "marketplaceIds") or list(account.marketplace_ids)
    foreign = [mp for mp in marketplaces if mp not in account.marketplace_ids]
    if foreign or len(marketplaces) > 50:
        raise InvalidQuery(f"marketplaceIds: {foreign[0] if foreign else 'too many'} is not valid")
    statuses = enum_values(params, "fulfillmentStatuses", FULFILLMENT_STATUSES)
    fulfilled_by = enum_values(params, "fulfilledBy", FULFILLED_BY)
    fingerprint = _fingerprint(
        account.id, by, after_s, before_given, marketplaces, statuses, fulfilled_by
    )
    offset, before_s = 0, before_given if before_given is not None else now_s - LAG_S
    token = single_value(params, "paginationToken")
    if token is not None:
        offset, before_s = _resume(signer, token, fingerprint, now_s)
    return SearchQuery(
        by=by,
        after_s=after_s,
        before_s=before_s,
        marketplace_ids=frozenset(marketplaces),
        statuses=statuses,
        fulfilled_by=fulfilled_by,
        page_size=_page_size(params),
        included=enum_values(params, "includedData", INCLUDED_DATA),
        offset=offset,
        fingerprint=fingerprint,
    )


def parse_included(params: Mapping[str, Sequence[str]]) -> frozenset[str]:
    """``includedData`` alone (getOrder), validated."""
    unknown = sorted(set(params) - {"includedData"})
    if unknown:
        raise InvalidQuery(f"unknown parameter {unknown[0]}")
    return enum_values(params, "includedData", INCLUDED_DATA)


def _window(
    params: Mapping[str, Sequence[str]], now_s: int
) -> tuple[Literal["created", "lastUpdated"], int, int | None]:
    created_after = single_value(params, "createdAfter")
    updated_after = single_value(params, "lastUpdatedAfter")
    if (created_after is None) == (updated_after is None):
        raise InvalidQuery("exactly one of createdAfter and lastUpdatedAfter is required")
    by: Literal["created", "lastUpdated"] = (
        "created" if created_after is not None else "lastUpdated"
    )
    other = "lastUpdated" if by == "created" else "created"
    if single_value(params, f"{other}Before") is not None:
        raise InvalidQuery(f"{by}After cannot be combined with {other}Before")
    after_text = created_after if created_after is not None else updated_after
    after_s = math.ceil(_timestamp(after_text or "", f"{by}After"))
    before_text = single_value(params, f"{by}Before")
    before_s = None
    if before_text is not None:
        before_s = math.floor(_timestamp(before_text, f"{by}Before"))
        if before_s > now_s - LAG_S:
            raise InvalidQuery(f"{by}Before must be at least 2 minutes before the request time")
    if after_s > (before_s if before_s is not None else now_s - LAG_S):
        raise InvalidQuery(f"{by}After must be before {by}Before and 2 minutes before now")
    return by, after_s, before_s


def _resume(signer: TokenSigner, token: str, fingerprint: str, now_s: int) -> tuple[int, int]:
    token_fingerprint, offset, before_s, issued_s = signer.read(token)
    if token_fingerprint != fingerprint:
        raise InvalidQuery("paginationToken does not match the other parameters of the query")
    if now_s - issued_s > TOKEN_TTL_S:
        raise InvalidQuery("paginationToken has expired")
    return offset, before_s


def _timestamp(text: str, name: str) -> float:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidQuery(f"{name} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.timestamp()


def _page_size(params: Mapping[str, Sequence[str]]) -> int:
    text = single_value(params, "maxResultsPerPage")
    if text is None:
        return MAX_PAGE_SIZE
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise InvalidQuery("maxResultsPerPage must be between 1 and 100")
    return int(text)


def single_value(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = params.get(name)
    if not values:
        return None
    if len(values) > 1:
        raise InvalidQuery(f"{name} is given more than once")
    return values[0]


def list_values(params: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """Comma-separated and/or repeated: ``a,b`` or ``x=a&x=b``."""
    return [item for value in params.get(name, ()) for item in value.split(",") if item]


def enum_values(
    params: Mapping[str, Sequence[str]], name: str, allowed: frozenset[str]
) -> frozenset[str]:
    values = frozenset(list_values(params, name))
    wrong = sorted(values - allowed)
    if wrong:
        raise InvalidQuery(f"{name}: {wrong[0]} is not a valid value")
    return values


def _fingerprint(account_id: str, *parts: object) -> str:
    normalized = [sorted(part) if isinstance(part, frozenset | list) else part for part in parts]
    text = json.dumps([account_id, *normalized], separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]
