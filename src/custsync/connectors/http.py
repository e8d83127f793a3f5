"""The HTTP client every connector shares: quotas, retries, statistics, redaction.

Status → action table (one place, every marketplace)::

    2xx                 ok; a rate-limit header (e.g. ``x-amzn-RateLimit-Limit``) updates the bucket
    429                 rate limited: wait ``Retry-After`` (or drain the bucket), retry
    408, 5xx, network   transient: exponential backoff with jitter, retry
    401/403             the ``auth`` is refreshed once and the request re-sent; then as below
    other 4xx           ``RequestRejected`` (a ``ConfigError``): fail fast, never retried
    retries exhausted   ``TransientError``

Messages name the account, operation, status and the API's error ``code``; never a body or token.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Protocol

import httpx
import structlog
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt
from tenacity.wait import wait_exponential_jitter

from custsync.connectors.quota import Clock, Quota, SystemClock, TokenBucket
from custsync.connectors.redaction import redact_event, scrub
from custsync.connectors.stats import RequestStats
from custsync.errors import ConfigError, TransientError

__all__ = [
    "Clock",
    "HttpClient",
    "Quota",
    "RequestAuth",
    "RequestRejected",
    "RequestStats",
    "SystemClock",
    "TokenBucket",
    "redact_event",
    "scrub",
]

_log: structlog.typing.FilteringBoundLogger = structlog.get_logger()

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_RETRY_AFTER_S = 600.0


class RequestAuth(Protocol):
    """Credentials for a request; ``refresh`` is called at most once per request on 401/403."""

    def headers(self) -> Mapping[str, str]: ...

    def refresh(self) -> None: ...


class RequestRejected(ConfigError):
    """The API refused the request (4xx other than 429): not worth retrying as is."""

    def __init__(self, message: str, *, operation: str, status: int, code: str | None) -> None:
        super().__init__(message)
        self.operation = operation
        self.status = status
        self.code = code


class _RetryableResponse(Exception):
    def __init__(self, status: int, code: str | None, retry_after_s: float | None) -> None:
        super().__init__(f"HTTP {status}")
        self.status, self.code, self.retry_after_s = status, code, retry_after_s


@dataclass(slots=True)
class _Call:
    method: str
    url: str
    operation: str
    params: Mapping[str, str] | None
    headers: Mapping[str, str] | None
    json: object
    data: Mapping[str, str] | None
    auth: RequestAuth | None
    is_refreshed: bool = False


class HttpClient:
    """One ``httpx.Client`` per account, with quotas, retries and per-operation statistics."""

    def __init__(
        self,
        *,
        account_id: str = "-",
        clock: Clock | None = None,
        transport: httpx.BaseTransport | None = None,
        timeout: httpx.Timeout = DEFAULT_TIMEOUT,
        quota_scale: float = 1.0,
        max_attempts: int = 6,
        rate_limit_header: str | None = None,
    ) -> None:
        self.account_id = account_id
        self.clock: Clock = clock or SystemClock()
        self.stats = RequestStats()
        self._client = httpx.Client(transport=transport, timeout=timeout)
        self._quota_scale = quota_scale
        self._max_attempts = max_attempts
        self._rate_limit_header = rate_limit_header
        self._buckets: dict[str, TokenBucket] = {}
        self._buckets_lock = threading.Lock()
        self._backoff = wait_exponential_jitter(initial=1, max=60, jitter=1)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def bucket(self, quota: Quota) -> TokenBucket:
        with self._buckets_lock:
            if quota.operation not in self._buckets:
                self._buckets[quota.operation] = TokenBucket(
                    quota, self.clock, scale=self._quota_scale
                )
            return self._buckets[quota.operation]

    def request(
        self,
        method: str,
        url: str,
        *,
        operation: str,
        quota: Quota,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        json: object = None,
        data: Mapping[str, str] | None = None,
        auth: RequestAuth | None = None,
    ) -> httpx.Response:
        """Send under ``quota``; retry what is transient; raise ``RequestRejected`` on 4xx."""
        quota = replace(quota, operation=operation)  # stats and bucket share one key
        self.stats.register(quota)
        call = _Call(method, url, operation, params, headers, json, data, auth)
        retrying = Retrying(
            stop=stop_after_attempt(self._max_attempts),
            wait=self._wait_s,
            retry=retry_if_exception_type((_RetryableResponse, httpx.TransportError)),
            sleep=self.clock.sleep,
            before_sleep=lambda state: self._on_retry(call, state),
            reraise=True,
        )
        try:
            return retrying(self._attempt, call, self.bucket(quota))
        except _RetryableResponse as exc:
            self.stats.count(operation, errors=1)
            detail = f"HTTP {exc.status} ({exc.code or 'no code'})"
        except httpx.TransportError as exc:
            self.stats.count(operation, errors=1)
            detail = type(exc).__name__
        raise TransientError(
            f"account {self.account_id}: {operation} failed after "
            f"{self._max_attempts} attempts: {detail}"
        )

    def _attempt(self, call: _Call, bucket: TokenBucket) -> httpx.Response:
        response = self._send(call, bucket)
        if response.status_code in (401, 403) and call.auth and not call.is_refreshed:
            call.is_refreshed = True
            _log.info("auth_refreshed", operation=call.operation, status=response.status_code)
            call.auth.refresh()
            response = self._send(call, bucket)
        return self._check(call, response, bucket)

    def _send(self, call: _Call, bucket: TokenBucket) -> httpx.Response:
        waited_s = bucket.acquire()
        if waited_s > 0:
            _log.debug("quota_waited", operation=call.operation, wait_s=round(waited_s, 3))
        headers = dict(call.headers or {})
        if call.auth is not None:
            headers.update(call.auth.headers())
        self.stats.count(call.operation, requests=1)
        return self._client.request(
            call.method,
            call.url,
            params=call.params,
            headers=headers,
            json=call.json,
            data=call.data,
        )

    def _check(self, call: _Call, response: httpx.Response, bucket: TokenBucket) -> httpx.Response:
        status = response.status_code
        if response.is_success:
            self._update_rate(response, bucket)
            return response
        code = error_code(response)
        if status == 429:
            self.stats.count(call.operation, rate_limited=1)
            retry_after_s = retry_after(response, self.clock.now())
            _log.warning("rate_limited", operation=call.operation, retry_after_s=retry_after_s)
            if retry_after_s is None:
                bucket.drain()
            elif retry_after_s > MAX_RETRY_AFTER_S:
                self.stats.count(call.operation, errors=1)
                raise TransientError(
                    f"account {self.account_id}: {call.operation} rate limited (HTTP 429)",
                    retry_after_s=retry_after_s,
                )
            raise _RetryableResponse(status, code, retry_after_s)
        if status == 408 or status >= 500:
            raise _RetryableResponse(status, code, retry_after(response, self.clock.now()))
        self.stats.count(call.operation, errors=1)
        _log.warning("request_rejected", operation=call.operation, status=status, code=code)
        raise RequestRejected(
            f"account {self.account_id}: {call.operation} rejected: "
            f"HTTP {status} ({code or 'no code'})",
            operation=call.operation,
            status=status,
            code=code,
        )

    def _update_rate(self, response: httpx.Response, bucket: TokenBucket) -> None:
        if self._rate_limit_header is None:
            return
        value = response.headers.get(self._rate_limit_header)
        try:
            rate_per_s = float(value) if value else 0.0
        except ValueError:
            return
        if rate_per_s > 0 and rate_per_s != bucket.rate_per_s:
            bucket.update_rate(rate_per_s)

    def _wait_s(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, _RetryableResponse) and exc.retry_after_s is not None:
            return exc.retry_after_s
        return float(self._backoff(state))

    def _on_retry(self, call: _Call, state: RetryCallState) -> None:
        self.stats.count(call.operation, retries=1)
        exc = state.outcome.exception() if state.outcome else None
        reason = f"HTTP {exc.status}" if isinstance(exc, _RetryableResponse) else type(exc).__name__
        wait_s = state.next_action.sleep if state.next_action else 0.0
        _log.info(
            "request_retried",
            operation=call.operation,
            attempt=state.attempt_number,
            reason=reason,
            wait_s=round(wait_s, 3),
            url=scrub(call.url),
        )


def error_code(response: httpx.Response) -> str | None:
    """The API's error code (SP-API ``errors[0].code``, OAuth ``error``), never the body."""
    try:
        body = json.loads(response.content)
    except ValueError:
        return None
    if not isinstance(body, dict):
        return None
    errors = body.get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        code = errors[0].get("code")
        return str(code) if isinstance(code, str) else None
    code = body.get("error") or body.get("code")
    return code if isinstance(code, str) and len(code) <= 64 else None


def retry_after(response: httpx.Response, now: datetime) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), if given."""
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - now).total_seconds())
