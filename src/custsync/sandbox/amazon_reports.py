"""Reports API 2021-06-30: ``createReport``, ``getReport``, ``getReports``, ``getReportDocument``.

A report is an explicit state machine. ``createReport`` answers 202 ``{"reportId"}`` and fixes
the outcome at once (rows as of the request): DONE with a gzip TSV document, CANCELLED when the
range holds no data (no document), FATAL when the range is longer than the report type allows
or the ``reports`` fault profile says so (a plain JSON failure document explains). Processing
advances with ``getReport`` polls, not with time: a seeded 1-2 polls IN_QUEUE, then 1-3
IN_PROGRESS, then the outcome, so the same client sees the same progression on every run.
``getReportDocument`` answers a presigned URL that expires five minutes later (``documents``).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from custsync.sandbox.amazon_index import OrderBook
from custsync.sandbox.amazon_query import InvalidQuery, enum_values, list_values, single_value
from custsync.sandbox.bad_records import Spoilers, spoil_row
from custsync.sandbox.catalog import AMAZON_ACCOUNTS, Account
from custsync.sandbox.documents import Document, DocumentStore
from custsync.sandbox.faults import FaultKind, FaultPlan
from custsync.sandbox.orders import SimOrder
from custsync.sandbox.report_documents import REPORT_TYPES, ReportWindow, Row, to_tsv
from custsync.sandbox.report_query import (
    RETENTION_S,
    ListQuery,
    marketplaces,
    param_time,
    read_body,
    time_value,
)
from custsync.sandbox.sealed import Sealer

Json = dict[str, object]
Params = Mapping[str, Sequence[str]]
Clock = Callable[[], datetime]
STATUSES = frozenset({"IN_QUEUE", "IN_PROGRESS", "DONE", "CANCELLED", "FATAL"})
FAULT_KEY = "__fault__"  # taken out of the body by ``amazon_api``: names the injected fault
REPORT_FAULT = "[sandbox fault]"
DAY_S = 86_400
# Where the bad-records profile spoils a report row (per report type: id, date, qty, status).
_ROW_SPOILERS = {
    "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL": Spoilers(
        ("amazon-order-id",), ("purchase-date",), ("quantity",), ("order-status",)
    ),
    "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE": Spoilers(
        ("Order ID",), ("Return request date",), ("Return quantity",), ("Return request status",)
    ),
    "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA": Spoilers(
        ("order-id",), ("return-date",), ("quantity",), ("status",)
    ),
    "GET_SELLER_FEEDBACK_DATA": Spoilers(("Order ID",), ("Date",), ("Rating",), ("Rating",)),
}


class UnknownResource(LookupError):
    """A report or document id this sandbox does not know (404 ``NotFound``)."""


@dataclass(slots=True)
class _Job:
    report_id: str
    report_type: str
    account_id: str
    marketplace_ids: list[str]
    start_s: int
    end_s: int
    created_s: int
    queue_polls: int
    progress_polls: int
    outcome: str  # DONE | CANCELLED | FATAL
    document_id: str | None
    is_fault: bool = False  # FATAL because of the ``reports`` fault profile
    polls: int = 0
    started_s: int | None = None
    ended_s: int | None = None

    @property
    def status(self) -> str:
        if self.polls <= self.queue_polls:
            return "IN_QUEUE"
        if self.polls <= self.queue_polls + self.progress_polls:
            return "IN_PROGRESS"
        return self.outcome


class ReportsApi:
    """The report jobs of every Amazon account (thread-safe); answers (status, body)."""

    def __init__(
        self,
        book: OrderBook,
        documents: DocumentStore,
        *,
        seed: int,
        clock: Clock,
        faults: FaultPlan,
    ) -> None:
        self._book, self._documents, self._seed = book, documents, seed
        self._clock, self._faults = clock, faults
        self._jobs: dict[str, _Job] = {}
        self._counts: dict[str, int] = {}
        self._fetches: dict[str, int] = {}
        self._sealer = Sealer(seed, "getReports")
        self._lock = threading.Lock()
        # Report ids carry the server's start time: a report id kept from an earlier sandbox
        # run never names another report of this one (it is unknown: 404).
        self._boot = int(clock().timestamp()) % 10**6

    def create_report(self, account: Account, body: bytes) -> tuple[int, Json]:
        spec = read_body(body)
        report_type = spec.get("reportType")
        if not isinstance(report_type, str) or report_type not in REPORT_TYPES:
            raise InvalidQuery(f"reportType {report_type!r} is not supported")
        marketplace_ids = marketplaces(spec.get("marketplaceIds"), account)
        now_s = self._now_s()
        end_s = min(time_value(spec, "dataEndTime", now_s), now_s)
        start_s = time_value(spec, "dataStartTime", end_s - 30 * DAY_S)
        if start_s >= end_s:
            raise InvalidQuery("dataStartTime must be before dataEndTime")
        with self._lock:
            number = self._counts.get(account.id, 0)
            self._counts[account.id] = number + 1
        slot = next(i for i, a in enumerate(AMAZON_ACCOUNTS) if a.id == account.id)
        report_id = f"5{self._boot:06d}{slot}{number:04d}"
        spec_range = REPORT_TYPES[report_type].max_range_days
        failure, is_fault = None, False
        if spec_range is not None and end_s - start_s > spec_range * DAY_S:
            failure = f"The date range exceeds {spec_range} days for {report_type}."
        elif self._faults.report_fatal(account.id, number):
            failure = f"{REPORT_FAULT} The report could not be generated. Please try again later."
            is_fault = True
        outcome, document_id = self._outcome(
            account,
            report_id,
            failure,
            report_type=report_type,
            marketplace_ids=marketplace_ids,
            start_s=start_s,
            end_s=end_s,
        )
        job = _Job(
            report_id,
            report_type,
            account.id,
            marketplace_ids,
            start_s,
            end_s,
            now_s,
            1 + int(self._faults.chance("queue", account.id, number) * 2),
            1 + int(self._faults.chance("progress", account.id, number) * 3),
            outcome,
            document_id,
            is_fault,
        )
        with self._lock:
            self._jobs[report_id] = job
        return 202, {"reportId": report_id}

    def get_report(self, account: Account, report_id: str) -> tuple[int, Json]:
        job = self._job(account, report_id)
        now_s = self._now_s()
        with self._lock:
            job.polls += 1
            status = job.status
            if status != "IN_QUEUE" and job.started_s is None:
                job.started_s = now_s
            if status not in ("IN_QUEUE", "IN_PROGRESS") and job.ended_s is None:
                job.ended_s = now_s
        body = _report_json(job)
        if job.is_fault and status == "FATAL":
            body[FAULT_KEY] = FaultKind.REPORT_FATAL.value
        return 200, body

    def get_reports(self, account: Account, params: Params) -> tuple[int, Json]:
        query = self._list_query(params)
        now_s = self._now_s()
        with self._lock:
            jobs = [
                job
                for job in self._jobs.values()
                if job.account_id == account.id and query.lists(job, now_s)
            ]
        jobs.sort(key=lambda job: (-job.created_s, job.report_id))
        end = query.offset + query.page_size
        body: Json = {"reports": [_report_json(job) for job in jobs[query.offset : end]]}
        if end < len(jobs):
            body["nextToken"] = query.seal(self._sealer, end)
        return 200, body

    def get_document(self, account: Account, document_id: str) -> tuple[int, Json]:
        document = self._documents.get(document_id)
        if document is None or document.account != account.id:
            raise UnknownResource(f"reportDocumentId {document_id}")
        with self._lock:
            number = self._fetches.get(account.id, 0)
            self._fetches[account.id] = number + 1
        signed_s = self._now_s()
        expired = self._faults.document_url_expired(account.id, number)
        if expired:
            signed_s -= 301  # the fault: handed out already expired
        body: Json = {
            "reportDocumentId": document_id,
            "url": self._documents.url(document_id, signed_at_s=signed_s),
        }
        if expired:
            body[FAULT_KEY] = FaultKind.DOCUMENT_URL_EXPIRED.value
        if document.compression:
            body["compressionAlgorithm"] = document.compression
        return 200, body

    def _outcome(
        self,
        account: Account,
        report_id: str,
        failure: str | None,
        *,
        report_type: str,
        marketplace_ids: list[str],
        start_s: int,
        end_s: int,
    ) -> tuple[str, str | None]:
        spec = REPORT_TYPES[report_type]
        document_id = _document_id(self._seed, account.region or "na", report_id)
        if failure is not None:
            content = json.dumps({"errorDetails": failure}).encode()
            self._documents.put(
                document_id, Document(content, None, "application/json", account.id)
            )
            return "FATAL", document_id
        index = self._book.account(account.id)
        if index is None:
            return "CANCELLED", None
        window = ReportWindow(self._seed, index, marketplace_ids, start_s, end_s)
        rows = self._spoiled(report_type, spec.rows(window))
        if not rows:
            return "CANCELLED", None
        content = gzip.compress(to_tsv(spec.header, rows), mtime=0)
        self._documents.put(
            document_id, Document(content, "GZIP", "text/tab-separated-values", account.id)
        )
        return "DONE", document_id

    def _spoiled(self, report_type: str, rows: Iterable[tuple[SimOrder, Row]]) -> list[Row]:
        found = []
        for order, row in rows:
            variant = self._faults.bad_record(order.order_id)
            if variant is not None:
                spoil_row(row, variant, _ROW_SPOILERS[report_type])
            found.append(row)
        return found

    def _list_query(self, params: Params) -> ListQuery:
        token = single_value(params, "nextToken")
        if token is not None:
            if set(params) != {"nextToken"}:
                raise InvalidQuery("nextToken must be the only parameter")
            return ListQuery.unseal(self._sealer, token)
        types = list_values(params, "reportTypes")
        if not types or len(types) > 10:
            raise InvalidQuery("reportTypes (1 to 10) or nextToken is required")
        size_text = single_value(params, "pageSize") or "10"
        if not size_text.isdigit() or not 1 <= int(size_text) <= 100:
            raise InvalidQuery("pageSize must be between 1 and 100")
        now_s = self._now_s()
        return ListQuery(
            tuple(sorted(types)),
            tuple(sorted(enum_values(params, "processingStatuses", STATUSES))),
            tuple(sorted(list_values(params, "marketplaceIds"))),
            param_time(params, "createdSince", now_s - RETENTION_S),
            param_time(params, "createdUntil", now_s),
            int(size_text),
        )

    def _job(self, account: Account, report_id: str) -> _Job:
        with self._lock:
            job = self._jobs.get(report_id)
        if job is None or job.account_id != account.id:
            raise UnknownResource(f"reportId {report_id}")
        return job

    def _now_s(self) -> int:
        return int(self._clock().timestamp())


def _report_json(job: _Job) -> Json:
    body: Json = {
        "reportId": job.report_id,
        "reportType": job.report_type,
        "dataStartTime": _iso(job.start_s),
        "dataEndTime": _iso(job.end_s),
        "marketplaceIds": list(job.marketplace_ids),
        "createdTime": _iso(job.created_s),
        "processingStatus": job.status,
    }
    if job.started_s is not None:
        body["processingStartTime"] = _iso(job.started_s)
    if job.ended_s is not None:
        body["processingEndTime"] = _iso(job.ended_s)
    if job.status in ("DONE", "FATAL") and job.document_id is not None:
        body["reportDocumentId"] = job.document_id
    return body


def _document_id(seed: int, region: str, report_id: str) -> str:
    digest = hashlib.sha256(f"{seed}:{report_id}".encode()).hexdigest()
    uuid = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
    return f"amzn1.spdoc.1.4.{region}.{uuid}.T{digest[32:45].upper()}.{int(digest[45:49], 16)}"


def _iso(epoch_s: int) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")
