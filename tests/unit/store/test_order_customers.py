"""Every order names its buyer's customer (``orders.customer_id``), whatever moved the buyer:
a new order, a rebuild, a merge, a split, a stronger buyer key; the whole-store metrics,
which group by that column, then equal the customers as stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from alembic import command
from sqlalchemy import select

from custsync.curation import merge_customers, split_buyer
from custsync.pipeline.fx import FxTable
from custsync.rebuild import rebuild_customers
from custsync.records import BuyerKey
from custsync.store import schema
from custsync.store.customers import load_fx_rates
from custsync.store.db import Store, _alembic_config, upgrade
from custsync.store.metrics_sql import customer_metrics
from tests.unit.store.test_identity_store import (
    NOW,
    _customer_of,
    _ingest,
    _order,
    _resolved_people,
)


def _named(store: Store) -> dict[str, tuple[str | None, str | None]]:
    """Per order: the customer it names, and its buyer's (None: the buyer has none yet)."""
    o, b = schema.orders, schema.buyers
    mine = (b.c.account_id == o.c.account_id) & (b.c.buyer_key == o.c.buyer_key)
    query = select(o.c.order_id, o.c.customer_id, b.c.customer_id).outerjoin(b, mine)
    with store.engine.connect() as conn:
        return {order: (named, owner) for order, named, owner in conn.execute(query)}


def _assert_orders_name_their_buyers_customer(store: Store) -> None:
    wrong = {order: pair for order, pair in _named(store).items() if pair[0] != pair[1]}
    assert wrong == {}


def _assert_metrics_equal_the_stored_customers(store: Store) -> None:
    fx = FxTable.from_rates("USD", load_fx_rates(store))
    c = schema.customers
    live = select(c).where(c.c.merged_into.is_(None), c.c.orders > 0)
    with store.engine.connect() as conn:
        computed = customer_metrics(conn, fx)
        rows = conn.execute(live).all()
    assert sorted(computed) == sorted(row.customer_id for row in rows)
    for row in rows:
        m, _ = computed[row.customer_id]
        assert (m.orders, m.amount_spent) == (row.orders, row.amount_spent)
        assert ";".join(m.seller_accounts) == row.seller_accounts


def test_orders_follow_their_buyers_through_merges_splits_and_rebuilds(store: Store) -> None:
    _resolved_people(store)
    _assert_orders_name_their_buyers_customer(store)
    assert _named(store)["O3"][0] == _customer_of(store, "1001")
    ann, bo = _customer_of(store, "1001"), _customer_of(store, "bo_lee")
    merged = merge_customers(store, ann, bo, base_currency="USD", now=NOW)
    assert _named(store)["O5"][0] == merged
    _assert_orders_name_their_buyers_customer(store)
    alone = split_buyer(store, merged, "shop:1002", base_currency="USD", now=NOW)
    assert _named(store)["O4"][0] == alone
    _assert_orders_name_their_buyers_customer(store)
    rebuild_customers(store, None, base_currency="USD", now=NOW)
    _assert_orders_name_their_buyers_customer(store)
    _assert_metrics_equal_the_stored_customers(store)


def test_a_new_order_of_a_known_buyer_names_its_customer_when_stored(store: Store) -> None:
    _resolved_people(store)
    later = NOW + timedelta(days=1)
    touched = _ingest(store, [_order(9, "shop", "1001", "Ann Lee", day=9)], later)
    assert _named(store)["O9"] == (_customer_of(store, "1001"),) * 2
    touched |= _ingest(store, [_order(10, "shop", "2001", "Cy Young", day=9)], later)
    assert _named(store)["O10"] == (None, None)  # a buyer never resolved: no customer yet
    rebuild_customers(store, touched, base_currency="USD", now=later)
    assert _named(store)["O10"][0] == _customer_of(store, "2001")
    _assert_orders_name_their_buyers_customer(store)
    _assert_metrics_equal_the_stored_customers(store)


def test_an_order_moving_to_a_stronger_buyer_key_follows_that_buyer(store: Store) -> None:
    _resolved_people(store)
    weak = _named(store)["O7"][0]
    assert weak == _customer_of(store, "weak:aaaa")
    stronger = replace(
        _order(7, "amazon", "ann@marketplace.amazon.com", "Ann Lee", day=7),
        updated_at=NOW,
        source='{"n": 7, "email": true}',
    )
    later = NOW + timedelta(days=1)
    touched = _ingest(store, [stronger], later)
    assert (stronger.account_id, BuyerKey("weak:aaaa")) in touched
    assert _named(store)["O7"][0] == _customer_of(store, "ann@marketplace.amazon.com")
    rebuild_customers(store, touched, base_currency="USD", now=later)
    _assert_orders_name_their_buyers_customer(store)
    _assert_metrics_equal_the_stored_customers(store)


def test_the_upgrade_names_the_customer_of_every_stored_order(store: Store) -> None:
    _resolved_people(store)
    before = _named(store)
    with store.begin() as conn:
        command.downgrade(_alembic_config(conn), "0011")
    upgrade(store)
    assert _named(store) == before
    assert before["O3"][0] == _customer_of(store, "1001")
    _assert_orders_name_their_buyers_customer(store)
