"""The Amazon returns stream: the MFN returns report and the FBA customer returns report.

Each window (at most 60 days: the MFN report's limit) asks for both reports, one after the
other, as resumable report jobs; the position moves to the window's end once both are stored.
Windows overlap by two days (late rows) and a new one is asked for once a day has passed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from custsync.connectors.amazon.event_reports import map_fba_returns, map_mfn_returns
from custsync.connectors.amazon.flatfile import parse_rows
from custsync.connectors.amazon.report_jobs import ReportSpec, WindowPolicy
from custsync.connectors.amazon.report_reader import ReportReader
from custsync.connectors.amazon.reports_api import ReportsApi
from custsync.connectors.base import Cursor, Page
from custsync.records import Record, Reject, StreamName

MFN_RETURNS_REPORT = "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE"
FBA_RETURNS_REPORT = "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA"
RETURNS_POLICY = WindowPolicy(
    max_window=timedelta(days=60),
    overlap=timedelta(days=2),
    min_span=timedelta(days=1),
    lag=timedelta(hours=1),
)


class AmazonReturnsStream:
    """``connectors.base.Stream`` of ``records.Return`` for one Amazon account."""

    name = StreamName.RETURNS

    def __init__(self, reports: ReportsApi) -> None:
        self._account = reports.client.account
        marketplaces = tuple(self._account.marketplace_ids)
        self._reader = ReportReader(
            reports,
            specs=[
                ReportSpec(MFN_RETURNS_REPORT, marketplaces),
                ReportSpec(FBA_RETURNS_REPORT, marketplaces),
            ],
            mapper=self._map,
            policy=RETURNS_POLICY,
            time_scale=self._account.quota_scale,
        )

    def read(self, cursor: Cursor, *, now: datetime) -> Iterator[Page]:
        yield from self._reader.read_recent(
            cursor, now=now, backfill_days=self._account.backfill_days
        )

    def _map(self, spec: ReportSpec, text: str) -> tuple[list[Record], list[Reject]]:
        account_id = self._account.account_id
        if spec.report_type == MFN_RETURNS_REPORT:
            return map_mfn_returns(parse_rows(text), account_id=account_id)
        return map_fba_returns(parse_rows(text), account_id=account_id)
