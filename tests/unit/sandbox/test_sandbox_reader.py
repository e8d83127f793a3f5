"""An independent reader: every metric of ``metrics.csv`` re-derived from what the APIs serve
(Amazon reports, Shopify REST, eBay Fulfillment + Post-Order + Feedback) and nothing else.
Also: the same seed serves the same bytes everywhere, and the accounts file covers every kind."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from custsync.sandbox import RunningSandbox, World, start_sandbox, write_accounts_file
from custsync.sandbox import ebay_api as ebay
from custsync.settings import AmazonAccount, EbayAccount, ShopifyAccount, load_accounts
from tests.unit.sandbox.sandbox_helpers import (
    HTTP,
    FakeClock,
    access_token,
    create_report,
    download,
    ebay_pages,
    ebay_token,
    poll_report,
    report_rows,
    shopify_all_orders,
    shopify_headers,
)

AMAZON = {
    "amazon-na": ["ATVPDKIKX0DER", "A2EUQ1WTGCTBG2"],
    "amazon-eu": ["A1F83G8C2ARO7P", "A1PA6795UKMFR9"],
}
FIRST_DAY = datetime(2025, 10, 31, tzinfo=UTC)
LAST_DAY = datetime(2026, 11, 2, tzinfo=UTC)


@dataclass
class Metrics:
    orders: int = 0
    units: int = 0
    spent: Decimal = Decimal(0)
    discount: Decimal = Decimal(0)
    codes: set[str] = field(default_factory=set)
    negative_feedbacks: int = 0
    returned_units: int = 0


Derived = dict[tuple[str, str, str], Metrics]


def _windows(days: int) -> list[tuple[str, str]]:
    found, start = [], FIRST_DAY
    while start < LAST_DAY:
        end = min(start + timedelta(days=days), LAST_DAY)
        found.append((start.strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ")))
        start = end
    return found


def _amazon(url: str, person_of: dict[str, str], derived: Derived) -> None:
    for account_id, marketplaces in AMAZON.items():
        token = access_token(url, account_id)
        latest: dict[str, list[dict[str, str]]] = {}
        for start, end in _windows(30):
            grouped: dict[str, list[dict[str, str]]] = defaultdict(list)
            for row in report_rows(
                url,
                token,
                "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
                marketplaces,
                start,
                end,
            ):
                grouped[row["amazon-order-id"]].append(row)
            for order_id, rows in grouped.items():
                seen = latest.get(order_id)
                if seen is None or rows[0]["last-updated-date"] >= seen[0]["last-updated-date"]:
                    latest[order_id] = rows
        currency_of = {}
        for order_id, rows in latest.items():
            currency_of[order_id] = rows[0]["currency"]
            if rows[0]["order-status"] == "Cancelled":
                continue
            entry = derived[(person_of[order_id], account_id, rows[0]["currency"])]
            entry.orders += 1
            for row in rows:
                discount = abs(Decimal(row["item-promotion-discount"])) + abs(
                    Decimal(row["ship-promotion-discount"])
                )
                charges = sum(
                    Decimal(row[c])
                    for c in ("item-price", "item-tax", "shipping-price", "shipping-tax")
                )
                entry.units += int(row["quantity"])
                entry.spent += charges - discount
                entry.discount += discount
                entry.codes |= {c for c in row["promotion-ids"].split(",") if c}
        returns = [
            (row["Order ID"], int(row["Return quantity"]))
            for start, end in _windows(60)
            for row in report_rows(
                url, token, "GET_FLAT_FILE_RETURNS_DATA_BY_RETURN_DATE", marketplaces, start, end
            )
        ]
        returns += [
            (row["order-id"], int(row["quantity"]))
            for row in report_rows(
                url,
                token,
                "GET_FBA_FULFILLMENT_CUSTOMER_RETURNS_DATA",
                marketplaces,
                *_windows(400)[0],
            )
        ]
        for order_id, qty in returns:
            derived[(person_of[order_id], account_id, currency_of[order_id])].returned_units += qty
        for marketplace in marketplaces:
            for row in report_rows(
                url, token, "GET_SELLER_FEEDBACK_DATA", [marketplace], *_windows(400)[0]
            ):
                if int(row["Rating"]) <= 2:
                    key = (person_of[row["Order ID"]], account_id, currency_of[row["Order ID"]])
                    derived[key].negative_feedbacks += 1


def _shopify(url: str, person_of: dict[str, str], derived: Derived) -> None:
    for order in shopify_all_orders(url, {"status": "any", "limit": "250"}):
        entry = derived[(person_of[str(order["id"])], "shopify-store", order["currency"])]
        entry.returned_units += sum(
            item["quantity"] for refund in order["refunds"] for item in refund["refund_line_items"]
        )
        if order["cancelled_at"] is not None:
            continue
        entry.orders += 1
        entry.units += sum(line["quantity"] for line in order["line_items"])
        entry.spent += Decimal(order["total_price"])
        entry.discount += Decimal(order["total_discounts"])
        entry.codes |= {code["code"] for code in order["discount_codes"]}


def _ebay(url: str, person_of: dict[str, str], derived: Derived) -> None:
    token = ebay_token(url)
    since = {"filter": "lastmodifieddate:[2025-01-01T00:00:00.000Z..]", "limit": "200"}
    orders = ebay_pages(url, ebay.ORDERS_PATH, token, since, "orders")
    line_owner: dict[str, str] = {}
    for order in orders:
        entry = derived[(person_of[order["orderId"]], "ebay-us", "USD")]
        for line in order["lineItems"]:
            line_owner[f"{line['legacyItemId']}-{line['lineItemId']}"] = order["orderId"]
        if order["cancelStatus"]["cancelState"] == "CANCELED":
            continue
        pricing = order["pricingSummary"]
        entry.orders += 1
        entry.units += sum(line["quantity"] for line in order["lineItems"])
        entry.spent += Decimal(pricing["total"]["value"])
        for name in ("priceDiscount", "deliveryDiscount"):
            entry.discount += abs(Decimal(pricing.get(name, {"value": "0"})["value"]))
        entry.codes |= {
            p["promotionId"] for line in order["lineItems"] for p in line["appliedPromotions"]
        }
    for state in ("ALL_OPEN", "CLOSED"):
        for member in ebay_pages(url, ebay.RETURNS_PATH, token, {"return_state": state}, "members"):
            derived[(person_of[member["orderId"]], "ebay-us", "USD")].returned_units += member[
                "creationInfo"
            ]["item"]["returnQuantity"]
    params = {
        "user_id": "custsync_sandbox_seller",
        "feedback_type": "FEEDBACK_RECEIVED",
        "limit": "200",
    }
    for entry in ebay_pages(url, ebay.FEEDBACK_PATH, token, params, "feedbackEntries"):
        if entry["commentType"] == "NEGATIVE":
            order_id = line_owner[entry["orderLineItemSummary"]["orderLineItemId"]]
            derived[(person_of[order_id], "ebay-us", "USD")].negative_feedbacks += 1


def test_an_independent_reader_rederives_every_metric_of_every_account(
    sandbox: RunningSandbox, truth_dir: Path
) -> None:
    with (truth_dir / "orders.csv").open(encoding="utf-8") as file:
        person_of = {row["order_id"]: row["person_id"] for row in csv.DictReader(file)}
    derived: Derived = defaultdict(Metrics)
    _amazon(sandbox.url, person_of, derived)
    _shopify(sandbox.url, person_of, derived)
    _ebay(sandbox.url, person_of, derived)
    with (truth_dir / "metrics.csv").open(encoding="utf-8") as file:
        truth = list(csv.DictReader(file))
    assert {r["account_id"] for r in truth} == {
        "amazon-na",
        "amazon-eu",
        "shopify-store",
        "ebay-us",
    }
    for row in truth:
        key = (row["person_id"], row["account_id"], row["currency"])
        got = derived.get(key, Metrics())
        assert (int(row["orders"]), int(row["units"])) == (got.orders, got.units), key
        assert Decimal(row["amount_spent"]) == got.spent, key
        assert Decimal(row["discount_received"]) == got.discount, key
        assert row["promo_codes"] == ";".join(sorted(got.codes)), key
        assert int(row["negative_feedbacks"]) == got.negative_feedbacks, key
        assert int(row["returned_units"]) == got.returned_units, key
    assert set(derived) <= {(r["person_id"], r["account_id"], r["currency"]) for r in truth}
    assert sum(int(r["returned_units"]) for r in truth if r["account_id"] == "ebay-us") > 0
    assert sum(int(r["negative_feedbacks"]) for r in truth) > 0


def _capture(running: RunningSandbox) -> list[bytes]:
    """Bodies of one request to each served API (report document included)."""
    token = access_token(running.url, "amazon-eu")
    report = poll_report(
        running.url,
        token,
        create_report(running.url, token, "GET_FLAT_FILE_ALL_ORDERS_DATA_BY_LAST_UPDATE_GENERAL",
                      ["A1F83G8C2ARO7P"], "2026-10-01T00:00:00Z", "2026-10-31T00:00:00Z"),
    )  # fmt: skip
    shopify = HTTP.get(
        running.url + "/admin/api/2026-07/orders.json",
        params={"status": "any"},
        headers=shopify_headers(),
    )
    graphql = HTTP.post(
        running.url + "/admin/api/2026-07/graphql.json",
        json={"query": "{ orders(first: 5) { nodes { id name customer { email } } } }"},
        headers=shopify_headers(),
    )
    ebay_token_value = ebay_token(running.url)
    orders = HTTP.get(
        running.url + ebay.ORDERS_PATH,
        params={"filter": "lastmodifieddate:[2025-01-01T00:00:00.000Z..]"},
        headers={"Authorization": f"Bearer {ebay_token_value}"},
    )
    graphql_body = graphql.json()
    graphql_body.pop("extensions")  # throttle status reads the (shared, moving) bucket
    bodies = [
        download(running.url, token, report["reportDocumentId"]),
        shopify.content,
        repr(graphql_body).encode(),
        orders.content,
    ]
    return [body.replace(running.url.encode(), b"") for body in bodies]  # links name the port


def test_the_same_seed_serves_byte_identical_answers() -> None:
    captured = []
    for _ in range(2):
        with start_sandbox(World(21, 400), clock=FakeClock()) as running:
            captured.append(_capture(running))
    assert captured[0] == captured[1]
    with start_sandbox(World(22, 400), clock=FakeClock()) as running:
        assert _capture(running)[1] != captured[0][1]


def test_accounts_file_includes_shopify_and_ebay_when_asked(
    sandbox: RunningSandbox, tmp_path: Path
) -> None:
    default = load_accounts(write_accounts_file(sandbox, tmp_path / "a.toml"))
    assert [type(a) for a in default] == [AmazonAccount, AmazonAccount]
    everything = load_accounts(
        write_accounts_file(sandbox, tmp_path / "b.toml", include=("amazon", "shopify", "ebay"))
    )
    shop = next(a for a in everything if isinstance(a, ShopifyAccount))
    seller = next(a for a in everything if isinstance(a, EbayAccount))
    assert (shop.id, shop.endpoint) == ("shopify-store", sandbox.url)
    token = shop.access_token.resolve(shop.id, "access_token")
    answer = HTTP.get(
        f"{shop.endpoint}/admin/api/2026-07/orders.json", headers={"X-Shopify-Access-Token": token}
    )
    assert answer.status_code == 200
    assert seller.token_endpoint == sandbox.url + ebay.TOKEN_PATH
    login = HTTP.post(
        seller.token_endpoint,
        auth=(seller.client_id.resolve("e", "id"), seller.client_secret.resolve("e", "secret")),
        data={
            "grant_type": "refresh_token",
            "refresh_token": seller.refresh_token.resolve("e", "r"),
        },
    )
    assert login.status_code == 200
    with pytest.raises(ValueError, match="unknown marketplace"):
        write_accounts_file(sandbox, tmp_path / "c.toml", include=("etsy",))
