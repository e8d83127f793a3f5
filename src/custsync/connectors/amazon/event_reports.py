"""Returns and feedback report rows → ``Return`` / ``Feedback`` records (pure).

Return ids are stable across re-reads of overlapping windows: MFN returns by Amazon RMA id and
SKU, FBA returns (which have no return id) by order, SKU, return date and license plate; a
``#n`` suffix tells identical rows of one file apart. Returns carry no buyer: the store joins
them to buyers through the order id.

Feedback dates are written per marketplace (``10/20/23`` in the US, ``20.10.23`` in Germany,
``23/10/20`` in Japan): they are parsed with the marketplace's format, never guessed; a
marketplace without a known format makes its rows rejects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime

from custsync.connectors.amazon.flatfile import Row
from custsync.errors import PayloadError
from custsync.records import AccountId, Feedback, Record, Reject, Return, StreamName

FEEDBACK_DATE_FORMATS: Mapping[str, str] = {
    "ATVPDKIKX0DER": "%m/%d/%y",  # US
    "A2EUQ1WTGCTBG2": "%d/%m/%y",  # CA
    "A1AM78C64UM0Y8": "%d/%m/%y",  # MX
    "A2Q3Y263D00KWC": "%d/%m/%y",  # BR
    "A1F83G8C2ARO7P": "%d/%m/%y",  # UK
    "A1PA6795UKMFR9": "%d.%m.%y",  # DE
    "A13V1IB3VIYZZH": "%d/%m/%y",  # FR
    "APJ6JRA9NG5V4": "%d/%m/%y",  # IT
    "A1RKKUPIHCS9HS": "%d/%m/%y",  # ES
    "A1805IZSGTT6HS": "%d/%m/%y",  # NL
    "A2NODRKZP88ZB9": "%Y-%m-%d",  # SE
    "A1C3SOZRARQ6R3": "%d/%m/%y",  # PL
    "AMEN7PMS3EDWL": "%d/%m/%y",  # BE
    "A28R8C7NBKEWEA": "%d/%m/%y",  # IE
    "A33AVAJ2PDY3EV": "%d/%m/%y",  # TR
    "A2VIGQ35RCS4UG": "%d/%m/%y",  # AE
    "A17E79C6D8DWNP": "%d/%m/%y",  # SA
    "ARBP9OOSHTCHU": "%d/%m/%y",  # EG
    "A21TJRUUN4KGV": "%d/%m/%y",  # IN
    "A1VC38T7YXB528": "%y/%m/%d",  # JP
    "A39IBJ37TRP1C6": "%d/%m/%y",  # AU
    "A19VAU5U5O7RUS": "%d/%m/%y",  # SG
}

RowMapper = Callable[[Row], Record]
_DAY_MONTH_YEAR = re.compile(r"(\d{1,2})-([A-Za-z]{3})-(\d{4})")
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"),
        start=1,
    )
}


def map_mfn_returns(
    rows: Iterable[Row], *, account_id: AccountId
) -> tuple[list[Record], list[Reject]]:
    """``GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE``: one return per row."""
    ids = _Ids()

    def to_return(row: Row) -> Record:
        order_id = _required(row, "order-id")
        sku = row.get("merchant-sku") or row.get("asin") or None
        rma = row.get("amazon-rma-id") or order_id
        return Return(
            account_id=account_id,
            return_id=ids.unique(f"{rma}:{sku or ''}"),
            order_id=order_id,
            sku=sku,
            qty=_count(row, "return-quantity"),
            reason=row.get("return-reason") or None,
            returned_at=parse_report_time(row.get("return-request-date"), "return-request-date"),
            source=_source(row),
        )

    return _map_rows(rows, StreamName.RETURNS, "order-id", to_return)


def map_fba_returns(
    rows: Iterable[Row], *, account_id: AccountId
) -> tuple[list[Record], list[Reject]]:
    """``GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA``: one return per row (no return id)."""
    ids = _Ids()

    def to_return(row: Row) -> Record:
        order_id = _required(row, "order-id")
        sku = row.get("sku") or row.get("asin") or None
        returned = row.get("return-date")
        plate = row.get("license-plate-number")
        return Return(
            account_id=account_id,
            return_id=ids.unique(f"fba:{order_id}:{sku or ''}:{returned}:{plate}"),
            order_id=order_id,
            sku=sku,
            qty=_count(row, "quantity"),
            reason=row.get("reason") or None,
            returned_at=parse_report_time(returned, "return-date"),
            source=_source(row),
        )

    return _map_rows(rows, StreamName.RETURNS, "order-id", to_return)


def map_feedback(
    rows: Iterable[Row], *, account_id: AccountId, marketplace_id: str
) -> tuple[list[Record], list[Reject]]:
    """``GET_SELLER_FEEDBACK_DATA`` of one marketplace (its date format)."""
    date_format = FEEDBACK_DATE_FORMATS.get(marketplace_id)

    def to_feedback(row: Row) -> Record:
        if date_format is None:
            raise PayloadError(f"no known feedback date format for marketplace {marketplace_id}")
        rating = _count(row, "rating")
        if not 1 <= rating <= 5:
            raise PayloadError(f"line {row.line}: rating {rating} is not 1..5")
        return Feedback(
            account_id=account_id,
            order_id=_required(row, "order-id"),
            rating=rating,
            comment=row.get("comments") or None,
            left_at=_feedback_date(row.get("date"), date_format, row.line),
            source=_source(row),
        )

    return _map_rows(rows, StreamName.FEEDBACK, "order-id", to_feedback)


def parse_report_time(value: str, column: str) -> datetime:
    """ISO 8601 (a timestamp with its zone, or a date: midnight UTC), or the merchant returns
    file's ``02-Jan-2026`` (English month abbreviations); nothing else."""
    if not value:
        raise PayloadError(f"{column} is missing")
    day_month_year = _DAY_MONTH_YEAR.fullmatch(value)
    if day_month_year:
        day, month, year = day_month_year.groups()
        if month.casefold() not in _MONTHS:
            raise PayloadError(f"{column} has an unknown month")
        try:
            return datetime(int(year), _MONTHS[month.casefold()], int(day), tzinfo=UTC)
        except ValueError:
            raise PayloadError(f"{column} is not a calendar date") from None
    try:
        parsed = datetime.fromisoformat(value.replace(" ", "T", 1) if " " in value else value)
    except ValueError:
        raise PayloadError(f"{column} is not an ISO 8601 date or timestamp") from None
    if parsed.tzinfo is None:
        if len(value) > 10:
            raise PayloadError(f"{column} has a time but no time zone")
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def _feedback_date(value: str, date_format: str, line: int) -> datetime:
    try:
        return datetime.strptime(value, date_format).replace(tzinfo=UTC)
    except ValueError:
        raise PayloadError(f"line {line}: date does not match {date_format}") from None


def _map_rows(
    rows: Iterable[Row], stream: StreamName, id_column: str, to_record: RowMapper
) -> tuple[list[Record], list[Reject]]:
    records: list[Record] = []
    rejects: list[Reject] = []
    for row in rows:
        try:
            records.append(to_record(row))
        except PayloadError as exc:
            reason = f"{stream.value} report line {row.line}: {exc}"
            rejects.append(Reject(stream, row.get(id_column) or None, reason, _source(row)))
    return records, rejects


class _Ids:
    """Unique ids within one file: the second identical base gets ``#2``."""

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def unique(self, base: str) -> str:
        count = self._seen.get(base, 0) + 1
        self._seen[base] = count
        return base if count == 1 else f"{base}#{count}"


def _required(row: Row, column: str) -> str:
    value = row.get(column)
    if not value:
        raise PayloadError(f"no {column}")
    return value


def _count(row: Row, column: str) -> int:
    try:
        return int(row.get(column))
    except ValueError:
        raise PayloadError(f"{column} is not a whole number") from None


def _source(row: Row) -> str:
    return json.dumps(dict(row.fields), sort_keys=True, ensure_ascii=False)
