"""A buyer whose every order was seen again under a stronger key leaves the store, as a full
rebuild would never know it; its customer passes to the buyer its orders went to."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from custsync.rebuild import rebuild_customers
from custsync.records import BuyerInfo, BuyerKey, Order
from custsync.store import schema
from custsync.store.db import Store, open_store, upgrade
from tests.unit.store.test_identity_store import NOW, _ingest, _order, _rates, _snapshot

LATER = NOW + timedelta(hours=1)
AUSTIN = BuyerInfo(address_line1="5 Pine Street", city="Austin", postal_code="78701")


def _seen_again(order: Order, key: str, buyer: BuyerInfo | None = None) -> Order:
    """``order`` read again later under ``key`` (its buyer's e-mail, say, shown this time;
    none: ``""``), with ``buyer`` data when given."""
    return replace(
        order,
        buyer_key=BuyerKey(key) if key else None,
        updated_at=order.updated_at + timedelta(days=1),
        source=order.source + " again",
        buyer=order.buyer if buyer is None else buyer,
    )


def _buyers(store: Store) -> dict[str, str]:
    b = schema.buyers
    with store.engine.connect() as conn:
        return {key: cid for key, cid in conn.execute(select(b.c.buyer_key, b.c.customer_id))}


def _customers(store: Store) -> dict[str, tuple[int, str | None]]:
    """Every customer standing (not merged away): its orders and name."""
    c = schema.customers
    query = select(c.c.customer_id, c.c.orders, c.c.name).where(c.c.merged_into.is_(None))
    with store.engine.connect() as conn:
        return {cid: (n, name) for cid, n, name in conn.execute(query)}


def _refresh(store: Store, orders: list[Order]) -> None:
    touched = _ingest(store, orders, LATER)
    rebuild_customers(store, touched, base_currency="USD", now=LATER)


def test_an_order_seen_again_under_a_stronger_key_takes_its_old_buyer_out(
    db_url: str, tmp_path: object
) -> None:
    weak = _order(1, "amazon", "weak:aaaa", "Ann Lee", phone="2065550142")
    shop = _order(2, "shop", "1001", "Ann Lee", phone="2065550142", day=2)
    strong = _seen_again(weak, "ann@marketplace.amazon.com")
    steps, full = open_store(db_url), open_store(f"sqlite:///{tmp_path}/full.db")
    for store in (steps, full):
        upgrade(store)
        _rates(store)
    _ingest(steps, [weak, shop], NOW)
    rebuild_customers(steps, None, base_currency="USD", now=NOW)
    (ann,) = set(_buyers(steps).values())
    _refresh(steps, [strong])
    assert _buyers(steps) == {"ann@marketplace.amazon.com": ann, "1001": ann}
    assert _customers(steps) == {ann: (2, "Ann Lee")}
    _ingest(full, [weak, shop], NOW)
    _ingest(full, [strong], LATER)
    rebuild_customers(full, None, base_currency="USD", now=NOW)
    assert _snapshot(steps) == _snapshot(full)  # keys, links, counts and policies too


def test_a_buyer_whose_only_order_moved_hands_its_customer_to_the_new_buyer(
    store: Store,
) -> None:
    weak = _order(1, "amazon", "weak:aaaa", "Ann Lee", phone="2065550142")
    _rates(store)
    _ingest(store, [weak], NOW)
    rebuild_customers(store, None, base_currency="USD", now=NOW)
    (ann,) = set(_buyers(store).values())
    _refresh(store, [_seen_again(weak, "ann@marketplace.amazon.com")])
    assert _buyers(store) == {"ann@marketplace.amazon.com": ann}
    assert _customers(store) == {ann: (1, "Ann Lee")}


def test_a_customer_left_without_buyer_or_order_goes(store: Store) -> None:
    weak = _order(1, "amazon", "weak:aaaa", "Ann Lee", phone="2065550142")
    cy = _order(2, "amazon", "cy@marketplace.amazon.com", "Cy Fox", home=AUSTIN, day=2)
    _rates(store)
    _ingest(store, [weak, cy], NOW)
    rebuild_customers(store, None, base_currency="USD", now=NOW)
    before = _buyers(store)
    _refresh(store, [_seen_again(weak, "cy@marketplace.amazon.com", buyer=cy.buyer)])
    assert _buyers(store) == {"cy@marketplace.amazon.com": before["cy@marketplace.amazon.com"]}
    assert _customers(store) == {before["cy@marketplace.amazon.com"]: (2, "Cy Fox")}


def test_an_order_read_again_without_its_buyer_still_names_its_customer(store: Store) -> None:
    ann = _order(1, "amazon", "ann@marketplace.amazon.com", "Ann Lee", phone="2065550142")
    _rates(store)
    _ingest(store, [ann], NOW)
    rebuild_customers(store, None, base_currency="USD", now=NOW)
    customer = _buyers(store)["ann@marketplace.amazon.com"]
    _refresh(store, [_seen_again(ann, "", buyer=BuyerInfo())])  # no e-mail, no recipient
    o = schema.orders
    with store.engine.connect() as conn:
        named = conn.execute(select(o.c.buyer_key, o.c.customer_id, o.c.buyer_name)).one()
    assert tuple(named) == ("ann@marketplace.amazon.com", customer, "Ann Lee")


def test_a_refresh_after_a_crash_finds_the_buyer_an_order_left(store: Store) -> None:
    """The run that moved the order stopped before its refresh: the next one is given no
    buyer, finds the new one stale, and the buyer its order left through the customer the
    order still names."""
    weak = _order(1, "amazon", "weak:aaaa", "Ann Lee", phone="2065550142")
    shop = _order(2, "shop", "1001", "Ann Lee", phone="2065550142", day=2)
    _rates(store)
    _ingest(store, [weak, shop], NOW)
    rebuild_customers(store, None, base_currency="USD", now=NOW)
    (ann,) = set(_buyers(store).values())
    _ingest(store, [_seen_again(weak, "ann@marketplace.amazon.com")], LATER)
    rebuild_customers(store, (), base_currency="USD", now=LATER + timedelta(hours=2))
    assert _buyers(store) == {"ann@marketplace.amazon.com": ann, "1001": ann}
    assert _customers(store) == {ann: (2, "Ann Lee")}
