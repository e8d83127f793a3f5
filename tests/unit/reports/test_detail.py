from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal

from custsync.reports.detail import Plain, detail_json, detail_lines, order_summary, timeline
from custsync.store.annotations import add_note, watch
from custsync.store.db import Store
from custsync.store.queries import LinkDetail, customer_detail
from tests.support.reports import NOW, customer_id_named, seed


def _object(value: Plain) -> dict[str, Plain]:
    assert isinstance(value, dict)
    return value


def _array(value: Plain) -> list[Plain]:
    assert isinstance(value, list)
    return value


def test_order_summary_estimates_refunds_from_returned_units(store: Store) -> None:
    seed(store)
    detail = customer_detail(store, customer_id_named(store, "山田 太郎"))
    summary = order_summary(detail.orders[0])
    # 80.00 for 4 units, 2 returned
    assert (summary.revenue, summary.returned_units, summary.refunds_estimated, summary.net) == (
        Decimal("80.00"),
        2,
        Decimal("40.00"),
        Decimal("40.00"),
    )


def test_cancelled_order_has_no_revenue(store: Store) -> None:
    seed(store)
    detail = customer_detail(store, customer_id_named(store, "Ann Buyer"))
    cancelled = next(o for o in detail.orders if o.status == "cancelled")
    assert order_summary(cancelled).revenue == 0


def test_timeline_is_newest_first_with_every_kind(store: Store) -> None:
    seed(store)
    cid = customer_id_named(store, "山田 太郎")
    add_note(store, cid, "asked for a refund", now=NOW)
    watch(store, cid, "returns", now=NOW + timedelta(minutes=1))
    events = timeline(customer_detail(store, cid))
    assert [e.kind for e in events] == ["watchlist", "note", "feedback", "return", "order"]


def test_json_and_text_views(store: Store) -> None:
    seed(store)
    detail = customer_detail(store, customer_id_named(store, "山田 太郎"))
    body = detail_json(detail, why=True)
    assert _object(body["metrics"])["amount_spent"] == "80.00"
    order = _object(_array(body["orders"])[0])
    assert _object(order["summary"])["net"] == "40.00"
    assert _object(_array(order["returns"])[0])["reason"] == "damaged"
    assert "identity_links" in body
    assert "identity_links" not in detail_json(detail)
    text = "\n".join(detail_lines(detail, why=True))
    assert "山田 太郎" in text
    assert "refunds (est.) 40.00" in text
    assert "Identity links (0)" in text


def test_contact_lines_set_placeholder_emails_apart_and_names_by_semicolons(
    store: Store,
) -> None:
    seed(store)
    detail = customer_detail(store, customer_id_named(store, "山田 太郎"))
    iba = "no-reply-amazon-iba-buyer@marketplace.amazon.com"
    relay = "9114530e2cd031f@marketplace.amazon.com"
    detail = replace(
        detail,
        row=replace(detail.row, email="olivia@mail.net"),
        alternates=replace(
            detail.alternates,
            emails=(relay, "olivia@mail.net"),
            placeholder_emails=(iba,),
            names=("Davis, Olivia", "Olivia Davis"),
            companies=("Davis LLC", "Davis, Inc."),
        ),
    )
    lines = detail_lines(detail)
    start = lines.index(f"  Email:    olivia@mail.net  (also: {relay})")
    assert lines[start + 1] == f"  Placeholder e-mails (identify no one, never matched): {iba}"
    assert "  Name(s):  Davis, Olivia; Olivia Davis" in lines
    assert "  Company:  Davis LLC; Davis, Inc." in lines


def test_why_prints_each_links_evidence_and_alternates_once(store: Store) -> None:
    seed(store)
    detail = customer_detail(store, customer_id_named(store, "山田 太郎"))
    found = {"address": "same house number", "name": "same surname", "phone": "same phone"}
    link = LinkDetail("shop:a", "shop:b", "phone", 41.5, json.dumps(found), NOW)
    place = "1 Oak Road, SW1A 1AA, London, GB"
    detail = replace(
        detail,
        row=replace(
            detail.row,
            phone="020 7946 0018",
            country="GB",
            address="1 Oak Road",
            zip="SW1A 1AA",
            city="London",
            state=None,
        ),
        alternates=replace(
            detail.alternates,
            phones=("+44 20 7946 0018", "+442079460018", "07700 900123"),
            addresses=(place, "1 Oak Rd, SW1A 1AA, London, GB"),
        ),
        links=(link,),
    )
    lines = detail_lines(detail, why=True)
    assert "  Phone:    020 7946 0018  (also: 07700 900123)" in lines
    alternates = _object(detail_json(detail)["alternates"])
    assert alternates["phones"] == ["020 7946 0018", "07700 900123"]  # each number once
    assert [x for x in lines if x.startswith("  Address:") or x.startswith("  Also at:")] == [
        f"  Address:  {place}",
        "  Also at:  1 Oak Rd, SW1A 1AA, London, GB",
    ]
    (metrics,) = [x for x in lines if x.startswith("Metrics")]
    assert metrics.startswith("Metrics (USD): 1 order, 4 units, spent 80.00,")
    assert "1 promo code, 1 negative feedback, 2 returned units;" in metrics
    start = lines.index("Identity links (1)")
    assert lines[start + 1 : start + 5] == [
        "  shop:a ↔ shop:b  rule phone, score 41.50",
        "      phone: same phone",
        "      name: same surname",
        "      address: same house number",
    ]
    assert lines[-1] == (
        "Other records of this person? The customers nearest it: "
        f"custsync customers compare {detail.row.customer_id}"
    )
