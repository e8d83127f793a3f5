"""A small, varied store for report tests: two accounts, returns, feedback, promo codes,
untrusted names (formulas, markup, any script), companies and phones, plus filler customers."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from custsync.connectors.base import Cursor, Page
from custsync.curation import merge_customers
from custsync.rebuild import rebuild_customers
from custsync.records import (
    AccountId,
    Feedback,
    Order,
    OrderStatus,
    PromoUse,
    Record,
    Return,
    StreamName,
)
from custsync.store.db import Store
from custsync.store.ingest import write_page
from custsync.store.queries import Tab, tab_rows
from custsync.store.state import register_account
from tests.support.records import order

NOW = datetime(2026, 3, 1, tzinfo=UTC)
T0 = datetime(2026, 1, 1, tzinfo=UTC)
XSS_NAME = "<img src=x onerror=\"document.title='pwned'\"></script>"


def _with_buyer(o: Order, **fields: str | None) -> Order:
    return replace(o, buyer=replace(o.buyer, **fields))


def _main_orders() -> dict[str, list[Record]]:
    return {"na": _na_records(), "eu": _eu_records()}


def _na_records() -> list[Record]:
    return [
        _with_buyer(
            order("N-1", account="na", buyer="big@x", total="300.00", purchased=T0),
            name="Élodie Dupont",
            email="Elodie@Example.com",
            phone="+1 (555) 010-2030",
            company="Dupont Frères SARL",
            city="Montréal",
            state="QC",
            country_code="CA",
        ),
        order("N-2", account="na", buyer="many@x", total="10.00", purchased=T0 + timedelta(1)),
        order(
            "N-3", account="na", buyer="many@x", total="10.00", purchased=T0 + timedelta(2), qty=2
        ),
        order(
            "N-4",
            account="na",
            buyer="many@x",
            total="10.00",
            purchased=T0 + timedelta(3),
            status=OrderStatus.CANCELLED,
        ),
        order(
            "N-5",
            account="na",
            buyer="promo@x",
            total="50.00",
            purchased=T0 + timedelta(4),
            discount="5.00",
            codes=("SAVE5",),
            name='=HYPERLINK("http://x")',
        ),
        order("N-6", account="na", buyer=None, total="5.00"),
        order("N-7", account="na", buyer="xss@x", total="1.00", name=XSS_NAME),
    ]


def _eu_records() -> list[Record]:
    return [
        _with_buyer(
            order(
                "E-1",
                account="eu",
                buyer="jp@x",
                total="80.00",
                currency="USD",
                purchased=T0 + timedelta(5),
                qty=4,
            ),
            name="山田 太郎",
            email="taro@example.jp",
            country_code="JP",
        ),
        Return(AccountId("eu"), "R-1", "E-1", "SKU-1", 2, "damaged", T0 + timedelta(9)),
        Feedback(AccountId("eu"), "E-1", 1, "late", T0 + timedelta(10)),
        PromoUse(AccountId("eu"), "E-1", "WELCOME", Decimal("2.00"), "USD"),
    ]


def seed(store: Store, *, filler: int = 0) -> None:
    """Six named customers (one order without buyer) and ``filler`` more."""
    for account in ("na", "eu"):
        register_account(store, AccountId(account), "amazon", f"Amazon {account}", now=NOW)
    pages = _main_orders()
    for i in range(filler):
        pages["na"].append(
            order(
                f"F-{i:04d}",
                account="na",
                buyer=f"filler{i:04d}@x",
                total=f"{(i * 7) % 90 + 3}.{i % 100:02d}",
                purchased=T0 + timedelta(hours=i),
                qty=i % 3 + 1,
                name=f"Filler {i:04d}",
            )
        )
    for account, records in pages.items():
        write_page(
            store,
            AccountId(account),
            StreamName.ORDERS,
            Page(records, [], Cursor()),
            run_id="seed",
            now=NOW,
        )
    rebuild_customers(store, None, base_currency="USD", now=NOW)


def seed_linked(store: Store) -> None:
    """Ann Lee as three buyers on two accounts (one phone, one house: three links), Bo Lee
    sharing her phone (a pair kept apart), and Cy and Di, two strangers an operator merged."""
    home = {"address_line1": "12 Oak Avenue", "city": "Seattle", "state": "WA"}
    people = {
        "na": [
            ("N-1", "ann@x", "Ann Lee", "206 555 0142"),
            ("N-2", "cy@x", "Cy Fox", None),
            ("N-3", "ann.lee@x", "Ann Lee", "(206) 555-0142"),
        ],
        "eu": [
            ("E-1", "1001", "Lee, Ann", "+1 206-555-0142"),
            ("E-2", "bo", "Bo Lee", "2065550142"),
            ("E-3", "dm-77", "Di Moss", None),
        ],
    }
    for account, found in people.items():
        register_account(store, AccountId(account), "amazon", None, now=NOW)
        records: list[Record] = []
        for order_id, key, name, phone in found:
            placed = order(order_id, account=account, buyer=key, purchased=T0)
            at_home = home if phone else {}
            records.append(_with_buyer(placed, name=name, phone=phone, **at_home))
        page = Page(records, [], Cursor())
        write_page(store, AccountId(account), StreamName.ORDERS, page, run_id="seed", now=NOW)
    rebuild_customers(store, None, base_currency="USD", now=NOW)
    cy, di = customer_id_named(store, "Cy Fox"), customer_id_named(store, "Di Moss")
    merge_customers(store, cy, di, base_currency="USD", now=NOW)


def customer_id_named(store: Store, name: str) -> str:
    for row in tab_rows(store, Tab.ALL):
        if row.name == name:
            return row.customer_id
    raise LookupError(name)
