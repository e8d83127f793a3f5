"""The Amazon connector: the streams of one seller account, wired to one HTTP client.

Streams: ``orders`` (report backfill, then ``searchOrders``; promo uses ride along with their
orders, so there is no separate promotions read spending quota twice), ``returns`` (MFN + FBA
returns reports) and ``feedback`` (seller feedback report per marketplace). One ``HttpClient``
per account: its quotas, buckets and statistics are that account's alone.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType, TracebackType

import httpx

from custsync.connectors.amazon.auth import LwaAuth
from custsync.connectors.amazon.client import SpApiClient
from custsync.connectors.amazon.feedback import AmazonFeedbackStream
from custsync.connectors.amazon.orders import AmazonOrdersStream
from custsync.connectors.amazon.reports_api import ReportsApi
from custsync.connectors.amazon.returns import AmazonReturnsStream
from custsync.connectors.base import Stream
from custsync.connectors.http import Clock, HttpClient, RequestStats
from custsync.records import StreamName
from custsync.settings import AmazonAccount

RATE_LIMIT_HEADER = "x-amzn-RateLimit-Limit"


class AmazonConnector:
    """``connectors.base.Connector`` for an Amazon account (one ``HttpClient`` per account)."""

    def __init__(self, account: AmazonAccount, http: HttpClient) -> None:
        self.account = account
        self._http = http
        client = SpApiClient(account, http, LwaAuth(account, http))
        reports = ReportsApi(client)
        self.orders = AmazonOrdersStream(client, reports)
        self.returns = AmazonReturnsStream(reports)
        self.feedback = AmazonFeedbackStream(reports)
        self._streams: Mapping[StreamName, Stream] = MappingProxyType(
            {
                StreamName.ORDERS: self.orders,
                StreamName.RETURNS: self.returns,
                StreamName.FEEDBACK: self.feedback,
            }
        )

    @property
    def streams(self) -> Mapping[StreamName, Stream]:
        return self._streams

    @property
    def stats(self) -> RequestStats:
        return self._http.stats

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> AmazonConnector:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def build_amazon_connector(
    account: AmazonAccount,
    *,
    clock: Clock | None = None,
    transport: httpx.BaseTransport | None = None,
) -> AmazonConnector:
    """The connector for ``account``: its quotas scaled by ``account.quota_scale``."""
    http = HttpClient(
        account_id=account.id,
        clock=clock,
        transport=transport,
        quota_scale=account.quota_scale,
        rate_limit_header=RATE_LIMIT_HEADER,
    )
    return AmazonConnector(account, http)
