"""Login with Amazon for the sandbox: refresh token → access token tied to one account.

Sandbox credentials are not secrets (the accounts file may hold them inline). One LWA
application (client id and secret) serves every account; each account has its refresh token.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import parse_qs

from custsync.sandbox.access import AccessTokens, TokenCheck
from custsync.sandbox.catalog import Account
from custsync.sandbox.responses import ApiResponse

CLIENT_ID = "amzn1.application-oa2-client.custsync-sandbox"
CLIENT_SECRET = "amzn1.oa2-cs.v1.custsync-sandbox-not-a-secret"  # noqa: S105 - sandbox only
ACCESS_TOKEN_TTL_S = 3600
OPERATION = "token"


@dataclass(frozen=True, slots=True)
class LwaCredentials:
    client_id: str
    client_secret: str
    refresh_token: str


def credentials_for(account: Account) -> LwaCredentials:
    return LwaCredentials(CLIENT_ID, CLIENT_SECRET, f"Atzr|custsync-sandbox-{account.id}")


class TokenIssuer:
    """Answers ``POST /auth/o2/token`` and says which account an access token belongs to."""

    def __init__(self, accounts: Iterable[Account], tokens: AccessTokens) -> None:
        self._by_refresh = {credentials_for(a).refresh_token: a for a in accounts}
        self._tokens = tokens

    def exchange(self, headers: Mapping[str, str], body: bytes) -> ApiResponse:
        form = read_form(headers, body)
        if form.get("grant_type") != "refresh_token":
            return _lwa_error(400, "unsupported_grant_type", "Only refresh_token is supported.")
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return _lwa_error(401, "invalid_client", "Client authentication failed.")
        account = self._by_refresh.get(form.get("refresh_token", ""))
        if account is None:
            return _lwa_error(400, "invalid_grant", "The request has an invalid grant parameter.")
        body_out = {
            "access_token": self._tokens.issue(account),
            "token_type": "bearer",
            "expires_in": ACCESS_TOKEN_TTL_S,
        }
        return ApiResponse(200, body_out, operation=OPERATION, account=account.id)

    def check(self, access_token: str | None) -> TokenCheck:
        return self._tokens.check(access_token)


def read_form(headers: Mapping[str, str], body: bytes) -> dict[str, str]:
    """A token request: form-encoded (LWA, eBay), or JSON (some official Amazon clients)."""
    text = body.decode("utf-8", "replace")
    if headers.get("content-type", "").startswith("application/json"):
        try:
            data = json.loads(text)
        except ValueError:
            return {}
        return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
    return {key: values[-1] for key, values in parse_qs(text).items()}


def _lwa_error(status: int, error: str, description: str) -> ApiResponse:
    body = {"error": error, "error_description": description}
    return ApiResponse(status, body, operation=OPERATION)
