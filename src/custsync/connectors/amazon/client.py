"""SP-API client: base URL per region, LWA access token, JSON in, pydantic models out.

Report documents are fetched from their presigned URL without the SP-API token (``download``).
A GET answered 200 with a body that is not JSON at all (cut short in transit) is sent again, at
most twice; JSON of the wrong shape is a ``PayloadError`` at once.

A 401/403 refreshes the access token once (``HttpClient`` calls ``LwaAuth.refresh``); a second
refusal is a ``RequestRejected`` (a ``ConfigError``) naming the operation and the error code.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import structlog
from pydantic import BaseModel, ValidationError

from custsync.connectors.amazon.auth import LwaAuth
from custsync.connectors.amazon.payloads import describe_validation_error
from custsync.connectors.amazon.regions import base_url
from custsync.connectors.http import Clock, HttpClient, Quota, RequestStats
from custsync.errors import PayloadError
from custsync.settings import AmazonAccount

ModelT = TypeVar("ModelT", bound=BaseModel)
MAX_GARBLED_RESENDS = 2  # a GET (or repeatable POST) whose 200 body is not JSON is sent again

_log: structlog.typing.FilteringBoundLogger = structlog.get_logger()


class SpApiClient:
    def __init__(self, account: AmazonAccount, http: HttpClient, auth: LwaAuth) -> None:
        self._account = account
        self._http = http
        self._auth = auth
        self.base_url = base_url(account)

    @property
    def account(self) -> AmazonAccount:
        return self._account

    @property
    def stats(self) -> RequestStats:
        return self._http.stats

    @property
    def clock(self) -> Clock:
        return self._http.clock

    def tokens_left(self, quota: Quota) -> float:
        """How many requests of ``quota`` could go out now without waiting."""
        return self._http.bucket(quota).available()

    def limit_tokens(self, quota: Quota, tokens: float) -> None:
        """What an earlier run left in the API's bucket, refilled since: no more than that."""
        self._http.bucket(quota).limit(tokens)

    def get(
        self,
        model: type[ModelT],
        path: str,
        *,
        quota: Quota,
        params: Mapping[str, str] | None = None,
    ) -> ModelT:
        """GET ``path`` under ``quota`` and parse the body as ``model``."""
        return self._call("GET", model, path, quota=quota, params=params)

    def post(
        self,
        model: type[ModelT],
        path: str,
        *,
        quota: Quota,
        body: object,
        is_repeatable: bool = False,
    ) -> ModelT:
        """POST ``body`` as JSON to ``path`` under ``quota`` and parse the answer as ``model``.

        ``is_repeatable``: sending it twice does no harm (``createReport``: the report whose
        answer was lost is never read), so an answer cut short is asked for again."""
        return self._call("POST", model, path, quota=quota, body=body, is_repeatable=is_repeatable)

    def download(self, url: str, *, quota: Quota) -> bytes:
        """GET a presigned URL (a report document): no SP-API token, the bytes as sent."""
        response = self._http.request("GET", url, operation=quota.operation, quota=quota)
        return response.content

    def _call(
        self,
        method: str,
        model: type[ModelT],
        path: str,
        *,
        quota: Quota,
        params: Mapping[str, str] | None = None,
        body: object = None,
        is_repeatable: bool = False,
    ) -> ModelT:
        resends = MAX_GARBLED_RESENDS if method == "GET" or is_repeatable else 0
        while True:
            response = self._http.request(
                method,
                self.base_url + path,
                operation=quota.operation,
                quota=quota,
                params=params,
                headers={"accept": "application/json"},
                json=body,
                auth=self._auth,
            )
            try:
                return model.model_validate_json(response.content)
            except ValidationError as exc:
                if resends > 0 and _is_garbled(exc):
                    resends -= 1
                    self._http.stats.count(quota.operation, retries=1)
                    _log.info("garbled_response_resent", operation=quota.operation)
                    continue
                raise PayloadError(
                    f"account {self._account.id}: {quota.operation} response does not fit "
                    f"{model.__name__}: {describe_validation_error(exc)}"
                ) from None


def _is_garbled(exc: ValidationError) -> bool:
    """The body is not JSON at all (cut short in transit), rather than JSON of another shape."""
    return any(error["type"] == "json_invalid" for error in exc.errors())
