"""A customer that stops standing on its own (merged into another, or left by a buyer whose
orders went to another buyer's key) hands its notes and watchlist entry to the customer that
took it over, and its id keeps pointing there."""

from __future__ import annotations

from sqlalchemy import select

from custsync.curation import merge_customers
from custsync.rebuild import rebuild_customers
from custsync.store import schema
from custsync.store.annotations import add_note, list_notes, resolve_customer, watch, watchlist
from custsync.store.db import Store
from tests.unit.store.test_gone_buyers import AUSTIN, _buyers, _customers, _refresh, _seen_again
from tests.unit.store.test_identity_store import NOW, _ingest, _order, _rates, _snapshot

E_MAIL = "ann@marketplace.amazon.com"


def _stored(store: Store) -> None:
    _rates(store)
    weak = _order(1, "amazon", "weak:aaaa", "Ann Lee")
    known = _order(2, "amazon", E_MAIL, "Ann Lee", home=AUSTIN, day=2)  # a namesake elsewhere
    _ingest(store, [weak, known], NOW)
    rebuild_customers(store, None, base_currency="USD", now=NOW)


def _order_customers(store: Store) -> dict[str, str | None]:
    o = schema.orders
    with store.engine.connect() as conn:
        return dict(conn.execute(select(o.c.order_id, o.c.customer_id)).all())


def test_a_customer_whose_only_buyer_moved_to_another_customer_merges_into_it(
    store: Store,
) -> None:
    _stored(store)
    before = _buyers(store)
    gone, taker = before["weak:aaaa"], before[E_MAIL]
    assert gone != taker
    watch(store, gone, "returns everything", now=NOW)
    add_note(store, gone, "called twice", now=NOW)
    _refresh(store, [_seen_again(_order(1, "amazon", "weak:aaaa", "Ann Lee"), E_MAIL)])
    assert _buyers(store) == {E_MAIL: taker}
    assert _customers(store) == {taker: (2, "Ann Lee")}
    assert set(_order_customers(store).values()) == {taker}
    with store.engine.connect() as conn:
        assert resolve_customer(conn, gone) == taker
    assert [(e.customer_id, e.name, e.reason) for e in watchlist(store)] == [
        (taker, "Ann Lee", "returns everything")
    ]
    assert [n.body for n in list_notes(store, taker)] == ["called twice"]
    snapshot = _snapshot(store)
    rebuild_customers(store, None, base_currency="USD", now=NOW)
    assert _snapshot(store) == snapshot


def test_merged_customers_hand_their_notes_and_watchlist_reasons_over(store: Store) -> None:
    _stored(store)
    first, second = sorted(set(_buyers(store).values()))
    watch(store, first, "chargebacks", now=NOW)
    watch(store, second, "returns everything", now=NOW)
    add_note(store, second, "called twice", now=NOW)
    kept = merge_customers(store, first, second, base_currency="USD", now=NOW)
    entries = watchlist(store)
    assert [e.customer_id for e in entries] == [kept]
    assert entries[0].reason is not None
    assert set(entries[0].reason.split("; ")) == {"chargebacks", "returns everything"}
    assert [n.body for n in list_notes(store, kept)] == ["called twice"]
