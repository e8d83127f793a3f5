"""Login with Amazon for the sandbox: refresh token → access token tied to one account.

Sandbox credentials are not secrets (the accounts file may hold them inline). One LWA
application (client id and secret) serves every account; each account has its refresh token.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from custsync.sandbox.catalog import Account
from custsync.sandbox.responses import ApiResponse

CLIENT_ID = "amzn1.application-oa2-client.custsync-sandbox"
CLIENT_SECRET = "amzn1.oa2-cs.v1.custsync-sandbox-not-a-secret"  # noqa: S105 - sandbox only
ACCESS_TOKEN_TTL_S = 3600
OPERATION = "token"

Clock = Callable[[], datetime]


@dataclass(frozen=True, slots=True)
class LwaCredentials:
    client_id: str
    client_secret: str
    refresh_token: str


def credentials_for(account: Account) -> LwaCredentials:
    return LwaCredentials(CLIENT_ID, CLIENT_SECRET, f"Atzr|custsync-sandbox-{account.id}")


class TokenIssuer:
    """Answers ``POST /auth/o2/token`` and says which account an access token belongs to."""

    def __init__(self, accounts: Iterable[Account], clock: Clock) -> None:
        self._by_refresh = {credentials_for(a).refresh_token: a for a in accounts}
        self._clock = clock
        self._issued: dict[str, tuple[Account, float]] = {}
        self._lock = threading.Lock()

    def exchange(self, form: Mapping[str, str]) -> ApiResponse:
        if form.get("grant_type") != "refresh_token":
            return _lwa_error(400, "unsupported_grant_type", "Only refresh_token is supported.")
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return _lwa_error(401, "invalid_client", "Client authentication failed.")
        account = self._by_refresh.get(form.get("refresh_token", ""))
        if account is None:
            return _lwa_error(400, "invalid_grant", "The request has an invalid grant parameter.")
        token = f"Atza|{secrets.token_urlsafe(32)}"
        with self._lock:
            self._issued[token] = (account, self._clock().timestamp() + ACCESS_TOKEN_TTL_S)
        body = {"access_token": token, "token_type": "bearer", "expires_in": ACCESS_TOKEN_TTL_S}
        return ApiResponse(200, body, operation=OPERATION, account=account.id)

    def account_for(self, access_token: str | None) -> Account | None:
        """The account of a valid, unexpired access token."""
        with self._lock:
            found = self._issued.get(access_token or "")
        if found is None or found[1] <= self._clock().timestamp():
            return None
        return found[0]


def _lwa_error(status: int, error: str, description: str) -> ApiResponse:
    body = {"error": error, "error_description": description}
    return ApiResponse(status, body, operation=OPERATION)
