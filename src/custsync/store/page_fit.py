"""A page made fit to store, before it is written: what PostgreSQL would refuse never reaches it.

A refused row fails its whole page, and the stream's cursor stays behind that page, so every
later run would fail on it too. So: NUL characters are dropped from the records' texts, and a
record with a value longer than its column keeps (an order id of 300 characters, a currency
of four letters) becomes a reject naming the field, as a record that does not fit the API's
shape does; the rest of the page is stored. A reject's own id is cut to its column.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from sqlalchemy import Column, String, Table

from custsync.connectors.base import Page
from custsync.records import (
    Feedback,
    Order,
    PromoUse,
    Record,
    Reject,
    Return,
    StreamName,
    without_nul,
)
from custsync.store import schema


def _bounded(table: Table, names: Sequence[str]) -> tuple[tuple[str, int], ...]:
    """The ``names`` of ``table``'s columns that hold at most so many characters."""
    columns: list[Column[object]] = [table.c[name] for name in names]
    return tuple(
        (c.name, c.type.length)
        for c in columns
        if isinstance(c.type, String) and c.type.length is not None
    )


_LIMITS: dict[type[Record], tuple[tuple[str, int], ...]] = {
    Order: _bounded(schema.orders, ("order_id", "marketplace", "buyer_key", "currency")),
    Return: _bounded(schema.returns, ("return_id", "order_id", "sku")),
    Feedback: _bounded(schema.feedback, ("order_id",)),
    PromoUse: _bounded(schema.promo_uses, ("order_id", "code", "currency")),
}
_LINE_LIMITS = _bounded(schema.order_lines, ("line_id", "sku"))
_REJECT_ID_LIMIT = _bounded(schema.rejects, ("source_id",))[0][1]


def fit_page(page: Page, stream: StreamName) -> Page:
    """``page`` as the store can keep it (see the module's text)."""
    page = _without_nul(page)
    records: list[Record] = []
    rejects = list(page.rejects)
    for record in page.records:
        reason = _too_long(record)
        if reason is None:
            records.append(record)
        else:
            rejects.append(Reject(stream, _record_id(record), reason, record.source))
    rejects = [r if _fits(r) else replace(r, source_id=_cut(r.source_id)) for r in rejects]
    return replace(page, records=records, rejects=rejects)


def _too_long(record: Record) -> str | None:
    found = _longer(record, _LIMITS[type(record)], "")
    if found is None and isinstance(record, Order):
        for line in record.lines:
            if (found := _longer(line, _LINE_LIMITS, "line ")) is not None:
                break
    return found


def _longer(value: object, limits: tuple[tuple[str, int], ...], label: str) -> str | None:
    for name, limit in limits:
        text = getattr(value, name)
        if text is not None and len(text) > limit:
            return f"{label}{name} has {len(text)} characters; the store keeps at most {limit}"
    return None


def _record_id(record: Record) -> str:
    return _cut(record.return_id if isinstance(record, Return) else record.order_id) or ""


def _fits(reject: Reject) -> bool:
    return reject.source_id is None or len(reject.source_id) <= _REJECT_ID_LIMIT


def _cut(value: str | None) -> str | None:
    return None if value is None else value[:_REJECT_ID_LIMIT]


def _without_nul(page: Page) -> Page:
    """``page`` with the NUL characters dropped from its records. A record is read from its
    ``source`` alone (the records' contract), so only those whose source holds one, as it is
    or escaped in JSON, are looked through."""
    records = [without_nul(r) if _has_nul(r.source) else r for r in page.records]
    rejects = [without_nul(r) if _has_nul(r.payload) else r for r in page.rejects]
    return replace(page, records=records, rejects=rejects)


def _has_nul(source: str) -> bool:
    return "\x00" in source or "\\u0000" in source
