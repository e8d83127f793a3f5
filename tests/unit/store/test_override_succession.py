"""An operator's merge or split follows the orders of the buyer it named when they are read
again under another key (an Amazon order first read without the buyer's e-mail, then with it),
and a full rebuild of the store agrees."""

from __future__ import annotations

from datetime import timedelta

from structlog.testing import capture_logs

from custsync.curation import merge_customers, split_buyer
from custsync.rebuild import rebuild_customers
from custsync.records import AccountId, BuyerKey
from custsync.store.db import Store
from custsync.store.overrides import load_overrides
from tests.unit.store.test_gone_buyers import AUSTIN, _buyers, _refresh, _seen_again
from tests.unit.store.test_identity_store import NOW, _ingest, _order, _rates, _snapshot

OPERATOR = NOW + timedelta(minutes=10)
E_MAIL = "ann@marketplace.amazon.com"


def _full_rebuild_agrees(store: Store) -> None:
    before = _snapshot(store)
    rebuild_customers(store, None, base_currency="USD", now=NOW + timedelta(days=3))
    assert _snapshot(store) == before


def test_a_merge_holds_for_the_buyer_the_merged_orders_moved_to(store: Store) -> None:
    weak = _order(1, "amazon", "weak:aaaa", "Ann Lee")
    shop = _order(2, "shop", "1001", "Annie Smith", home=AUSTIN, day=2)
    _rates(store)
    _ingest(store, [weak, shop], NOW)
    rebuild_customers(store, None, base_currency="USD", now=NOW)
    first, second = sorted(set(_buyers(store).values()))  # nothing links them
    kept = merge_customers(store, first, second, base_currency="USD", now=OPERATOR)
    with capture_logs() as logs:
        _refresh(store, [_seen_again(weak, E_MAIL)])
    assert [e["overrides"] for e in logs if e["event"] == "overrides_carried"] == [[1]]
    assert _buyers(store) == {E_MAIL: kept, "1001": kept}
    with store.engine.connect() as conn:
        (merge,) = load_overrides(conn)
    assert (AccountId("amazon"), BuyerKey(E_MAIL)) in merge.buyers
    _full_rebuild_agrees(store)


def test_a_split_holds_for_the_buyer_the_split_orders_moved_to(store: Store) -> None:
    weak = _order(1, "amazon", "weak:aaaa", "Ann Lee", phone="2065550142")
    shop = _order(2, "shop", "1001", "Ann Lee", phone="2065550142", day=2)
    _rates(store)
    _ingest(store, [weak, shop], NOW)
    rebuild_customers(store, None, base_currency="USD", now=NOW)
    (joined,) = set(_buyers(store).values())  # the same phone links them
    split_buyer(store, joined, "amazon:weak:aaaa", base_currency="USD", now=OPERATOR)
    _refresh(store, [_seen_again(weak, E_MAIL)])
    after = _buyers(store)
    assert set(after) == {E_MAIL, "1001"}
    assert after[E_MAIL] != after["1001"]
    _full_rebuild_agrees(store)


def test_an_override_naming_other_buyers_stays_as_it_was(store: Store) -> None:
    weak = _order(1, "amazon", "weak:aaaa", "Ann Lee")
    shop = _order(2, "shop", "1001", "Annie Smith", home=AUSTIN, day=2)
    other = _order(3, "shop", "1002", "Bo Chen", day=3)
    _rates(store)
    _ingest(store, [weak, shop, other], NOW)
    rebuild_customers(store, None, base_currency="USD", now=NOW)
    ids = _buyers(store)
    merge_customers(store, ids["1001"], ids["1002"], base_currency="USD", now=OPERATOR)
    with store.engine.connect() as conn:
        before = load_overrides(conn)
    _refresh(store, [_seen_again(weak, E_MAIL)])
    with store.engine.connect() as conn:
        assert load_overrides(conn) == before
