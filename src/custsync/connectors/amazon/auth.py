"""Login with Amazon (LWA): refresh-token grant → access token, cached until shortly before expiry.

Token endpoint errors: ``invalid_grant`` (refresh token revoked or expired) and
``invalid_client`` / ``unauthorized_client`` (client id/secret wrong or the secret expired after
its 180-day rotation) become a ``ConfigError`` telling the operator to re-authorize; they are
never retried, and the refusal is remembered: every later stream of the same connector fails
at once with the same message (recorded in each stream's ``sync_state``), with no new request.
Nothing here ever puts a token or secret in a message or a log event.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping

import structlog
from pydantic import BaseModel, ConfigDict, ValidationError

from custsync.connectors.amazon.regions import token_url
from custsync.connectors.http import HttpClient, Quota, RequestRejected
from custsync.errors import ConfigError, PayloadError
from custsync.settings import AmazonAccount

ACCESS_TOKEN_HEADER = "x-amz-access-token"  # noqa: S105 (a header name)
REFRESH_MARGIN_S = 60.0
# LWA publishes no quota; a polite client-side limit that a sync never reaches.
LWA_TOKEN_QUOTA = Quota("lwaToken", rate_per_s=1.0, burst=10)
CREDENTIAL_ERRORS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client"})

_log: structlog.typing.FilteringBoundLogger = structlog.get_logger()


class _TokenResponse(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    access_token: str
    expires_in: int = 3600
    token_type: str = "bearer"  # noqa: S105


class LwaAuth:
    """``RequestAuth`` for the SP-API: ``x-amz-access-token``; ``refresh`` drops the cache."""

    def __init__(self, account: AmazonAccount, http: HttpClient) -> None:
        self._account = account
        self._http = http
        self._token: str | None = None
        self._expires_at = 0.0
        self._refused: ConfigError | None = None
        self._lock = threading.Lock()

    def headers(self) -> Mapping[str, str]:
        return {ACCESS_TOKEN_HEADER: self.access_token()}

    def refresh(self) -> None:
        with self._lock:
            self._token = None

    def access_token(self) -> str:
        with self._lock:
            now = self._http.clock.monotonic()
            if self._refused is not None:
                raise ConfigError(str(self._refused))
            if self._token is None or now >= self._expires_at - REFRESH_MARGIN_S:
                try:
                    token = self._fetch()
                except ConfigError as exc:
                    self._refused = exc
                    raise
                self._token = token.access_token
                self._expires_at = now + token.expires_in
                _log.info("access_token_refreshed", expires_in_s=token.expires_in)
            return self._token

    def _fetch(self) -> _TokenResponse:
        account = self._account
        form = {
            "grant_type": "refresh_token",
            "refresh_token": account.refresh_token.resolve(account.id, "refresh_token"),
            "client_id": account.client_id.resolve(account.id, "client_id"),
            "client_secret": account.client_secret.resolve(account.id, "client_secret"),
        }
        try:
            response = self._http.request(
                "POST", token_url(account), operation="lwaToken", quota=LWA_TOKEN_QUOTA, data=form
            )
        except RequestRejected as exc:
            raise _credentials_error(account.id, exc) from None
        try:
            return _TokenResponse.model_validate_json(response.content)
        except ValidationError:
            raise PayloadError(
                f"account {account.id}: the LWA token response has no access_token"
            ) from None


def _credentials_error(account_id: str, exc: RequestRejected) -> ConfigError:
    if exc.code in CREDENTIAL_ERRORS or exc.status in (401, 403):
        return ConfigError(
            f"account {account_id}: Amazon rejected the credentials ({exc.code or exc.status}): "
            f"re-authorize account {account_id} (a new refresh token from Seller Central) and "
            "check its client id and client secret (LWA secrets expire every 180 days)"
        )
    return ConfigError(
        f"account {account_id}: the LWA token request was rejected: "
        f"HTTP {exc.status} ({exc.code or 'no code'})"
    )
