"""``custsync accounts check`` for Amazon: are the credentials there, accepted, and enough?

Three steps, stopping at the first that fails, each failure saying what to fix:

1. credentials: every variable the accounts file names is set (all missing ones are listed);
2. Login with Amazon: the refresh-token grant returns an access token;
3. Orders API: one ``searchOrders`` request for the last hour (one request of its quota) is
   accepted: a 403 here means the application lacks the role the Orders API needs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

import httpx

from custsync.connectors.amazon.auth import LwaAuth
from custsync.connectors.amazon.client import SpApiClient
from custsync.connectors.amazon.orders import (
    LATEST_LAG,
    ORDERS_PATH,
    SEARCH_ORDERS_QUOTA,
    Window,
)
from custsync.connectors.amazon.payloads import SearchOrdersResponse
from custsync.connectors.http import Clock, HttpClient, RequestRejected, SystemClock
from custsync.errors import ConfigError, CustsyncError
from custsync.settings import AmazonAccount

PROBE_WINDOW = timedelta(hours=1)


@dataclass(slots=True)
class CheckReport:
    """What was verified, and the first problem found (``None``: all good)."""

    account_id: str
    passed: list[str] = field(default_factory=list)
    problem: str | None = None

    @property
    def is_ok(self) -> bool:
        return self.problem is None


def check_amazon_account(
    account: AmazonAccount,
    *,
    clock: Clock | None = None,
    transport: httpx.BaseTransport | None = None,
) -> CheckReport:
    report = CheckReport(account.id)
    missing = _missing_credentials(account)
    if missing:
        report.problem = "; ".join(missing)
        return report
    report.passed.append("credentials set")
    clock = clock or SystemClock()
    with HttpClient(
        account_id=account.id, clock=clock, transport=transport, max_attempts=2
    ) as http:
        auth = LwaAuth(account, http)
        try:
            auth.access_token()
        except CustsyncError as exc:
            report.problem = str(exc)
            return report
        report.passed.append("Login with Amazon token exchange")
        report.problem = _probe_orders(SpApiClient(account, http, auth), clock)
    if report.problem is None:
        report.passed.append("Orders API searchOrders")
    return report


def _missing_credentials(account: AmazonAccount) -> list[str]:
    problems = []
    for name in ("client_id", "client_secret", "refresh_token"):
        try:
            getattr(account, name).resolve(account.id, name)
        except ConfigError as exc:
            problems.append(str(exc))
    return problems


def _probe_orders(client: SpApiClient, clock: Clock) -> str | None:
    end = (clock.now() - LATEST_LAG).replace(microsecond=0)
    params = Window(end - PROBE_WINDOW, end).params(client.account.marketplace_ids, None)
    params["maxResultsPerPage"] = "1"
    try:
        client.get(SearchOrdersResponse, ORDERS_PATH, quota=SEARCH_ORDERS_QUOTA, params=params)
    except RequestRejected as exc:
        if exc.status == 403:
            return (
                f"account {client.account.id}: the Orders API refused the access token "
                f"(HTTP 403 {exc.code or ''}): the application lacks a role the Orders API "
                "needs; add it in Solution Provider Portal and authorize the app again"
            )
        return str(exc)
    except CustsyncError as exc:
        return str(exc)
    return None
