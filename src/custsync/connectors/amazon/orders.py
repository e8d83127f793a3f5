"""The Amazon orders stream: a report backfill, then ``searchOrders`` by last-updated time.

Backfill or incremental, by the size of the gap: with no position yet, or one more than
``REPORT_GAP`` behind, the stream reads ``GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL``
reports in windows of at most 30 days up to ``now - REPORT_LAG`` (order reports lag up to
30 minutes), as resumable report jobs (``report_reader``): one report brings thousands of
orders for two requests of quota, where ``searchOrders`` brings 100 per request at one request
per three minutes. Once the reports have caught up, the same run reads the rest through
``searchOrders``. Every order comes with its ``PromoUse`` records (``mapping.promo_uses``).
Report orders have no buyer: after the incremental read, the stream re-reads the backfilled
range through ``searchOrders`` with idle quota only (``enrichment``).

A report window that stays FATAL is set aside by the reader (``retry_later``) and the backfill
goes on; the run then reads ``searchOrders`` and enriches as usual and ends with that
``ReportFailed``. Later runs retry set-aside windows first, through reports even when the gap
is small (no new report window then), and carry them through the searchOrders checkpoints
until their orders are stored; a retried window's range is enriched too.

searchOrders window: from ``position − OVERLAP`` (first sync: ``now − backfill_days``) to
``now − 2 min`` (Amazon rejects later ``lastUpdatedBefore`` values). One ``Page`` per API page.
Mid-window checkpoints keep the position and carry the window and the next token, so a crashed run
resumes on that token with the same window; the last page moves the position to the window
end, never further. An expired/invalid resumed token (400) restarts the window from its
start once. Re-reading a window is harmless: the store dedupes by (account, order id).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from urllib.parse import quote

import structlog

from custsync.connectors.amazon.client import SpApiClient
from custsync.connectors.amazon.enrichment import RESERVE as ENRICH_RESERVE
from custsync.connectors.amazon.enrichment import (
    TOKENS_AT_KEY,
    TOKENS_KEY,
    Enrichment,
    cover,
    quota_memory,
    remembered_tokens,
    without_enrichment,
)
from custsync.connectors.amazon.flatfile import parse_rows
from custsync.connectors.amazon.mapping import map_order, map_orders, promo_uses
from custsync.connectors.amazon.order_report import map_order_report
from custsync.connectors.amazon.payloads import GetOrderResponse, SearchOrdersResponse
from custsync.connectors.amazon.report_jobs import (
    RETRY_LATER_KEY,
    ReportFailed,
    ReportSpec,
    WindowPolicy,
    WindowState,
)
from custsync.connectors.amazon.report_reader import ReportReader, WindowPage
from custsync.connectors.amazon.reports_api import ReportsApi
from custsync.connectors.base import Cursor, Page
from custsync.connectors.http import Quota, RequestRejected
from custsync.errors import PayloadError
from custsync.records import Order, Record, Reject, StreamName

ORDERS_PATH = "/orders/2026-01-01/orders"
SEARCH_ORDERS_QUOTA = Quota("searchOrders", rate_per_s=0.0056, burst=20)
GET_ORDER_QUOTA = Quota("getOrder", rate_per_s=0.5, burst=30)
INCLUDED_DATA = "BUYER,RECIPIENT,PROCEEDS,PROMOTION,FULFILLMENT"
PAGE_SIZE = 100
OVERLAP = timedelta(minutes=10)
LATEST_LAG = timedelta(minutes=2)
WINDOW_START_KEY = "window_start"
ORDERS_REPORT = "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL"
REPORT_GAP = timedelta(days=1)
REPORT_LAG = timedelta(hours=1)
ORDERS_REPORT_POLICY = WindowPolicy(
    max_window=timedelta(days=30), overlap=OVERLAP, min_span=REPORT_LAG, lag=REPORT_LAG
)

_log: structlog.typing.FilteringBoundLogger = structlog.get_logger()


def iso_z(moment: datetime) -> str:
    """Explicit UTC: ``2026-01-31T12:00:00Z``."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class Window:
    """The ``lastUpdated`` range one read covers (whole seconds, aware UTC)."""

    start: datetime
    end: datetime

    def params(self, marketplace_ids: list[str], token: str | None) -> dict[str, str]:
        params = {
            "marketplaceIds": ",".join(marketplace_ids),
            "lastUpdatedAfter": iso_z(self.start),
            "lastUpdatedBefore": iso_z(self.end),
            "maxResultsPerPage": str(PAGE_SIZE),
            "includedData": INCLUDED_DATA,
        }
        if token is not None:
            params["paginationToken"] = token
        return params

    def checkpoint(self, position: datetime | None, next_token: str | None) -> Cursor:
        if next_token is None:
            return Cursor(position=self.end)
        return Cursor(
            position=position,
            window_end=self.end,
            page_token=next_token,
            extra={WINDOW_START_KEY: self.start.isoformat()},
        )


def plan_window(cursor: Cursor, *, now: datetime, backfill_days: int) -> Window | None:
    """The window to read from ``cursor``; ``None`` when there is nothing to read yet."""
    saved_start = cursor.extra.get(WINDOW_START_KEY)
    if cursor.window_end is not None and saved_start:
        return Window(datetime.fromisoformat(saved_start), cursor.window_end)
    end = cursor.window_end or (now - LATEST_LAG).astimezone(UTC).replace(microsecond=0)
    if cursor.position is not None:
        start = cursor.position - OVERLAP
    else:
        start = now - timedelta(days=backfill_days)
    start = start.astimezone(UTC).replace(microsecond=0)
    return Window(start, end) if start < end else None


def uses_reports(cursor: Cursor, *, now: datetime, gap: timedelta | None = REPORT_GAP) -> bool:
    """Backfill through reports: a report window is open, or the gap is large (or total).

    ``gap=None``: never start a report backfill (searchOrders only).
    """
    if WindowState.from_cursor(cursor) is not None:
        return True
    if cursor.is_mid_window or gap is None:
        return False  # a searchOrders window is being paged: finish it
    return cursor.position is None or now - cursor.position > gap


def has_set_aside(cursor: Cursor) -> bool:
    """Report windows set aside by an earlier run wait (and no searchOrders window is paged)."""
    return RETRY_LATER_KEY in cursor.extra and not cursor.is_mid_window


@dataclass(frozen=True, slots=True)
class _CaughtUp:
    """The report backfill's last cursor, and its failure (windows set aside) if any."""

    cursor: Cursor
    failure: ReportFailed | None


def _enriched(
    state: Enrichment,
    base: Cursor,
    quota: Callable[[], dict[str, str]],
    next_token: str | None,
) -> Cursor:
    following = state.after_page(next_token)
    return base.with_extra(**following.to_extra(), **quota()) if following else base


def _enrichment_after(
    enrich: Enrichment | None, item: WindowPage, ceiling: datetime
) -> Enrichment | None:
    """The range to enrich once ``item`` is stored: a window that brought orders joins it (a
    new one up to the ceiling, a retried one up to its end); a new window without orders
    still moves its end to the ceiling."""
    if any(isinstance(r, Order) for r in item.page.records):
        return cover(enrich, item.window.start, item.window.end if item.is_retry else ceiling)
    if enrich is not None and not item.is_retry:
        return enrich.covering(enrich.start, ceiling)
    return enrich


class AmazonOrdersStream:
    """``connectors.base.Stream`` of ``records.Order`` for one Amazon account."""

    name = StreamName.ORDERS
    quota = SEARCH_ORDERS_QUOTA

    def __init__(self, client: SpApiClient, reports: ReportsApi | None = None) -> None:
        self._client = client
        self._account = client.account
        self.report_gap: timedelta | None = REPORT_GAP
        self.enriches_buyers = True
        self._backfill = ReportReader(
            reports or ReportsApi(client),
            specs=[ReportSpec(ORDERS_REPORT, tuple(self._account.marketplace_ids))],
            mapper=self._map_report,
            policy=ORDERS_REPORT_POLICY,
            time_scale=self._account.quota_scale,
        )

    def read(self, cursor: Cursor, *, now: datetime) -> Iterator[Page]:
        failure: ReportFailed | None = None
        is_backfill = uses_reports(cursor, now=now, gap=self.report_gap)
        if is_backfill or has_set_aside(cursor):
            caught_up = yield from self._read_reports(cursor, now, only_retries=not is_backfill)
            if caught_up is None:
                return  # a report is still pending: the next run resumes it
            cursor, failure = caught_up.cursor, caught_up.failure
        self._restore_quota(cursor)
        cursor = yield from self._read_search(cursor, now)
        if self.enriches_buyers:
            yield from self._enrich(cursor)
        if failure is not None:
            raise failure  # windows set aside: recorded, and retried by the next runs

    def _restore_quota(self, cursor: Cursor) -> None:
        rate_per_s = SEARCH_ORDERS_QUOTA.rate_per_s * self._account.quota_scale
        tokens = remembered_tokens(cursor.extra, self._client.clock.now(), rate_per_s)
        if tokens is not None:
            self._client.limit_tokens(SEARCH_ORDERS_QUOTA, tokens)

    def _quota_memory(self) -> dict[str, str]:
        tokens = self._client.tokens_left(SEARCH_ORDERS_QUOTA)
        return quota_memory(tokens, self._client.clock.now())

    def _read_reports(
        self, cursor: Cursor, now: datetime, *, only_retries: bool
    ) -> Generator[Page, None, _CaughtUp | None]:
        """The report backfill (``only_retries``: the set-aside windows only); the cursor once
        caught up, ``None`` while a report window is pending.

        The range to enrich with buyers starts at the first report window that held orders
        (a two-year backfill of a one-year-old seller re-reads one year), and grows with
        every later backfill and retried window.
        """
        now = now.astimezone(UTC).replace(microsecond=0)
        first_start = now - timedelta(days=self._account.backfill_days)
        ceiling = now - REPORT_LAG
        enrich = Enrichment.from_extra(cursor.extra)
        kept = {k: v for k, v in cursor.extra.items() if k in (TOKENS_KEY, TOKENS_AT_KEY)}
        last, failure = cursor, None
        pages = self._backfill.read_windows(
            cursor, now=now, first_start=first_start, ceiling=ceiling, only_retries=only_retries
        )
        try:
            for item in pages:
                enrich = _enrichment_after(enrich, item, ceiling)
                extra = {**kept, **(enrich.to_extra() if enrich else {})}
                last = item.page.checkpoint.with_extra(**extra)
                yield replace(item.page, checkpoint=last)
        except ReportFailed as exc:
            failure = exc
        if WindowState.from_cursor(last) is not None:
            if failure is not None:
                raise failure
            return None
        return _CaughtUp(last, failure)

    def _map_report(self, spec: ReportSpec, text: str) -> tuple[list[Record], list[Reject]]:
        return map_order_report(
            parse_rows(text),
            account_id=self._account.account_id,
            marketplace_ids=self._account.marketplace_ids,
        )

    def _read_search(self, cursor: Cursor, now: datetime) -> Generator[Page, None, Cursor]:
        """The incremental read; the cursor after it (carrying the enrichment state)."""
        window = plan_window(cursor, now=now, backfill_days=self._account.backfill_days)
        if window is None:
            return cursor
        pending = Enrichment.from_extra(cursor.extra)
        set_aside = {k: v for k, v in cursor.extra.items() if k == RETRY_LATER_KEY}
        token = cursor.page_token if cursor.is_mid_window else None
        last = cursor
        for page in self._read_window(window, token, partial(window.checkpoint, cursor.position)):
            last = page.checkpoint.with_extra(**set_aside)
            if pending is not None:
                last = last.with_extra(**pending.to_extra(), **self._quota_memory())
            yield replace(page, checkpoint=last)
        return last

    def _enrich(self, cursor: Cursor) -> Iterator[Page]:
        """Re-read backfilled orders for their buyers while idle searchOrders quota lasts."""
        state = Enrichment.from_extra(cursor.extra)
        rest = without_enrichment(cursor.extra)
        while state is not None and self._has_idle_quota():
            window = Window(state.start, state.window_end)
            base = Cursor(position=cursor.position, extra=rest)
            checkpoint = partial(_enriched, state, base, self._quota_memory)
            for page in self._read_window(window, state.token, checkpoint, pages=1):
                yield page
                state = Enrichment.from_extra(page.checkpoint.extra)

    def _has_idle_quota(self) -> bool:
        return self._client.tokens_left(SEARCH_ORDERS_QUOTA) >= ENRICH_RESERVE + 1

    def _read_window(
        self,
        window: Window,
        token: str | None,
        checkpoint: Callable[[str | None], Cursor],
        *,
        pages: int | None = None,
    ) -> Iterator[Page]:
        """``window`` page by page from ``token``; stops after ``pages`` pages if given."""
        seen: set[str] = set()
        may_restart = True
        before = self._client.stats.requests
        while pages is None or pages > 0:
            try:
                body = self._search(window, token)
            except RequestRejected as exc:
                if token is None or exc.status != 400 or not may_restart:
                    raise
                _log.warning("pagination_token_rejected", operation="searchOrders", code=exc.code)
                may_restart, token = False, None
                seen.clear()
                continue
            next_token = body.next_token
            if next_token is not None and (next_token in seen or next_token == token):
                raise PayloadError(
                    f"account {self._account.id}: searchOrders returned a pagination token twice"
                )
            records, rejects = self._map(body)
            requests = self._client.stats.requests - before
            before += requests
            yield Page(records, rejects, checkpoint(next_token), requests=requests)
            if next_token is None:
                return
            seen.add(next_token)
            token = next_token
            pages = None if pages is None else pages - 1

    def _search(self, window: Window, token: str | None) -> SearchOrdersResponse:
        params = window.params(self._account.marketplace_ids, token)
        return self._client.get(
            SearchOrdersResponse, ORDERS_PATH, quota=SEARCH_ORDERS_QUOTA, params=params
        )

    def _map(self, body: SearchOrdersResponse) -> tuple[list[Record], list[Reject]]:
        orders, rejects = map_orders(
            body.orders,
            account_id=self._account.account_id,
            marketplace_ids=self._account.marketplace_ids,
        )
        records: list[Record] = []
        for order in orders:
            records.append(order)
            records.extend(promo_uses(order))
        return records, rejects

    def fetch_order(self, order_id: str) -> Order | Reject:
        """One order by id (``getOrder``), e.g. to re-read an order named in a notification."""
        body = self._client.get(
            GetOrderResponse,
            f"{ORDERS_PATH}/{quote(order_id, safe='')}",
            quota=GET_ORDER_QUOTA,
            params={"includedData": INCLUDED_DATA},
        )
        return map_order(
            body.order,
            account_id=self._account.account_id,
            marketplace_ids=self._account.marketplace_ids,
        )
