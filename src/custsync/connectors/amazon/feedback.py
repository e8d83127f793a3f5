"""The Amazon feedback stream: ``GET_SELLER_FEEDBACK_DATA``, one report per marketplace.

The report holds only negative and neutral feedback (1-3 stars) and writes dates in the
marketplace's own format, so each report covers one marketplace and is parsed with that
marketplace's format (``event_reports.FEEDBACK_DATE_FORMATS``). Windows of at most 90 days,
overlapping by two days; a new one is asked for once a day has passed.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from custsync.connectors.amazon.event_reports import map_feedback
from custsync.connectors.amazon.flatfile import parse_rows
from custsync.connectors.amazon.report_jobs import ReportSpec, WindowPolicy
from custsync.connectors.amazon.report_reader import ReportReader
from custsync.connectors.amazon.reports_api import ReportsApi
from custsync.connectors.base import Cursor, Page
from custsync.records import Record, Reject, StreamName

FEEDBACK_REPORT = "GET_SELLER_FEEDBACK_DATA"
FEEDBACK_POLICY = WindowPolicy(
    max_window=timedelta(days=90),
    overlap=timedelta(days=2),
    min_span=timedelta(days=1),
    lag=timedelta(hours=1),
)


class AmazonFeedbackStream:
    """``connectors.base.Stream`` of ``records.Feedback`` for one Amazon account."""

    name = StreamName.FEEDBACK

    def __init__(self, reports: ReportsApi) -> None:
        self._account = reports.client.account
        self._reader = ReportReader(
            reports,
            specs=[ReportSpec(FEEDBACK_REPORT, (m,)) for m in self._account.marketplace_ids],
            mapper=self._map,
            policy=FEEDBACK_POLICY,
            time_scale=self._account.quota_scale,
        )

    def read(self, cursor: Cursor, *, now: datetime) -> Iterator[Page]:
        yield from self._reader.read_recent(
            cursor, now=now, backfill_days=self._account.backfill_days
        )

    def _map(self, spec: ReportSpec, text: str) -> tuple[list[Record], list[Reject]]:
        return map_feedback(
            parse_rows(text),
            account_id=self._account.account_id,
            marketplace_id=spec.marketplace_ids[0],
        )
