"""Time and quotas: the injectable ``Clock`` and a client-side token bucket per operation.

``TokenBucket`` mirrors the API's bucket for one account and operation: ``burst`` tokens,
refilled at ``rate_per_s`` (times the account's ``quota_scale``); when empty it waits through
the clock, so tests with a fake clock never sleep.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol


class Clock(Protocol):
    """Time as the client sees it; tests inject a fake that never really sleeps."""

    def now(self) -> datetime: ...

    def monotonic(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


@dataclass(frozen=True, slots=True)
class Quota:
    """An operation's published rate limit: ``rate_per_s`` refill, ``burst`` bucket size."""

    operation: str
    rate_per_s: float
    burst: int


class TokenBucket:
    """Client-side twin of the API's token bucket for one account and operation (thread-safe)."""

    def __init__(self, quota: Quota, clock: Clock, *, scale: float = 1.0) -> None:
        self._clock = clock
        self._burst = float(max(1, quota.burst))
        self._rate_per_s = quota.rate_per_s * scale
        self._tokens = self._burst
        self._stamp = clock.monotonic()
        self._lock = threading.Lock()

    @property
    def rate_per_s(self) -> float:
        return self._rate_per_s

    def acquire(self) -> float:
        """Take one token, sleeping (via the clock) until one is there; return the wait."""
        with self._lock:
            self._refill()
            waited_s = 0.0
            if self._tokens < 1:
                waited_s = (1 - self._tokens) / self._rate_per_s
                self._clock.sleep(waited_s)
                self._tokens = 1.0
                self._stamp = self._clock.monotonic()
            self._tokens -= 1
            return waited_s

    def available(self) -> float:
        """Tokens there now, without taking one (to spend idle quota, never to wait for it)."""
        with self._lock:
            self._refill()
            return self._tokens

    def limit(self, tokens: float) -> None:
        """The API's bucket holds at most ``tokens`` (remembered from an earlier run)."""
        with self._lock:
            self._refill()
            self._tokens = max(0.0, min(self._tokens, tokens))

    def update_rate(self, rate_per_s: float) -> None:
        """The API stated the rate it applies to this seller: use it as is."""
        if rate_per_s > 0:
            with self._lock:
                self._refill()
                self._rate_per_s = rate_per_s

    def drain(self) -> None:
        """The API said 429: its bucket is empty, so is ours."""
        with self._lock:
            self._tokens = 0.0
            self._stamp = self._clock.monotonic()

    def _refill(self) -> None:
        now = self._clock.monotonic()
        elapsed = max(0.0, now - self._stamp)
        self._tokens = min(self._burst, self._tokens + elapsed * self._rate_per_s)
        self._stamp = now
