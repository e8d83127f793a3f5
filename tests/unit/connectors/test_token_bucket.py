"""TokenBucket: burst, then one token per 1/rate, waited through the injected clock."""

from __future__ import annotations

import pytest

from custsync.connectors.http import Quota, TokenBucket
from tests.unit.connectors.connector_fakes import FakeClock

SEARCH = Quota("searchOrders", rate_per_s=0.0056, burst=20)


def test_burst_is_free_then_each_token_waits_one_over_rate(clock: FakeClock) -> None:
    bucket = TokenBucket(SEARCH, clock)
    waits = [bucket.acquire() for _ in range(20)]
    assert waits == [0.0] * 20
    assert clock.sleeps == []
    assert bucket.acquire() == pytest.approx(1 / 0.0056)
    assert bucket.acquire() == pytest.approx(1 / 0.0056)
    assert clock.sleeps == [pytest.approx(1 / 0.0056)] * 2


def test_tokens_refill_with_time_up_to_the_burst(clock: FakeClock) -> None:
    bucket = TokenBucket(Quota("op", rate_per_s=1.0, burst=3), clock)
    for _ in range(3):
        bucket.acquire()
    clock.advance(100)  # refills to 3, not 100
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.acquire() == pytest.approx(1.0)


def test_partial_refill_waits_only_the_rest(clock: FakeClock) -> None:
    bucket = TokenBucket(Quota("op", rate_per_s=0.5, burst=1), clock)
    bucket.acquire()
    clock.advance(1.5)  # 0.75 of a token
    assert bucket.acquire() == pytest.approx(0.5)


def test_quota_scale_multiplies_the_rate(clock: FakeClock) -> None:
    bucket = TokenBucket(SEARCH, clock, scale=100)
    assert bucket.rate_per_s == pytest.approx(0.56)
    for _ in range(20):
        bucket.acquire()
    assert bucket.acquire() == pytest.approx(1 / 0.56)


def test_rate_header_update_changes_the_wait(clock: FakeClock) -> None:
    bucket = TokenBucket(Quota("op", rate_per_s=0.5, burst=1), clock)
    bucket.acquire()
    bucket.update_rate(4.0)
    assert bucket.rate_per_s == 4.0
    assert bucket.acquire() == pytest.approx(0.25)


def test_nonpositive_rate_update_is_ignored(clock: FakeClock) -> None:
    bucket = TokenBucket(Quota("op", rate_per_s=0.5, burst=1), clock)
    bucket.update_rate(0)
    assert bucket.rate_per_s == 0.5


def test_drain_empties_the_bucket(clock: FakeClock) -> None:
    bucket = TokenBucket(Quota("op", rate_per_s=2.0, burst=5), clock)
    bucket.drain()
    assert bucket.acquire() == pytest.approx(0.5)
