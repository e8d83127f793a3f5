"""The Reports API 2021-06-30: create, poll and fetch report documents (gzip or plain).

Published quotas (rate per second / burst) are the defaults; ``x-amzn-RateLimit-Limit`` on a
2xx answer updates them (``HttpClient``). A presigned document URL lives 5 minutes: when the
download is refused (400/403/404/410: expired or gone), the document is asked for again
through ``getReportDocument`` for a fresh URL, at most ``MAX_URL_REFRESHES`` times.
"""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote

import structlog

from custsync.connectors.amazon.client import SpApiClient
from custsync.connectors.amazon.report_payloads import (
    CreateReportResponse,
    GetReportsResponse,
    ReportDocumentPayload,
    ReportPayload,
)
from custsync.connectors.http import Quota, RequestRejected
from custsync.errors import PayloadError, TransientError

REPORTS_PATH = "/reports/2021-06-30/reports"
DOCUMENTS_PATH = "/reports/2021-06-30/documents"
CREATE_REPORT_QUOTA = Quota("createReport", rate_per_s=0.0167, burst=15)
GET_REPORT_QUOTA = Quota("getReport", rate_per_s=2.0, burst=15)
GET_REPORTS_QUOTA = Quota("getReports", rate_per_s=0.0222, burst=10)
GET_DOCUMENT_QUOTA = Quota("getReportDocument", rate_per_s=0.0167, burst=15)
# The presigned URL is served by storage, not the SP-API: no published quota; a polite cap.
DOWNLOAD_QUOTA = Quota("reportDownload", rate_per_s=5.0, burst=10)
MAX_URL_REFRESHES = 5
EXPIRED_URL_STATUSES = frozenset({400, 403, 404, 410})
GZIP_MAGIC = b"\x1f\x8b"

_log: structlog.typing.FilteringBoundLogger = structlog.get_logger()


def iso_z(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class ReportsApi:
    """The Reports API operations custsync uses, over one account's ``SpApiClient``."""

    def __init__(self, client: SpApiClient) -> None:
        self._client = client

    @property
    def client(self) -> SpApiClient:
        return self._client

    def create_report(
        self, report_type: str, marketplace_ids: Sequence[str], start: datetime, end: datetime
    ) -> str:
        body = {
            "reportType": report_type,
            "marketplaceIds": list(marketplace_ids),
            "dataStartTime": iso_z(start),
            "dataEndTime": iso_z(end),
        }
        created = self._client.post(
            CreateReportResponse,
            REPORTS_PATH,
            quota=CREATE_REPORT_QUOTA,
            body=body,
            is_repeatable=True,  # a report whose id was lost is never read
        )
        return created.report_id

    def get_report(self, report_id: str) -> ReportPayload:
        path = f"{REPORTS_PATH}/{quote(report_id, safe='')}"
        return self._client.get(ReportPayload, path, quota=GET_REPORT_QUOTA)

    def get_reports(
        self,
        report_types: Sequence[str] = (),
        *,
        statuses: Sequence[str] = (),
        next_token: str | None = None,
    ) -> GetReportsResponse:
        """One page of ``getReports``; a ``next_token`` must be sent alone (API rule)."""
        if next_token is not None:
            params = {"nextToken": next_token}
        else:
            params = {"reportTypes": ",".join(report_types), "pageSize": "100"}
            if statuses:
                params["processingStatuses"] = ",".join(statuses)
        return self._client.get(
            GetReportsResponse, REPORTS_PATH, quota=GET_REPORTS_QUOTA, params=params
        )

    def get_document(self, document_id: str) -> ReportDocumentPayload:
        path = f"{DOCUMENTS_PATH}/{quote(document_id, safe='')}"
        return self._client.get(ReportDocumentPayload, path, quota=GET_DOCUMENT_QUOTA)

    def fetch_document(self, document_id: str) -> bytes:
        """The document's bytes, decompressed; an expired URL is asked for again."""
        refreshes = 0
        while True:
            document = self.get_document(document_id)
            try:
                raw = self._client.download(document.url, quota=DOWNLOAD_QUOTA)
            except RequestRejected as exc:
                if exc.status not in EXPIRED_URL_STATUSES:
                    raise
                if refreshes >= MAX_URL_REFRESHES:
                    raise TransientError(
                        f"account {self._client.account.id}: report document {document_id}: "
                        f"its download URL was refused {refreshes + 1} times (HTTP {exc.status})"
                    ) from None
                refreshes += 1
                _log.info("report_url_expired", status=exc.status, refreshes=refreshes)
                continue
            return decompress(raw, document.compression_algorithm, document_id)


def decompress(raw: bytes, algorithm: str | None, document_id: str) -> bytes:
    """GZIP as declared (or sniffed: a transparent ``Content-Encoding`` may have undone it)."""
    if not raw.startswith(GZIP_MAGIC):
        return raw
    if algorithm not in (None, "GZIP"):
        raise PayloadError(f"report document {document_id}: unknown compression {algorithm!r}")
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError, zlib.error):
        raise PayloadError(f"report document {document_id}: broken gzip data") from None
