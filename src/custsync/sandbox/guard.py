"""The path every authenticated API request takes: request faults → quota → handler → headers.

Each marketplace answers throttling, server errors and rate headers its own way; an
``ApiStyle`` says how (one small object per marketplace, no subclassing). The order of checks
is the real APIs': the access token was checked before the gate, quota comes next (a 429
spends nothing), then the handler validates parameters and reads data.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from typing import Protocol

from custsync.sandbox.faults import FaultKind, FaultPlan
from custsync.sandbox.quota import Quota, RateLimiter
from custsync.sandbox.responses import ApiResponse, Transport

_TRANSPORT = {
    FaultKind.DROPPED_CONNECTION: Transport.DROP,
    FaultKind.SLOW_RESPONSE: Transport.SLOW,
    FaultKind.TRUNCATED_BODY: Transport.TRUNCATE,
}


class ApiStyle(Protocol):
    """How one marketplace words throttling, server errors and rate headers."""

    def throttled(self, gate: Gate, account: str, quota: Quota, operation: str) -> ApiResponse:
        """The 429 (or equivalent) answer when the bucket is empty."""
        ...

    def server_error(self, status: int, operation: str, account: str) -> ApiResponse:
        """The 500 / 503 answer."""
        ...

    def rate_headers(
        self, gate: Gate, account: str, quota: Quota, status: int
    ) -> Mapping[str, str]:
        """Headers a non-throttled answer carries (rate limit, bucket use)."""
        ...


class Gate:
    def __init__(self, limiter: RateLimiter, faults: FaultPlan) -> None:
        self.limiter, self.faults = limiter, faults

    def run(
        self,
        style: ApiStyle,
        account: str,
        quota: Quota,
        operation: str,
        handler: Callable[[], ApiResponse],
    ) -> ApiResponse:
        fault = self.faults.on_request(account, operation)
        if fault is FaultKind.RATE_LIMIT_STORM:
            throttled = style.throttled(self, account, quota, operation)
            return dataclasses.replace(throttled, account=account, fault=fault.value)
        if fault in (FaultKind.SERVER_ERROR, FaultKind.SERVICE_UNAVAILABLE):
            status = 500 if fault is FaultKind.SERVER_ERROR else 503
            failed = style.server_error(status, operation, account)
            return dataclasses.replace(failed, account=account, fault=fault.value)
        if not self.limiter.take(account, quota):
            throttled = style.throttled(self, account, quota, operation)
            return dataclasses.replace(throttled, account=account)
        response = handler()
        headers = {**response.headers, **style.rate_headers(self, account, quota, response.status)}
        response = dataclasses.replace(
            response, headers=headers, operation=operation, account=account
        )
        return disturb(response, fault)


def disturb(response: ApiResponse, fault: FaultKind | None) -> ApiResponse:
    """Apply a transport or body fault to an otherwise good answer."""
    if fault is None:
        return response
    if fault in _TRANSPORT:
        return dataclasses.replace(response, transport=_TRANSPORT[fault], fault=fault.value)
    if fault is FaultKind.INVALID_JSON:
        broken = response.payload()[:-1] + b',"'  # unterminated: no JSON parser accepts it
        return dataclasses.replace(response, raw=broken, fault=fault.value)
    return response
