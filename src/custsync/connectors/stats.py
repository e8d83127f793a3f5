"""Per-operation request statistics, recorded by the HTTP client and read by the sync run.

``api_time_s`` is the least wall time the counted requests need under the *published* quota:
per operation ``max(0, requests - burst) / rate``; for an account, the slowest operation (the
buckets refill in parallel). It says how much of a run was the marketplace's limit, not ours.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from custsync.connectors.quota import Quota


@dataclass(frozen=True, slots=True)
class OperationStats:
    operation: str
    rate_per_s: float
    burst: int
    requests: int = 0
    rate_limited: int = 0
    retries: int = 0
    errors: int = 0

    @property
    def api_time_s(self) -> float:
        return max(0, self.requests - self.burst) / self.rate_per_s


class RequestStats:
    """Counters per operation (thread-safe); ``snapshot`` gives immutable figures."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._ops: dict[str, OperationStats] = {}

    def register(self, quota: Quota) -> None:
        with self._lock:
            if quota.operation not in self._ops:
                self._ops[quota.operation] = OperationStats(
                    quota.operation, quota.rate_per_s, quota.burst
                )

    def count(
        self,
        operation: str,
        *,
        requests: int = 0,
        rate_limited: int = 0,
        retries: int = 0,
        errors: int = 0,
    ) -> None:
        with self._lock:
            old = self._ops.get(operation) or OperationStats(operation, 1.0, 0)
            self._ops[operation] = OperationStats(
                operation,
                old.rate_per_s,
                old.burst,
                old.requests + requests,
                old.rate_limited + rate_limited,
                old.retries + retries,
                old.errors + errors,
            )

    def snapshot(self) -> Mapping[str, OperationStats]:
        with self._lock:
            return dict(sorted(self._ops.items()))

    @property
    def requests(self) -> int:
        return sum(op.requests for op in self.snapshot().values())

    @property
    def api_time_s(self) -> float:
        return max((op.api_time_s for op in self.snapshot().values()), default=0.0)
