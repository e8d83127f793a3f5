"""Identity resolution against the sandbox world's ground truth (orders rendered as the Orders
API shows them and mapped by the Amazon connector; no server needed)."""

from __future__ import annotations

import shutil
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from itertools import combinations
from pathlib import Path

import pytest
from sqlalchemy import Table, select

from custsync.connectors.amazon.mapping import weak_key
from custsync.connectors.base import Cursor, Page
from custsync.demo import load_demo_rates
from custsync.pipeline.facts import BuyerRef
from custsync.rebuild import rebuild_customers
from custsync.records import BuyerInfo, BuyerKey, Order, StreamName
from custsync.sandbox.people import Person
from custsync.sandbox.vocabulary import vocabulary
from custsync.sandbox.world import World
from custsync.store import schema
from custsync.store.db import Store, open_store, upgrade
from custsync.store.gone_buyers import factless_buyers
from custsync.store.identity_keys import key_counts
from custsync.store.ingest import write_page
from custsync.store.state import register_account
from tests.support.sandbox_orders import WorldOrder, amazon_orders, ingest

NOW = datetime(2026, 11, 2, tzinfo=UTC)


@pytest.fixture(scope="module", params=["sandbox", "wide"])
def orders(request: pytest.FixtureRequest) -> list[WorldOrder]:
    """A world of the sandbox's short tables of names and places, and one of the wide
    vocabulary, where most names and streets are rare."""
    world = World(seed=11, order_count=1500, vocabulary=vocabulary(request.param))
    return list(amazon_orders(world))


def _truth(orders: Iterable[WorldOrder]) -> tuple[dict[tuple[str, str], int], dict[int, Person]]:
    """Each buyer's person (the person behind most of its orders) and the people."""
    votes: dict[tuple[str, str], Counter[int]] = defaultdict(Counter)
    people: dict[int, Person] = {}
    for found in orders:
        if found.order.buyer_key is not None:
            votes[(found.order.account_id, found.order.buyer_key)][found.person.index] += 1
            people[found.person.index] = found.person
    return {ref: count.most_common(1)[0][0] for ref, count in votes.items()}, people


def _customers(store: Store) -> dict[tuple[str, str], str]:
    b = schema.buyers
    with store.engine.connect() as conn:
        rows = conn.execute(select(b.c.account_id, b.c.buyer_key, b.c.customer_id))
        return {(a, k): c for a, k, c in rows}


def _pairs(groups: Iterable[int]) -> int:
    return sum(n * (n - 1) // 2 for n in groups)


def _fresh(url: str) -> Store:
    store = open_store(url)
    upgrade(store)
    load_demo_rates(store, "USD")
    return store


def test_buyers_resolve_to_people_with_high_precision_and_recall(
    db_url: str, orders: list[WorldOrder]
) -> None:
    store = _fresh(db_url)
    ingest(store, [o.order for o in orders], now=NOW)
    rebuild_customers(store, None, base_currency="USD", now=NOW)
    person, people = _truth(orders)
    customer = _customers(store)
    joint = Counter((customer[ref], person[ref]) for ref in person)
    true_pairs = _pairs(Counter(person.values()).values())
    predicted = _pairs(Counter(customer[ref] for ref in person).values())
    assert _pairs(joint.values()) / predicted >= 0.98
    assert _pairs(joint.values()) / true_pairs >= 0.98
    persons_of: dict[str, set[int]] = defaultdict(set)
    for ref, p in person.items():
        persons_of[customer[ref]].add(p)
    for found in persons_of.values():
        for a, b in combinations(sorted(found), 2):
            one, two = people[a], people[b]
            assert b != one.household_of, "household merged"
            assert a != two.household_of, "household merged"
            assert b != one.namesake_of, "namesake merged"
            assert a != two.namesake_of, "namesake merged"


def test_customers_span_accounts_and_marketplaces(
    orders: list[WorldOrder], tmp_path: object
) -> None:
    store = _fresh(f"sqlite:///{tmp_path}/span.db")
    ingest(store, [o.order for o in orders], now=NOW)
    rebuild_customers(store, None, base_currency="USD", now=NOW)
    keys_of: dict[str, set[str]] = defaultdict(set)
    for (account, key), cid in _customers(store).items():
        keys_of[cid].add(f"{account}:{key.split('@')[-1] if '@' in key else 'weak'}")
    assert any(len(keys) > 1 for keys in keys_of.values())


def test_syncing_in_steps_ends_where_one_full_rebuild_does(
    orders: list[WorldOrder], tmp_path: object
) -> None:
    full, steps = _fresh(f"sqlite:///{tmp_path}/full.db"), _fresh(f"sqlite:///{tmp_path}/steps.db")
    ingest(full, [o.order for o in orders], now=NOW)
    rebuild_customers(full, None, base_currency="USD", now=NOW)
    size = len(orders) // 12 + 1
    for step in range(12):
        part = [o.order for o in orders[step * size : (step + 1) * size]]
        when = NOW + timedelta(minutes=step)
        ingest(steps, part, now=when)
        touched = {(o.account_id, BuyerKey(o.buyer_key)) for o in part if o.buyer_key}
        rebuild_customers(steps, touched, base_currency="USD", now=when)
    assert _memberships(steps) == _memberships(full)
    assert _table(steps, schema.identity_links) == _table(full, schema.identity_links)
    assert _table(steps, schema.identity_keys) == _table(full, schema.identity_keys)
    counts = _table(steps, schema.identity_key_counts)
    assert counts == _table(full, schema.identity_key_counts)
    held = Counter(str(row[0]) for row in _table(full, schema.identity_keys))
    assert counts == sorted((key, n) for key, n in held.items() if n > 1)  # shared keys only
    with steps.engine.connect() as conn:
        assert key_counts(conn, list(held)) == held


def test_orders_read_first_without_their_buyers_e_mail_end_where_a_full_rebuild_does(
    orders: list[WorldOrder], tmp_path: Path
) -> None:
    """Every third batch arrives first as an order report shows it (no e-mail: the weak key
    of the recipient, or none) and then with its buyers: the weak buyers left with no order
    go, and the store ends as one full rebuild of the same orders leaves it."""
    steps = _fresh(f"sqlite:///{tmp_path}/steps.db")
    cut = len(orders) * 3 // 5
    ingest(steps, [o.order for o in orders[:cut]], now=NOW)
    rebuild_customers(steps, None, base_currency="USD", now=NOW)
    when = NOW
    for start in range(cut, len(orders), 25):
        part = [o.order for o in orders[start : start + 25]]
        batches = [[_without_email(o) for o in part], part] if start // 25 % 3 == 0 else [part]
        for batch in batches:
            when += timedelta(minutes=1)
            rebuild_customers(steps, _stored(steps, batch, when), base_currency="USD", now=when)
    assert any(_without_email(o.order).is_weak_key for o in orders[cut:])  # buyers that go
    with steps.engine.connect() as conn:
        assert factless_buyers(conn) == []
    steps.dispose()
    shutil.copy(tmp_path / "steps.db", tmp_path / "full.db")
    full = open_store(f"sqlite:///{tmp_path}/full.db")
    rebuild_customers(full, None, base_currency="USD", now=when + timedelta(days=1))
    assert _memberships(steps) == _memberships(full)
    for table in (schema.identity_links, schema.identity_keys, schema.identity_key_counts):
        assert _table(steps, table) == _table(full, table)


def _without_email(order: Order) -> Order:
    """``order`` as the orders report shows it, an hour before its final state."""
    b = order.buyer
    seen = BuyerInfo(
        name=b.name, city=b.city, postal_code=b.postal_code, country_code=b.country_code
    )
    key = weak_key(b.name, b.postal_code, b.country_code) if b.name and b.postal_code else None
    earlier = order.updated_at - timedelta(hours=1)
    return replace(order, buyer_key=key, buyer=seen, updated_at=earlier, source="report")


def _stored(store: Store, orders: list[Order], when: datetime) -> set[BuyerRef]:
    """Store ``orders`` as a sync does; returns the buyers it touched."""
    touched: set[BuyerRef] = set()
    for account in sorted({o.account_id for o in orders}):
        register_account(store, account, "amazon", None, now=when)
        page = Page([o for o in orders if o.account_id == account], [], Cursor())
        counts = write_page(store, account, StreamName.ORDERS, page, run_id="t", now=when)
        touched |= counts.touched_buyers
    return touched


def _memberships(store: Store) -> dict[frozenset[tuple[str, str]], tuple[object, ...]]:
    c = schema.customers
    with store.engine.connect() as conn:
        rows = {r.customer_id: r for r in conn.execute(select(c).where(c.c.merged_into.is_(None)))}
    groups: dict[str, set[tuple[str, str]]] = defaultdict(set)
    for ref, cid in _customers(store).items():
        groups[cid].add(ref)
    skip = {"customer_id", "updated_at"}
    return {
        frozenset(refs): tuple(v for k, v in rows[cid]._mapping.items() if k not in skip)
        for cid, refs in groups.items()
    }


def _table(store: Store, table: Table) -> list[tuple[object, ...]]:
    skip = {"link_id", "customer_id", "created_at"}
    columns = [col for col in table.c if col.name not in skip]
    with store.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(*columns)))
