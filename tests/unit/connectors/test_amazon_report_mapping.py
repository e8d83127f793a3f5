"""Flat-file report rows → canonical records (pure mapping)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from custsync.connectors.amazon.event_reports import (
    FEEDBACK_DATE_FORMATS,
    map_fba_returns,
    map_feedback,
    map_mfn_returns,
    parse_report_time,
)
from custsync.connectors.amazon.flatfile import normalize_header, parse_rows
from custsync.connectors.amazon.mapping import weak_key
from custsync.connectors.amazon.order_report import map_order_report
from custsync.connectors.amazon.regions import MARKETPLACES
from custsync.errors import PayloadError
from custsync.records import (
    AccountId,
    Feedback,
    Order,
    OrderStatus,
    PromoUse,
    Reject,
    Return,
    StreamName,
)
from tests.unit.connectors.connector_fakes import tsv
from tests.unit.connectors.test_amazon_report_streams import ORDER_HEADER, order_row

ACCT = AccountId("amazon-na")
MARKETS = ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"]


def map_orders(text: str) -> tuple[list[Order], list[PromoUse], list[Reject]]:
    records, rejects = map_order_report(parse_rows(text), account_id=ACCT, marketplace_ids=MARKETS)
    orders = [r for r in records if isinstance(r, Order)]
    promos = [r for r in records if isinstance(r, PromoUse)]
    return orders, promos, list(rejects)


def with_column(header: list[str], row: list[str], column: str, value: str) -> None:
    row[header.index(column)] = value


def test_headers_are_normalized_across_report_styles() -> None:
    assert normalize_header("Order ID") == "order-id"
    assert normalize_header(" amazon-order-id ") == "amazon-order-id"
    assert normalize_header("Return_Request Date") == "return-request-date"


def test_rows_of_one_order_become_one_order_with_a_line_per_row() -> None:
    text = tsv(
        ORDER_HEADER,
        order_row("111-1", "MUG-1", 2, "29.98", "SPRING15", "-4.50"),
        order_row("111-2", "TEA-1", 1, "12.99"),
        order_row("111-1", "TEA-1", 1, "12.99"),
    )
    orders, promos, rejects = map_orders(text)
    assert rejects == []
    assert [o.order_id for o in orders] == ["111-1", "111-2"]
    first = orders[0]
    assert [
        (ln.line_id, ln.sku, ln.qty, ln.unit_price, ln.promo_discount, ln.promo_codes)
        for ln in first.lines
    ] == [
        ("MUG-1", "MUG-1", 2, Decimal("14.99"), Decimal("4.50"), ("SPRING15",)),
        ("TEA-1", "TEA-1", 1, Decimal("12.99"), Decimal(0), ()),
    ]
    assert first.total == Decimal("29.98") + Decimal("12.99") + 2 * (1 + Decimal("4.99")) - Decimal(
        "4.50"
    )
    assert (first.currency, first.marketplace, first.status) == (
        "USD",
        "ATVPDKIKX0DER",
        OrderStatus.SHIPPED,
    )
    assert first.purchased_at == datetime(2026, 1, 10, 10, tzinfo=UTC)
    assert first.updated_at == datetime(2026, 1, 12, 8, tzinfo=UTC)
    assert (first.buyer.city, first.buyer.postal_code, first.buyer.country_code) == (
        "Austin",
        "78701",
        "US",
    )
    assert first.buyer_key is None
    assert [(p.order_id, p.code, p.discount, p.currency) for p in promos] == [
        ("111-1", "SPRING15", Decimal("4.50"), "USD")
    ]


def test_the_same_sku_twice_in_an_order_gets_two_lines() -> None:
    text = tsv(
        ORDER_HEADER,
        order_row("111-1", "MUG-1", 1, "14.99"),
        order_row("111-1", "MUG-1", 1, "14.99"),
    )
    orders, _, _ = map_orders(text)
    assert [line.line_id for line in orders[0].lines] == ["MUG-1", "MUG-1#2"]


def test_shipping_promotion_and_several_promotion_ids() -> None:
    row = order_row("111-1", "MUG-1", 1, "14.99", "FREESHIP, LOYAL5", "")
    with_column(ORDER_HEADER, row, "ship-promotion-discount", "-4.99")
    orders, promos, _ = map_orders(tsv(ORDER_HEADER, row))
    assert orders[0].lines[0].promo_codes == ("FREESHIP", "LOYAL5")
    assert orders[0].discount == Decimal("4.99")
    assert [(p.code, p.discount) for p in promos] == [
        ("FREESHIP", Decimal("4.99")),
        ("LOYAL5", Decimal(0)),
    ]


def test_pending_order_without_prices_has_a_zero_total_in_the_marketplace_currency() -> None:
    row = order_row("701-1", "MUG-1", 1, "")
    for column in ("item-tax", "shipping-price", "shipping-tax", "currency"):
        with_column(ORDER_HEADER, row, column, "")
    with_column(ORDER_HEADER, row, "order-status", "Pending")
    with_column(ORDER_HEADER, row, "sales-channel", "Amazon.ca")
    orders, _, _ = map_orders(tsv(ORDER_HEADER, row))
    assert (orders[0].status, orders[0].total, orders[0].currency) == (
        OrderStatus.PENDING,
        Decimal(0),
        "CAD",
    )
    assert orders[0].marketplace == "A2EUQ1WTGCTBG2"


def test_unknown_sales_channel_goes_by_the_currency() -> None:
    row = order_row("701-1", "MUG-1", 1, "9.99")
    with_column(ORDER_HEADER, row, "sales-channel", "Non-Amazon")
    with_column(ORDER_HEADER, row, "currency", "CAD")
    orders, _, _ = map_orders(tsv(ORDER_HEADER, row))
    assert orders[0].marketplace == "A2EUQ1WTGCTBG2"


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("Pending", OrderStatus.PENDING),
        ("Unshipped", OrderStatus.UNSHIPPED),
        ("PartiallyShipped", OrderStatus.PARTIALLY_SHIPPED),
        ("Shipped", OrderStatus.SHIPPED),
        ("Cancelled", OrderStatus.CANCELLED),
        ("Canceled", OrderStatus.CANCELLED),
        ("CANCELLED", OrderStatus.CANCELLED),
        ("Pending - Waiting for Pick Up", OrderStatus.PENDING),
    ],
)
def test_order_statuses(status: str, expected: OrderStatus) -> None:
    row = order_row("111-1", "MUG-1", 1, "9.99")
    with_column(ORDER_HEADER, row, "order-status", status)
    orders, _, _ = map_orders(tsv(ORDER_HEADER, row))
    assert orders[0].status is expected


@pytest.mark.parametrize(
    ("column", "value", "reason"),
    [
        ("order-status", "Teleported", "unknown order-status"),
        ("quantity", "two", "quantity is not a whole number"),
        ("item-price", "12,99", "item-price is not a number"),
        ("last-updated-date", "2026-01-12 08:00:00", "no time zone"),
    ],
)
def test_a_bad_row_rejects_its_whole_order_and_keeps_the_rows(
    column: str, value: str, reason: str
) -> None:
    bad = order_row("111-1", "MUG-1", 1, "9.99")
    with_column(ORDER_HEADER, bad, column, value)
    text = tsv(
        ORDER_HEADER, bad, order_row("111-1", "TEA-1", 1, "1.00"), order_row("111-2", "X", 1, "1")
    )
    orders, _, rejects = map_orders(text)
    assert [o.order_id for o in orders] == ["111-2"]
    assert len(rejects) == 1
    reject = rejects[0]
    assert reject.source_id == "111-1"
    assert reason in reject.reason
    assert "TEA-1" in reject.payload
    assert reject.stream is StreamName.ORDERS


def test_row_without_order_id_is_rejected() -> None:
    _, _, rejects = map_orders(tsv(ORDER_HEADER, order_row("", "MUG-1", 1, "9.99")))
    assert "no amazon-order-id" in rejects[0].reason


def test_buyer_columns_when_present_give_keys_by_the_usual_rules() -> None:
    header = [*ORDER_HEADER, "buyer-email", "recipient-name"]
    strong = [*order_row("111-1", "A", 1, "1"), "Abc@Marketplace.Amazon.com", "Ann Lee"]
    relay = [
        *order_row("111-2", "A", 1, "1"),
        "no-reply-amazon-iba-buyer@marketplace.amazon.com",
        "Bo Ek",
    ]
    hidden = [*order_row("111-3", "A", 1, "1"), "", ""]
    orders, _, _ = map_orders(tsv(header, strong, relay, hidden))
    assert [o.buyer_key for o in orders] == [
        "abc@marketplace.amazon.com",
        weak_key("Bo Ek", "78701", "US"),
        None,
    ]


MFN_HEADER = [
    "Order ID",
    "Return request date",
    "Amazon RMA ID",
    "Merchant SKU",
    "ASIN",
    "Return quantity",
    "Return Reason",
]


def test_mfn_returns_ids_are_stable_and_unique_per_file() -> None:
    text = tsv(
        MFN_HEADER,
        ["111-1", "2026-01-20", "RMA1", "MUG-1", "B1", "1", "DEFECTIVE"],
        ["111-1", "2026-01-20", "RMA1", "MUG-1", "B1", "1", "DEFECTIVE"],
        ["111-2", "2026-01-21T10:00:00Z", "", "", "B2", "2", ""],
    )
    records, rejects = map_mfn_returns(parse_rows(text), account_id=ACCT)
    assert rejects == []
    returns = [r for r in records if isinstance(r, Return)]
    assert returns == records
    assert [(r.return_id, r.order_id, r.sku, r.qty, r.reason, r.returned_at) for r in returns] == [
        ("RMA1:MUG-1", "111-1", "MUG-1", 1, "DEFECTIVE", datetime(2026, 1, 20, tzinfo=UTC)),
        ("RMA1:MUG-1#2", "111-1", "MUG-1", 1, "DEFECTIVE", datetime(2026, 1, 20, tzinfo=UTC)),
        ("111-2:B2", "111-2", "B2", 2, None, datetime(2026, 1, 21, 10, tzinfo=UTC)),
    ]
    again, _ = map_mfn_returns(parse_rows(text), account_id=ACCT)
    assert again == records


def test_bad_return_rows_become_rejects() -> None:
    text = tsv(
        MFN_HEADER,
        ["", "2026-01-20", "RMA1", "MUG-1", "B1", "1", "X"],
        ["111-1", "20/01/2026", "RMA2", "MUG-1", "B1", "1", "X"],
        ["111-1", "2026-01-20", "RMA3", "MUG-1", "B1", "one", "X"],
    )
    records, rejects = map_mfn_returns(parse_rows(text), account_id=ACCT)
    assert records == []
    assert [r.stream for r in rejects] == [StreamName.RETURNS] * 3
    assert ["no order-id" in rejects[0].reason, "ISO 8601" in rejects[1].reason] == [True, True]
    assert rejects[2].source_id == "111-1"


def test_fba_returns_have_ids_from_order_sku_date_and_plate() -> None:
    header = [
        "return-date",
        "order-id",
        "sku",
        "asin",
        "quantity",
        "reason",
        "license-plate-number",
    ]
    text = tsv(
        header, ["2026-01-21T09:30:00+01:00", "112-2", "MUG-1", "B1", "1", "DAMAGED", "LPN1"]
    )
    records, _ = map_fba_returns(parse_rows(text), account_id=ACCT)
    assert isinstance(records[0], Return)
    assert records[0].return_id == "fba:112-2:MUG-1:2026-01-21T09:30:00+01:00:LPN1"
    assert records[0].returned_at == datetime(2026, 1, 21, 8, 30, tzinfo=UTC)


DATES = {
    "%m/%d/%y": "1/13/26",
    "%d/%m/%y": "13/1/26",
    "%d.%m.%y": "13.1.26",
    "%y/%m/%d": "26/1/13",
    "%Y-%m-%d": "2026-01-13",
}


@pytest.mark.parametrize(("marketplace_id", "date_format"), sorted(FEEDBACK_DATE_FORMATS.items()))
def test_feedback_dates_are_parsed_by_marketplace(marketplace_id: str, date_format: str) -> None:
    header = ["Date", "Rating", "Comments", "Your Response", "Order ID", "Rater Email"]
    text = tsv(header, [DATES[date_format], "3", "OK.", "", "111-1", "x@y"])
    records, rejects = map_feedback(
        parse_rows(text), account_id=ACCT, marketplace_id=marketplace_id
    )
    assert rejects == []
    assert isinstance(records[0], Feedback)
    assert records[0].left_at == datetime(2026, 1, 13, tzinfo=UTC)


def test_every_known_marketplace_has_a_feedback_date_format() -> None:
    missing = sorted(set(MARKETPLACES) - set(FEEDBACK_DATE_FORMATS) - {"AE08WJ6YKNBMC"})
    assert missing == []


def test_us_date_in_a_uk_report_is_not_guessed() -> None:
    header = ["Date", "Rating", "Comments", "Order ID"]
    text = tsv(header, ["1/13/26", "1", "", "202-1"], ["13/1/26", "1", "", "202-2"])
    records, rejects = map_feedback(
        parse_rows(text), account_id=ACCT, marketplace_id="A1F83G8C2ARO7P"
    )
    assert [r.order_id for r in records] == ["202-2"]
    assert rejects[0].source_id == "202-1"


def test_feedback_of_an_unknown_marketplace_and_bad_ratings_are_rejects() -> None:
    header = ["Date", "Rating", "Comments", "Order ID"]
    text = tsv(header, ["1/13/26", "1", "", "1-1"])
    _, rejects = map_feedback(parse_rows(text), account_id=ACCT, marketplace_id="AE08WJ6YKNBMC")
    assert "no known feedback date format" in rejects[0].reason
    text = tsv(header, ["1/13/26", "7", "", "1-1"])
    _, rejects = map_feedback(parse_rows(text), account_id=ACCT, marketplace_id="ATVPDKIKX0DER")
    assert "not 1..5" in rejects[0].reason


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-01-20", datetime(2026, 1, 20, tzinfo=UTC)),
        ("2026-01-20T10:00:00Z", datetime(2026, 1, 20, 10, tzinfo=UTC)),
        ("2026-01-20T10:00:00-08:00", datetime(2026, 1, 20, 18, tzinfo=UTC)),
        ("2026-01-20 10:00:00+00:00", datetime(2026, 1, 20, 10, tzinfo=UTC)),
        ("02-Jan-2026", datetime(2026, 1, 2, tzinfo=UTC)),
        ("2-dec-2025", datetime(2025, 12, 2, tzinfo=UTC)),
    ],
)
def test_report_times(value: str, expected: datetime) -> None:
    assert parse_report_time(value, "x") == expected


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("2026-01-20T10:00:00", "no time zone"),
        ("02-Foo-2026", "unknown month"),
        ("31-Feb-2026", "not a calendar date"),
        ("01/02/2026", "not an ISO 8601"),
    ],
)
def test_report_times_that_are_refused(value: str, reason: str) -> None:
    with pytest.raises(PayloadError, match=reason):
        parse_report_time(value, "x")
