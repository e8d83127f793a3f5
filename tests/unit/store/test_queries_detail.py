from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import insert, select, update

from custsync.curation import import_contacts
from custsync.errors import StoreError
from custsync.records import AccountId
from custsync.store import schema
from custsync.store.annotations import add_note, watch
from custsync.store.db import Store
from custsync.store.queries import customer_detail, feed_customers
from tests.support.reports import NOW, customer_id_named, seed


@pytest.fixture
def seeded(store: Store) -> Store:
    seed(store)
    return store


def test_detail_has_orders_lines_codes_returns_and_feedback(seeded: Store) -> None:
    detail = customer_detail(seeded, customer_id_named(seeded, "山田 太郎"))
    (order,) = detail.orders
    assert (order.order_id, order.status, order.total, order.units) == (
        "E-1",
        "shipped",
        Decimal("80.00"),
        4,
    )
    assert order.promo_codes == ("WELCOME",)
    assert [(r.return_id, r.qty, r.reason) for r in order.returns] == [("R-1", 2, "damaged")]
    assert order.feedback is not None
    assert order.feedback.rating == 1
    assert [line.sku for line in order.lines] == ["SKU-1"]
    assert [a.account_id for a in detail.accounts] == ["eu"]
    assert detail.alternates.emails == ("taro@example.jp",)


def test_alternates_include_what_imported_contact_rows_say(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text(
        "id,name,email,phone,zip,country\n"
        "1,Ann Lee,ann@leefamily.net,(206) 555-0142,98101,US\n"
        "2,Lee Ann,ann.lee@fairmail.org,+1 206 555 0142,98101,US\n",
        encoding="utf-8",
    )
    import_contacts(store, path, AccountId("fair"), {}, base_currency="USD", now=NOW)
    with store.engine.connect() as conn:
        (customer_id,) = set(conn.execute(select(schema.buyers.c.customer_id)).scalars())
    detail = customer_detail(store, customer_id)
    assert [b.buyer_key for b in detail.buyers] == ["1", "2"]
    assert detail.alternates.names == ("Ann Lee", "Lee Ann")
    assert detail.alternates.emails == ("ann.lee@fairmail.org", "ann@leefamily.net")
    assert detail.alternates.phones == ("(206) 555-0142", "+1 206 555 0142")
    assert detail.alternates.addresses == ("98101, US",)


def test_placeholder_emails_stand_apart_and_a_business_of_record_is_nobodys_company(
    store: Store, tmp_path: Path
) -> None:
    iba = "no-reply-amazon-iba-buyer@marketplace.amazon.com"
    path = tmp_path / "list.csv"
    path.write_text(
        "id,name,email,phone,company,zip,country\n"
        "1,Ann Lee,ann@leefamily.net,(206) 555-0142,Lee GmbH,98101,US\n"
        f"2,Ann Lee,{iba},(206) 555-0142,Amazon.com Services LLC,98101,US\n"
        "3,Ann Lee,none@example.com,(206) 555-0142,AMAZON BUSINESS EU SARL,98101,US\n",
        encoding="utf-8",
    )
    import_contacts(store, path, AccountId("fair"), {}, base_currency="USD", now=NOW)
    with store.engine.connect() as conn:
        (customer_id,) = set(conn.execute(select(schema.buyers.c.customer_id)).scalars())
    alternates = customer_detail(store, customer_id).alternates
    assert alternates.emails == ("ann@leefamily.net",)
    assert alternates.placeholder_emails == (iba, "none@example.com")
    assert alternates.companies == ("Lee GmbH",)


def test_detail_has_notes_newest_first_watch_state_and_links(seeded: Store) -> None:
    cid = customer_id_named(seeded, "Élodie Dupont")
    add_note(seeded, cid, "first", now=NOW)
    add_note(seeded, cid, "second", now=NOW + timedelta(hours=1))
    watch(seeded, cid, "chargeback", now=NOW)
    with seeded.begin() as conn:
        conn.execute(
            insert(schema.identity_links).values(
                customer_id=cid,
                buyer_a="na/big@x",
                buyer_b="eu/other@x",
                rule="email",
                score=1.0,
                evidence="same email",
                created_at=NOW,
            )
        )
    detail = customer_detail(seeded, cid)
    assert [n.body for n in detail.notes] == ["second", "first"]
    assert detail.watch is not None
    assert detail.watch.reason == "chargeback"
    assert [(link.rule, link.evidence, link.is_link) for link in detail.links] == [
        ("email", "same email", True)
    ]
    assert detail.alternates.companies == ("Dupont Frères SARL",)
    assert detail.alternates.phones == ("+1 (555) 010-2030",)


def test_merged_id_shows_the_surviving_customer(seeded: Store) -> None:
    survivor = customer_id_named(seeded, "Élodie Dupont")
    gone = customer_id_named(seeded, "山田 太郎")
    with seeded.begin() as conn:
        conn.execute(
            update(schema.customers)
            .where(schema.customers.c.customer_id == gone)
            .values(merged_into=survivor)
        )
    detail = customer_detail(seeded, gone)
    assert (detail.asked_id, detail.row.customer_id) == (gone, survivor)


def test_unknown_customer_is_a_store_error(seeded: Store) -> None:
    with pytest.raises(StoreError, match="no customer 'nope'"):
        customer_detail(seeded, "nope")


def test_feed_groups_each_customers_orders_oldest_first(seeded: Store) -> None:
    cid = customer_id_named(seeded, "Ann Buyer")  # many@x: two orders and a cancelled one
    watch(seeded, cid, None, now=NOW)
    feed = {c.row.customer_id: c for c in feed_customers(seeded)}
    assert list(feed) == sorted(feed)
    many = feed[cid]
    assert [(o.order_id, o.status) for o in many.orders] == [
        ("N-2", "shipped"),
        ("N-3", "shipped"),
        ("N-4", "cancelled"),
    ]
    assert many.watched_at == NOW
    jp = feed[customer_id_named(seeded, "山田 太郎")]
    (order,) = jp.orders
    assert (order.returned_units, order.rating, order.promo_codes) == (2, 1, ("WELCOME",))
    elodie = feed[customer_id_named(seeded, "Élodie Dupont")]
    assert elodie.company == "Dupont Frères SARL"
    assert elodie.watched_at is None
