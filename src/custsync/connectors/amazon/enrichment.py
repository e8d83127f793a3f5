"""Buyer identity for report-backfilled orders: ``searchOrders`` over their time range, paid
with idle quota only.

The orders report has no buyer e-mail and no recipient name, so a report backfill stores
complete orders, lines and amounts with no buyer key. ``searchOrders`` (with BUYER and
RECIPIENT data) has them: the stream re-reads the backfilled range in 30-day ``lastUpdated``
windows, but only while the searchOrders bucket holds more than ``RESERVE`` tokens, never
waiting for one, so it never slows down an incremental read. The store keeps the strongest key
an order was seen with (``store.ingest``): the re-read orders gain their buyer, nothing else
changes. At the published rate (one request per three minutes after a burst of 20) a year of
50,000 orders gains its buyers in about a day of scheduled runs; a sandbox at a high
``time_scale`` does it at once.

State in ``Cursor.extra``: ``enrich_from`` (read up to here), ``enrich_to`` (end of the
backfilled range) and ``enrich_token`` (the next page of the current window). While it is
pending, the stream also remembers what the searchOrders bucket held (``quota_tokens`` at
``quota_at``): each run builds a new client whose bucket starts full, and without that memory
the first enrichment pages of a run would spend tokens the API no longer has (429s).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

FROM_KEY, TO_KEY, TOKEN_KEY = "enrich_from", "enrich_to", "enrich_token"
TOKENS_KEY, TOKENS_AT_KEY = "quota_tokens", "quota_at"
KEYS = (FROM_KEY, TO_KEY, TOKEN_KEY, TOKENS_KEY, TOKENS_AT_KEY)
WINDOW = timedelta(days=30)
RESERVE = 2.0  # searchOrders tokens left for the next incremental read


@dataclass(frozen=True, slots=True)
class Enrichment:
    start: datetime
    end: datetime
    token: str | None = None

    @property
    def window_end(self) -> datetime:
        return min(self.start + WINDOW, self.end)

    def covering(self, start: datetime, end: datetime) -> Enrichment:
        """This range widened to cover ``start..end`` too (a new backfill)."""
        return replace(self, start=min(self.start, start), end=max(self.end, end))

    def after_page(self, next_token: str | None) -> Enrichment | None:
        if next_token is not None:
            return replace(self, token=next_token)
        if self.window_end >= self.end:
            return None
        return Enrichment(self.window_end, self.end)

    def to_extra(self) -> dict[str, str]:
        extra = {FROM_KEY: self.start.isoformat(), TO_KEY: self.end.isoformat()}
        if self.token is not None:
            extra[TOKEN_KEY] = self.token
        return extra

    @classmethod
    def from_extra(cls, extra: Mapping[str, str]) -> Enrichment | None:
        start, end = extra.get(FROM_KEY), extra.get(TO_KEY)
        if not start or not end:
            return None
        return cls(datetime.fromisoformat(start), datetime.fromisoformat(end), extra.get(TOKEN_KEY))


def cover(existing: Enrichment | None, start: datetime, end: datetime) -> Enrichment:
    return Enrichment(start, end) if existing is None else existing.covering(start, end)


def without_enrichment(extra: Mapping[str, str]) -> dict[str, str]:
    return {key: value for key, value in extra.items() if key not in KEYS}


def quota_memory(tokens: float, at: datetime) -> dict[str, str]:
    return {TOKENS_KEY: f"{tokens:.4f}", TOKENS_AT_KEY: at.isoformat()}


def remembered_tokens(extra: Mapping[str, str], now: datetime, rate_per_s: float) -> float | None:
    """Tokens the bucket holds now by the memory of the last run (refilled since)."""
    tokens, at = extra.get(TOKENS_KEY), extra.get(TOKENS_AT_KEY)
    if not tokens or not at:
        return None
    elapsed_s = max(0.0, (now - datetime.fromisoformat(at)).total_seconds())
    return float(tokens) + elapsed_s * rate_per_s
