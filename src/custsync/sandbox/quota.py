"""Token buckets per (account, operation) with the published SP-API rates, sped up by
``time_scale`` (the accounts file's ``quota_scale`` tells custsync the same factor)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class Quota:
    operation: str
    rate_per_s: float
    burst: int


SEARCH_ORDERS = Quota("searchOrders", 0.0056, 20)
GET_ORDER = Quota("getOrder", 0.5, 30)


class RateLimiter:
    """``take`` spends one token of the (account, operation) bucket, if there is one."""

    def __init__(self, clock: Clock, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self._clock, self._scale = clock, time_scale
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # → (tokens, at_s)
        self._lock = threading.Lock()

    def rate_per_s(self, quota: Quota) -> float:
        """The rate this sandbox applies (published rate x time_scale)."""
        return quota.rate_per_s * self._scale

    def take(self, account: str, quota: Quota) -> bool:
        now_s = self._clock().timestamp()
        key = (account, quota.operation)
        with self._lock:
            tokens, at_s = self._buckets.get(key, (float(quota.burst), now_s))
            elapsed_s = max(0.0, now_s - at_s)
            tokens = min(float(quota.burst), tokens + elapsed_s * self.rate_per_s(quota))
            allowed = tokens >= 1.0
            self._buckets[key] = (tokens - 1.0 if allowed else tokens, now_s)
        return allowed
