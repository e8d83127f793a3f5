"""Token buckets per (account, bucket) with the published rates, sped up by ``time_scale``
(the accounts file's ``quota_scale`` tells custsync the same factor).

The table below is every quota the sandbox enforces. A bucket holds ``burst`` tokens and
refills at ``rate_per_s``; a request spends ``cost`` tokens (1, or the GraphQL query cost).
Shopify's REST "leaky bucket" (40 requests, 2 leak per second) is the same arithmetic: the
``X-Shopify-Shop-Api-Call-Limit`` header shows ``burst - tokens`` as the used part.

=========================  ==========  =======  ==============================================
bucket                     rate / s    burst    source
=========================  ==========  =======  ==============================================
searchOrders               0.0056      20       Orders API v2026-01-01 usage plan
getOrder                   0.5         30       Orders API v2026-01-01 usage plan
createReport               0.0167      15       Reports API 2021-06-30 usage plan
getReport                  2           15       Reports API 2021-06-30 usage plan
getReports                 0.0222      10       Reports API 2021-06-30 usage plan
getReportDocument          0.0167      15       Reports API 2021-06-30 usage plan
shopify.rest               2           40       Shopify REST Admin, Standard plan
shopify.graphql            100 points  2000     Shopify GraphQL Admin, Standard plan
ebay.token                 50,000/day  50,000   eBay OAuth refresh_token grant
ebay.fulfillment           100,000/day 100,000  assumed (not in the stored eBay docs)
ebay.postorder             100,000/day 100,000  assumed (not in the stored eBay docs)
ebay.feedback              100,000/day 100,000  assumed (not in the stored eBay docs)
=========================  ==========  =======  ==============================================

eBay publishes daily call limits rather than rates; a day's limit is modelled as a bucket that
refills evenly over 24 hours.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

Clock = Callable[[], datetime]
DAY_S = 86_400


@dataclass(frozen=True, slots=True)
class Quota:
    operation: str  # the bucket's name (several operations may share one bucket)
    rate_per_s: float
    burst: int


SEARCH_ORDERS = Quota("searchOrders", 0.0056, 20)
GET_ORDER = Quota("getOrder", 0.5, 30)
CREATE_REPORT = Quota("createReport", 0.0167, 15)
GET_REPORT = Quota("getReport", 2.0, 15)
GET_REPORTS = Quota("getReports", 0.0222, 10)
GET_REPORT_DOCUMENT = Quota("getReportDocument", 0.0167, 15)
SHOPIFY_REST = Quota("shopify.rest", 2.0, 40)
SHOPIFY_GRAPHQL = Quota("shopify.graphql", 100.0, 2000)
SHOPIFY_MAX_QUERY_COST = 1000
EBAY_TOKEN = Quota("ebay.token", 50_000 / DAY_S, 50_000)
EBAY_FULFILLMENT = Quota("ebay.fulfillment", 100_000 / DAY_S, 100_000)
EBAY_POST_ORDER = Quota("ebay.postorder", 100_000 / DAY_S, 100_000)
EBAY_FEEDBACK = Quota("ebay.feedback", 100_000 / DAY_S, 100_000)


class RateLimiter:
    """``take`` spends tokens of the (account, bucket) bucket, if there are enough."""

    def __init__(self, clock: Clock, time_scale: float = 1.0) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be > 0")
        self._clock, self._scale = clock, time_scale
        self._buckets: dict[tuple[str, str], tuple[float, float]] = {}  # → (tokens, at_s)
        self._lock = threading.Lock()

    @property
    def time_scale(self) -> float:
        return self._scale

    def rate_per_s(self, quota: Quota) -> float:
        """The rate this sandbox applies (published rate x time_scale)."""
        return quota.rate_per_s * self._scale

    def take(self, account: str, quota: Quota, cost: float = 1.0) -> bool:
        with self._lock:
            tokens, now_s = self._refill(account, quota)
            allowed = tokens >= cost
            self._buckets[account, quota.operation] = (tokens - cost if allowed else tokens, now_s)
        return allowed

    def refund(self, account: str, quota: Quota, cost: float) -> None:
        """Give back tokens taken in advance (GraphQL: requested minus actual cost)."""
        with self._lock:
            tokens, now_s = self._refill(account, quota)
            self._buckets[account, quota.operation] = (
                min(float(quota.burst), tokens + cost),
                now_s,
            )

    def available(self, account: str, quota: Quota) -> float:
        with self._lock:
            return self._refill(account, quota)[0]

    def wait_s(self, account: str, quota: Quota, cost: float = 1.0) -> float:
        """Seconds until ``cost`` tokens are there (0 when they already are)."""
        missing = cost - self.available(account, quota)
        return max(0.0, missing / self.rate_per_s(quota))

    def _refill(self, account: str, quota: Quota) -> tuple[float, float]:
        """(tokens now, now): one clock read per call."""
        now_s = self._clock().timestamp()
        tokens, at_s = self._buckets.get((account, quota.operation), (float(quota.burst), now_s))
        elapsed_s = max(0.0, now_s - at_s)
        return min(float(quota.burst), tokens + elapsed_s * self.rate_per_s(quota)), now_s
