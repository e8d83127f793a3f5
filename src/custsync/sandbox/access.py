"""Access tokens handed out by the sandbox's token endpoints (Amazon LWA, eBay OAuth).

A token belongs to one account and lives ``ttl_s`` seconds of the sandbox clock. Token values
are derived from the seed and the account's issue count, so a replayed run sees the same
tokens. Under the ``auth`` fault profile a token may die after a few uses, long before its
``expires_in``: the API then answers as for an expired token.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from custsync.sandbox.catalog import Account
from custsync.sandbox.faults import FaultPlan

Clock = Callable[[], datetime]


class TokenCheck(NamedTuple):
    account: Account | None  # None: refuse the request
    problem: str | None = None  # "missing" | "invalid" | "expired"
    is_fault: bool = False  # expired early by the ``auth`` fault profile


@dataclass(slots=True)
class _Issued:
    account: Account
    expires_s: float
    uses_left: int | None  # None: no early death


class AccessTokens:
    def __init__(
        self, *, seed: int, prefix: str, ttl_s: int, clock: Clock, faults: FaultPlan
    ) -> None:
        self._key = f"custsync-sandbox:{seed}:{prefix}".encode()
        self._prefix, self._ttl_s, self._clock, self._faults = prefix, ttl_s, clock, faults
        self._issued: dict[str, _Issued] = {}
        self._counts: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def ttl_s(self) -> int:
        return self._ttl_s

    def issue(self, account: Account) -> str:
        with self._lock:
            number = self._counts.get(account.id, 0)
            self._counts[account.id] = number + 1
            mac = hmac.new(self._key, f"{account.id}:{number}".encode(), hashlib.sha256)
            token = self._prefix + base64.urlsafe_b64encode(mac.digest()).decode().rstrip("=")
            uses = self._faults.token_uses(account.id, number)
            expires_s = self._clock().timestamp() + self._ttl_s
            self._issued[token] = _Issued(account, expires_s, uses)
        return token

    def check(self, token: str | None) -> TokenCheck:
        """The account of a valid token; spends one of its uses."""
        if not token:
            return TokenCheck(None, "missing")
        with self._lock:
            issued = self._issued.get(token)
            if issued is None:
                return TokenCheck(None, "invalid")
            if issued.expires_s <= self._clock().timestamp():
                return TokenCheck(None, "expired")
            if issued.uses_left is not None:
                if issued.uses_left <= 0:
                    return TokenCheck(None, "expired", is_fault=True)
                issued.uses_left -= 1
            return TokenCheck(issued.account)
