"""HttpClient: retries, fail-fast errors, token refresh, rate headers and statistics."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import httpx
import pytest
import respx
from structlog.testing import capture_logs

from custsync.connectors.http import HttpClient, Quota, RequestRejected
from custsync.errors import ConfigError, TransientError
from tests.unit.connectors.connector_fakes import FakeClock

URL = "https://api.example.test/things"
QUOTA = Quota("getThings", rate_per_s=0.5, burst=30)


@pytest.fixture
def http(router: respx.MockRouter, clock: FakeClock) -> Iterator[HttpClient]:
    client = HttpClient(
        account_id="acct-1",
        clock=clock,
        transport=httpx.MockTransport(router.handler),
        rate_limit_header="x-amzn-RateLimit-Limit",
    )
    yield client
    client.close()


def get(http: HttpClient, quota: Quota = QUOTA) -> httpx.Response:
    return http.request("GET", URL, operation=quota.operation, quota=quota)


class CountingAuth:
    def __init__(self) -> None:
        self.refreshes = 0

    def headers(self) -> Mapping[str, str]:
        return {"x-amz-access-token": f"Atza|token-{self.refreshes}"}

    def refresh(self) -> None:
        self.refreshes += 1


def test_429_then_200_retries_once_after_retry_after(
    http: HttpClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.get(URL).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "7"}, json={"errors": [{"code": "Q"}]}),
            httpx.Response(200, json={"ok": True}),
        ]
    )
    with capture_logs() as logs:
        response = get(http)
    assert response.json() == {"ok": True}
    assert route.call_count == 2
    assert clock.sleeps == [7.0]
    stats = http.stats.snapshot()["getThings"]
    assert (stats.requests, stats.rate_limited, stats.retries, stats.errors) == (2, 1, 1, 0)
    events = [entry["event"] for entry in logs]
    assert "rate_limited" in events
    assert "request_retried" in events


def test_retry_after_as_http_date_is_honoured(
    http: HttpClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    when = "Sun, 01 Feb 2026 12:00:50 GMT"  # clock.now() is 12:00:30.5
    router.get(URL).mock(
        side_effect=[httpx.Response(503, headers={"Retry-After": when}), httpx.Response(200)]
    )
    get(http)
    assert clock.sleeps == [pytest.approx(19.5)]


def test_server_errors_back_off_then_succeed(
    http: HttpClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.get(URL).mock(
        side_effect=[httpx.Response(500), httpx.Response(503), httpx.Response(200)]
    )
    assert get(http).status_code == 200
    assert route.call_count == 3
    assert len(clock.sleeps) == 2
    assert all(0 < s <= 61 for s in clock.sleeps)
    assert http.stats.snapshot()["getThings"].retries == 2


def test_network_errors_are_retried(
    http: HttpClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    router.get(URL).mock(side_effect=[httpx.ConnectError("boom"), httpx.Response(200)])
    assert get(http).status_code == 200
    assert len(clock.sleeps) == 1


def test_exhausted_retries_raise_transient_error(
    http: HttpClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    route = router.get(URL).mock(
        return_value=httpx.Response(500, json={"errors": [{"code": "InternalFailure"}]})
    )
    with pytest.raises(TransientError) as caught:
        get(http)
    message = str(caught.value)
    assert "getThings" in message
    assert "HTTP 500" in message
    assert "InternalFailure" in message
    assert route.call_count == 6
    assert len(clock.sleeps) == 5
    stats = http.stats.snapshot()["getThings"]
    assert (stats.requests, stats.retries, stats.errors) == (6, 5, 1)


def test_timeouts_exhausted_raise_transient_error(
    http: HttpClient, router: respx.MockRouter
) -> None:
    router.get(URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(TransientError, match=r"getThings.*ReadTimeout"):
        get(http)


def test_huge_retry_after_fails_at_once_with_the_wait(
    http: HttpClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    router.get(URL).mock(return_value=httpx.Response(429, headers={"Retry-After": "3600"}))
    with pytest.raises(TransientError) as caught:
        get(http)
    assert caught.value.retry_after_s == 3600
    assert clock.sleeps == []


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_client_errors_fail_fast_with_operation_status_and_code(
    http: HttpClient, router: respx.MockRouter, clock: FakeClock, status: int
) -> None:
    body = {"errors": [{"code": "InvalidInput", "message": "buyer jane@example.com is bad"}]}
    route = router.get(URL).mock(return_value=httpx.Response(status, json=body))
    with pytest.raises(ConfigError) as caught:
        get(http)
    assert isinstance(caught.value, RequestRejected)
    assert str(caught.value) == (
        f"account acct-1: getThings rejected: HTTP {status} (InvalidInput)"
    )
    assert (caught.value.status, caught.value.code) == (status, "InvalidInput")
    assert route.call_count == 1
    assert clock.sleeps == []


def test_error_without_json_body_has_no_code(http: HttpClient, router: respx.MockRouter) -> None:
    router.get(URL).mock(return_value=httpx.Response(404, text="<html>Not here</html>"))
    with pytest.raises(ConfigError, match=r"HTTP 404 \(no code\)$"):
        get(http)


def test_401_refreshes_auth_once_then_succeeds(http: HttpClient, router: respx.MockRouter) -> None:
    route = router.get(URL).mock(side_effect=[httpx.Response(401), httpx.Response(200)])
    auth = CountingAuth()
    http.request("GET", URL, operation="getThings", quota=QUOTA, auth=auth)
    assert auth.refreshes == 1
    sent = [call.request.headers["x-amz-access-token"] for call in route.calls]
    assert sent == ["Atza|token-0", "Atza|token-1"]


def test_second_403_after_refresh_is_a_config_error(
    http: HttpClient, router: respx.MockRouter
) -> None:
    route = router.get(URL).mock(
        return_value=httpx.Response(403, json={"errors": [{"code": "Unauthorized"}]})
    )
    auth = CountingAuth()
    with pytest.raises(ConfigError, match=r"HTTP 403 \(Unauthorized\)"):
        http.request("GET", URL, operation="getThings", quota=QUOTA, auth=auth)
    assert auth.refreshes == 1
    assert route.call_count == 2


def test_rate_limit_header_on_success_updates_the_bucket(
    http: HttpClient, router: respx.MockRouter
) -> None:
    router.get(URL).mock(
        return_value=httpx.Response(200, headers={"x-amzn-RateLimit-Limit": "2.0"})
    )
    get(http)
    assert http.bucket(QUOTA).rate_per_s == 2.0


def test_429_without_retry_after_drains_the_bucket(
    http: HttpClient, router: respx.MockRouter, clock: FakeClock
) -> None:
    slow = Quota("slowOp", rate_per_s=0.0056, burst=20)
    router.get(URL).mock(side_effect=[httpx.Response(429), httpx.Response(200)])
    get(http, slow)
    # one jittered backoff, then the emptied bucket waits a full token: 1 / rate
    assert clock.sleeps[-1] == pytest.approx(1 / 0.0056, rel=0.02)


def test_api_time_under_published_quotas(http: HttpClient, router: respx.MockRouter) -> None:
    router.get(URL).mock(return_value=httpx.Response(200))
    fast = Quota("fastOp", rate_per_s=0.5, burst=2)
    slow = Quota("slowOp", rate_per_s=0.1, burst=3)
    for _ in range(7):
        get(http, fast)  # (7 - 2) / 0.5 = 10 s
    for _ in range(5):
        get(http, slow)  # (5 - 3) / 0.1 = 20 s
    ops = http.stats.snapshot()
    assert ops["fastOp"].api_time_s == pytest.approx(10.0)
    assert ops["slowOp"].api_time_s == pytest.approx(20.0)
    assert http.stats.api_time_s == pytest.approx(20.0)
    assert http.stats.requests == 12


def test_quota_scale_speeds_up_the_bucket(router: respx.MockRouter, clock: FakeClock) -> None:
    router.get(URL).mock(return_value=httpx.Response(200))
    quota = Quota("op", rate_per_s=0.01, burst=1)
    with HttpClient(
        clock=clock, transport=httpx.MockTransport(router.handler), quota_scale=10
    ) as http:
        get(http, quota)
        get(http, quota)
    assert clock.sleeps == [pytest.approx(10.0)]
