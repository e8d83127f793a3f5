from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import delete, insert, select
from sqlalchemy import event as sql_event
from structlog.testing import capture_logs

from custsync.comparison import compare_customers, nearest_customers
from custsync.connectors.base import Cursor, Page
from custsync.connectors.redaction import redact_event
from custsync.curation import merge_customers, split_buyer
from custsync.errors import ConfigError
from custsync.pipeline.explain import Outcome
from custsync.pipeline.fx import FxRate
from custsync.pipeline.identity import RULES_VERSION
from custsync.rebuild import rebuild_customers
from custsync.records import AccountId, BuyerInfo, BuyerKey, Order, OrderLine, OrderStatus
from custsync.records import StreamName as S
from custsync.store import schema
from custsync.store.customers import set_fx_rate
from custsync.store.db import Store, open_store, upgrade
from custsync.store.identity import identity_links_for
from custsync.store.identity_keys import profiled_buyer_count
from custsync.store.ingest import write_page
from custsync.store.queries import feed_customers
from custsync.store.state import register_account

NOW = datetime(2026, 3, 1, tzinfo=UTC)
HOME = BuyerInfo(
    address_line1="12 Oak Avenue",
    city="Seattle",
    state="WA",
    postal_code="98101",
    country_code="US",
)


def _order(
    n: int,
    account: str,
    key: str,
    name: str,
    *,
    phone: str | None = None,
    home: BuyerInfo = HOME,
    currency: str = "USD",
    total: str = "10.00",
    day: int = 1,
) -> Order:
    when = datetime(2026, 1, day, tzinfo=UTC)
    buyer = BuyerInfo(
        name=name,
        phone=phone,
        address_line1=home.address_line1,
        city=home.city,
        state=home.state,
        postal_code=home.postal_code,
        country_code=home.country_code,
    )
    line = OrderLine("L1", "SKU", "Thing", 1, Decimal(total))
    return Order(
        AccountId(account),
        "M",
        f"O{n}",
        BuyerKey(key),
        OrderStatus.SHIPPED,
        when,
        when,
        currency,
        Decimal(total),
        (line,),
        buyer,
        source=f'{{"n": {n}}}',
    )


def _people() -> list[Order]:
    """A person on three channels, a household sharing her phone, a namesake elsewhere."""
    elsewhere = BuyerInfo(
        address_line1="5 Pine Street",
        city="Austin",
        state="TX",
        postal_code="78701",
        country_code="US",
    )
    return [
        _order(1, "amazon", "ann@marketplace.amazon.com", "Ann Lee", phone="2065550142"),
        _order(2, "amazon", "ann@marketplace.amazon.com", "Ann Lee", day=3),
        _order(3, "shop", "1001", "Lee, Ann", phone="+1 206 555 0142", day=2),
        _order(4, "shop", "1002", "Anne Lee", day=5, currency="EUR", total="8.00"),
        _order(5, "ebay", "bo_lee", "Bo Lee", phone="206.555.0142", day=4),
        _order(6, "ebay", "ann2", "Ann Lee", home=elsewhere, day=6),
        _order(7, "amazon", "weak:aaaa", "Ann Lee", day=7),
    ]


def _ingest(store: Store, orders: list[Order], now: datetime) -> set[tuple[AccountId, BuyerKey]]:
    by_account: dict[AccountId, list[Order]] = defaultdict(list)
    for o in orders:
        by_account[o.account_id].append(o)
    touched: set[tuple[AccountId, BuyerKey]] = set()
    for account, found in sorted(by_account.items()):
        register_account(store, account, "amazon", None, now=now)
        counts = write_page(
            store, account, S.ORDERS, Page(found, [], Cursor()), run_id="r", now=now
        )
        touched |= counts.touched_buyers
    return touched


def _rates(store: Store) -> None:
    set_fx_rate(store, FxRate("EUR", "USD", datetime(2020, 1, 1).date(), Decimal("1.10")))


def _resolved_people(store: Store) -> None:
    """The sample people's orders stored (with their exchange rate) and resolved in full."""
    _rates(store)
    _ingest(store, _people(), NOW)
    rebuild_customers(store, None, base_currency="USD", now=NOW)


def _groups(store: Store) -> set[frozenset[str]]:
    with store.engine.connect() as conn:
        rows = conn.execute(select(schema.buyers.c.customer_id, schema.buyers.c.buyer_key))
        found: dict[str, set[str]] = defaultdict(set)
        for cid, key in rows:
            found[cid].add(key)
    return {frozenset(keys) for keys in found.values()}


def _snapshot(store: Store) -> dict[str, object]:
    with store.engine.connect() as conn:
        links = sorted(
            (r.buyer_a, r.buyer_b, r.rule, r.score, r.is_link, r.evidence)
            for r in conn.execute(select(schema.identity_links))
        )
        keys = sorted(tuple(r) for r in conn.execute(select(schema.identity_keys)))
        counts = sorted(tuple(r) for r in conn.execute(select(schema.identity_key_counts)))
        p = schema.identity_params
        params = {name: value for name, value in conn.execute(select(p.c.name, p.c.value))}
        customers = sorted(
            (r.orders, r.amount_spent, r.name, r.seller_accounts)
            for r in conn.execute(
                select(schema.customers).where(schema.customers.c.merged_into.is_(None))
            )
        )
    groups = _groups(store)
    return {
        "groups": groups,
        "links": links,
        "keys": keys,
        "counts": counts,
        "params": params,
        "customers": customers,
    }


ANN = frozenset({"ann@marketplace.amazon.com", "1001", "1002", "weak:aaaa"})


def test_buyers_of_one_person_become_one_customer_and_others_do_not(store: Store) -> None:
    _resolved_people(store)
    assert _groups(store) == {ANN, frozenset({"bo_lee"}), frozenset({"ann2"})}
    with store.engine.connect() as conn:
        row = conn.execute(
            select(schema.customers).where(schema.customers.c.seller_accounts == "amazon;shop")
        ).one()
        totals = conn.execute(select(schema.customer_totals).order_by("currency")).all()
    assert (row.orders, row.amount_spent) == (5, Decimal("48.80"))
    assert [(t.currency, t.amount_spent) for t in totals if t.customer_id == row.customer_id] == [
        ("EUR", Decimal("8.00")),
        ("USD", Decimal("40.00")),
    ]


def test_incremental_runs_end_where_a_full_rebuild_does(db_url: str, tmp_path: object) -> None:
    full, step = open_store(db_url), open_store(f"sqlite:///{tmp_path}/step.db")
    for s in (full, step):
        upgrade(s)
        _rates(s)
    orders = _people()
    _ingest(full, orders, NOW)
    rebuild_customers(full, None, base_currency="USD", now=NOW)
    for n, order in enumerate(orders):
        when = NOW + timedelta(minutes=n)
        touched = _ingest(step, [order], when)
        rebuild_customers(step, touched, base_currency="USD", now=when)
    assert _snapshot(step) == _snapshot(full)
    before = _snapshot(full)
    rebuild_customers(full, None, base_currency="USD", now=NOW + timedelta(days=1))
    assert _snapshot(full) == before


def test_a_sync_that_moves_every_weight_says_why_it_rescores_everyone(store: Store) -> None:
    _rates(store)
    people = [_order(n, "shop", f"b{n}", f"Kim Elm{n}x", home=_apart(n)) for n in range(5)]
    with capture_logs() as logs:
        for n, order in enumerate(people):  # buyers 1 to 5: 2 and 4 cross a power of two
            when = NOW + timedelta(minutes=n)
            rebuild_customers(store, _ingest(store, [order], when), base_currency="USD", now=when)
    reasons = [x["reason"] for x in logs if x["event"] == "identity_full_rescore"]
    crossed = "the number of buyers crossed a power of two"
    assert reasons == ["no buyer resolved yet", crossed, crossed]


@pytest.mark.parametrize("stored", [None, RULES_VERSION - 1])
def test_buyers_resolved_under_other_matching_rules_are_resolved_again_in_full(
    store: Store, stored: int | None
) -> None:
    _resolved_people(store)
    p = schema.identity_params
    with store.begin() as conn:  # as a store resolved by an older release left it
        conn.execute(delete(p).where(p.c.name == "rules_version"))
        if stored is not None:
            conn.execute(insert(p).values(name="rules_version", value=stored, updated_at=NOW))
    new = _order(8, "shop", "1003", "Cy Park", day=8)
    with capture_logs() as logs:
        for n in range(2):  # the second refresh finds the rules it was resolved under
            when = NOW + timedelta(hours=n + 1)
            touched = _ingest(store, [replace(new, order_id=f"O{8 + n}")], when)
            rebuild_customers(store, touched, base_currency="USD", now=when)
    reasons = [x["reason"] for x in logs if x["event"] == "identity_full_rescore"]
    assert reasons == ["the matching rules changed since the buyers were resolved"]
    with store.engine.connect() as conn:
        found = conn.execute(select(p.c.value).where(p.c.name == "rules_version")).scalar()
    assert found == RULES_VERSION


def test_a_full_rebuild_logs_its_progress_step_by_step(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    import custsync.rebuild

    monkeypatch.setattr(custsync.rebuild, "PROGRESS_EVERY", 2)
    monkeypatch.setattr(custsync.rebuild, "BATCH_BUYERS", 1)
    _rates(store)
    _ingest(store, _people(), NOW)
    with capture_logs() as logs:
        rebuild_customers(store, None, base_currency="USD", now=NOW)
    steps = [x for x in logs if x["event"] == "identity_full_progress"]
    assert [x["step"] for x in steps] == ["profiles", "keys", "links", "clusters"]
    assert (steps[0]["profiles"], steps[-1]["customers"]) == (6, 3)
    assert [x["seconds"] for x in steps] == sorted(x["seconds"] for x in steps)
    written = [(x["customers"], x["of"]) for x in logs if x["event"] == "customers_written"]
    assert written == [(2, 3)]
    for event in logs:  # no count is named like personal data, which logging drops
        assert redact_event(None, "info", dict(event)) == event


@pytest.mark.parametrize("newest_first", [True, False])
@pytest.mark.parametrize("incremental", [True, False])
def test_a_buyer_seen_in_two_marketplaces_takes_the_latest_orders_one(
    store: Store, newest_first: bool, incremental: bool
) -> None:
    older = replace(
        _order(1, "amazon", "weak:bbbb", "Ann Lee", day=2), marketplace="A2EUQ1WTGCTBG2"
    )
    newer = replace(_order(2, "amazon", "weak:bbbb", "Ann Lee", day=9), marketplace="ATVPDKIKX0DER")
    touched: set[tuple[AccountId, BuyerKey]] = set()
    for order in [newer, older] if newest_first else [older, newer]:
        touched |= _ingest(store, [order], NOW)
    rebuild_customers(store, touched if incremental else None, base_currency="USD", now=NOW)
    with store.engine.connect() as conn:
        found = conn.execute(select(schema.buyers.c.marketplace)).scalars().all()
    assert found == ["ATVPDKIKX0DER"]


def test_when_customers_merge_one_id_survives_and_the_other_points_to_it(store: Store) -> None:
    moved = BuyerInfo(
        address_line1="7 Elm Street",
        city="Seattle",
        state="WA",
        postal_code="98109",
        country_code="US",
    )
    first = [
        _order(1, "amazon", "ann@marketplace.amazon.com", "Ann Lee", phone="2065550142"),
        _order(2, "shop", "1002", "Anne Lee", home=moved),
    ]
    _ingest(store, first, NOW)
    rebuild_customers(store, None, base_currency="USD", now=NOW)
    before = {_customer_of(store, "ann@marketplace.amazon.com"), _customer_of(store, "1002")}
    assert len(before) == 2
    later = NOW + timedelta(hours=1)
    bridge = [_order(3, "shop", "1001", "Lee, Ann", phone="206 555 0142", home=moved)]
    rebuild_customers(store, _ingest(store, bridge, later), base_currency="USD", now=later)
    assert _ids(store) == {min(before)}
    with store.engine.connect() as conn:
        pointers = conn.execute(
            select(schema.customers.c.customer_id, schema.customers.c.merged_into)
        ).all()
    assert sorted(pointers) == sorted([(min(before), None), (max(before), min(before))])


def _ids(store: Store) -> set[str]:
    with store.engine.connect() as conn:
        return {cid for (cid,) in conn.execute(select(schema.buyers.c.customer_id))}


def _customer_of(store: Store, key: str) -> str:
    with store.engine.connect() as conn:
        return str(
            conn.execute(
                select(schema.buyers.c.customer_id).where(schema.buyers.c.buyer_key == key)
            ).scalar_one()
        )


def test_operator_merge_and_split_survive_new_orders_and_full_rebuilds(store: Store) -> None:
    _resolved_people(store)
    ann, bo = _customer_of(store, "1001"), _customer_of(store, "bo_lee")
    merged = merge_customers(store, ann, bo, base_currency="USD", now=NOW)
    assert _customer_of(store, "bo_lee") == merged == _customer_of(store, "1001")
    new_id = split_buyer(store, merged, "shop:1002", base_currency="USD", now=NOW)
    assert new_id != merged
    assert _customer_of(store, "1002") == new_id
    later = NOW + timedelta(days=2)
    touched = _ingest(
        store, [_order(9, "shop", "1002", "Anne Lee", phone="2065550142", day=9)], later
    )
    rebuild_customers(store, touched, base_currency="USD", now=later)
    rebuild_customers(store, None, base_currency="USD", now=later)
    assert _customer_of(store, "bo_lee") == _customer_of(store, "1001")
    assert _customer_of(store, "1002") == new_id


def _link_rows(store: Store, key: str) -> list[tuple[float, datetime]]:
    t = schema.identity_links
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(t.c.score, t.c.created_at).where(
                t.c.buyer_a.like(f"%:{key}") | t.c.buyer_b.like(f"%:{key}")
            )
        )
        return sorted((r.score, r.created_at) for r in rows)


def _updated_at(store: Store, table: str, **where: str) -> datetime:
    t = schema.metadata.tables[table]
    query = select(t.c.updated_at).where(*(t.c[k] == v for k, v in where.items()))
    with store.engine.connect() as conn:
        found: datetime = conn.execute(query).scalar_one()
    return found


def test_a_repeat_order_with_the_same_details_keeps_the_buyers_links(store: Store) -> None:
    _resolved_people(store)
    links = _link_rows(store, "1001")
    later = NOW + timedelta(hours=1)
    touched = _ingest(
        store, [_order(8, "shop", "1001", "Lee, Ann", phone="+1 206 555 0142")], later
    )
    rebuild_customers(store, touched, base_currency="USD", now=later)
    assert _link_rows(store, "1001") == links  # not rescored: stored at NOW
    assert all(created == NOW for _, created in links)
    cid = _customer_of(store, "1001")
    with store.engine.connect() as conn:
        orders = conn.execute(
            select(schema.customers.c.orders).where(schema.customers.c.customer_id == cid)
        ).scalar_one()
    assert orders == 6  # the customer itself is refreshed with the new order


def test_a_refresh_rewrites_the_buyers_with_new_orders_not_the_others_of_their_customer(
    store: Store,
) -> None:
    _resolved_people(store)
    cid = _customer_of(store, "1001")
    later = NOW + timedelta(hours=1)
    touched = _ingest(store, [_order(8, "shop", "1001", "Lee, Ann", day=9)], later)
    rebuild_customers(store, touched, base_currency="USD", now=later)
    assert _customer_of(store, "1001") == _customer_of(store, "1002") == cid
    assert _updated_at(store, "customers", customer_id=cid) == later
    assert _updated_at(store, "buyers", buyer_key="1001") == later
    assert _updated_at(store, "buyers", buyer_key="1002") == NOW  # no new order: left as is
    assert _updated_at(store, "buyers", buyer_key="ann@marketplace.amazon.com") == NOW
    with store.engine.connect() as conn:
        b = schema.buyers
        rows = conn.execute(select(b.c.buyer_key, b.c.profile).where(b.c.customer_id == cid))
        assert {key: profile is not None for key, profile in rows} == dict.fromkeys(
            ["1001", "1002", "ann@marketplace.amazon.com", "weak:aaaa"], True
        )


def test_a_customer_whose_link_score_only_moved_is_not_rewritten(
    db_url: str, tmp_path: object
) -> None:
    elm = replace(HOME, address_line1="1 Elm Street")
    birch = replace(HOME, address_line1="9 Birch Street")
    far = replace(
        HOME, address_line1="5 Pine Street", city="Austin", state="TX", postal_code="78701"
    )
    kim = [
        _order(1, "shop", "k1", "Kim Park", home=elm),
        _order(2, "ebay", "k2", "Kim Park", home=elm),
    ]
    full, step = open_store(db_url), open_store(f"sqlite:///{tmp_path}/step.db")
    for s in (full, step):
        upgrade(s)
        _rates(s)
        others = [
            _order(3, "shop", "j1", "Joe Diaz"),
            _order(5, "shop", "e1", "Eva Cruz", home=far),
        ]
        _ingest(s, [*kim, *others], NOW)  # 4 buyers: a 5th leaves the total's state alone
        rebuild_customers(s, None, base_currency="USD", now=NOW)
    [(before, _)] = _link_rows(step, "k1")
    later = NOW + timedelta(hours=1)
    newcomer = [_order(4, "shop", "m1", "Mia Wong", home=birch)]  # a 4th buyer in 98101
    touched = _ingest(step, newcomer, later)
    rebuild_customers(step, touched, base_currency="USD", now=later)
    [(after, created)] = _link_rows(step, "k1")
    assert (after < before, created) == (True, later)  # the postal code weighs less now
    assert _updated_at(step, "customers", customer_id=_customer_of(step, "k1")) == NOW
    assert _updated_at(step, "buyers", buyer_key="k2") == NOW
    _ingest(full, newcomer, later)
    rebuild_customers(full, None, base_currency="USD", now=later)
    assert _snapshot(step) == _snapshot(full)


SHOP_PHONE = "206 555 0199"
FIRSTS = "Alice Brian Carla David Erin Frank Grace Henry Irene Jacob Karen Louis Maria Nora Oscar"
LASTS = "Adams Baker Cruz Dunn Ellis Ford Gray Hale Ivers Jones Kent Lane Moss Nash Olsen"
STREETS = "Maple Cedar Birch Walnut Aspen Willow Poplar Spruce Hazel Laurel Alder Rowan Holly"


def _apart(n: int) -> BuyerInfo:
    """The ``n``-th of addresses that share no street, city or postal code."""
    street = STREETS.split()[n % 13]
    postal = f"{30000 + 7919 * n:05d}"[-5:]
    line, city = f"{n + 3} {street} Road", f"Town{chr(97 + n)}"
    return BuyerInfo(address_line1=line, city=city, postal_code=postal, country_code="US")


def _full_and_step(db_url: str, tmp_path: object, world: list[Order]) -> tuple[Store, Store]:
    """Two stores holding ``world``, rebuilt in full: one to rebuild in full after each sync,
    one to sync incrementally."""
    full, step = open_store(db_url), open_store(f"sqlite:///{tmp_path}/step.db")
    for s in (full, step):
        upgrade(s)
        _rates(s)
        _ingest(s, world, NOW)
        rebuild_customers(s, None, base_currency="USD", now=NOW)
    return full, step


def _sync_both(full: Store, step: Store, orders: list[Order], at: datetime) -> None:
    rebuild_customers(step, _ingest(step, orders, at), base_currency="USD", now=at)
    _ingest(full, orders, at)
    rebuild_customers(full, None, base_currency="USD", now=at)


def _phone_rows(store: Store) -> int:
    t = schema.identity_links
    with store.engine.connect() as conn:
        return len(conn.execute(select(t.c.link_id).where(t.c.rule == "phone")).all())


def test_a_phone_too_common_to_block_on_unlinks_and_relinks_as_a_full_rebuild_does(
    db_url: str, tmp_path: object
) -> None:
    names = [f"{f} {last}" for f, last in zip(FIRSTS.split(), LASTS.split(), strict=True)]
    shop = [
        _order(n, "shop", f"s{n}", name, phone=SHOP_PHONE, home=_apart(n))
        for n, name in enumerate(names)  # 15 buyers behind one phone: usable to block on
    ]
    others = [
        _order(20 + n, "shop", f"o{n}", f"Pat Oak{n}x", home=_apart(15 + n)) for n in range(5)
    ]
    zed = BuyerInfo(
        address_line1="1 Elm Road", city="Zville", postal_code="99001", country_code="US"
    )
    gets_the_phone = [_order(40, "shop", "o0", "Pat Oak0x", phone=SHOP_PHONE, home=zed, day=9)]
    drops_it = [  # six phones of its own, each twice: the shop's is no longer among its top six
        _order(50 + n, "shop", "o0", "Pat Oak0x", phone=f"206 555 01{n // 2}0", home=zed, day=10)
        for n in range(12)
    ]
    full, step = _full_and_step(db_url, tmp_path, [*shop, *others])  # 20 buyers, none added later
    assert _phone_rows(step) == 15 * 14 // 2
    for n, orders in enumerate([gets_the_phone, drops_it], start=1):
        later = NOW + timedelta(hours=n)
        with capture_logs() as logs:
            _sync_both(full, step, orders, later)
        assert _phone_rows(step) == (0 if n == 1 else 15 * 14 // 2)  # 16 holders: unusable
        assert _snapshot(step) == _snapshot(full)
        (repaired,) = [x for x in logs if x["event"] == "identity_pairs_repaired"]
        assert (repaired["reblocked"], repaired["pairs"], repaired["relinked"]) == (1, 105, 105)


def test_an_incremental_run_weighs_a_value_by_buyers_it_never_reads(
    db_url: str, tmp_path: object
) -> None:
    """Two buyers named only "John" under one roof weigh the name by its surname count when
    somebody holds it as a surname (as a full run does), though he lives far away."""
    far = replace(HOME, address_line1="5 Pine Street", city="Austin", postal_code="78701")
    world = [
        _order(1, "shop", "j1", "John", home=HOME),
        _order(2, "ebay", "j2", "John", home=HOME),
        _order(3, "shop", "e1", "Elton John", home=far),
        _order(4, "shop", "k1", "Kim Park", home=far),
    ]
    again = [_order(5, "shop", "j1", "John", phone="2065550142", home=HOME, day=2)]
    full, step = _full_and_step(db_url, tmp_path, world)
    later = NOW + timedelta(hours=1)
    _sync_both(full, step, again, later)
    assert _snapshot(step) == _snapshot(full)


def test_a_spelling_no_longer_rare_unlinks_its_typo_pair_as_a_full_rebuild_does(
    db_url: str, tmp_path: object
) -> None:
    """ "Jonh" is a typo of "John" while it is rare; once four buyers spell it so, it is a
    name of its own and Jonh and John Smith under one roof are two people. The new Jonhs
    live elsewhere: the pair to unlink holds the key on one side only."""
    world = [
        _order(1, "shop", "p", "Jonh Smith", home=HOME),
        _order(2, "ebay", "q", "John Smith", home=HOME),
        *[_order(3 + n, "shop", f"j{n}", f"John Oak{n}x", home=_apart(n)) for n in range(3)],
        *[_order(6 + n, "shop", f"f{n}", f"Kim Elm{n}x", home=_apart(10 + n)) for n in range(4)],
    ]  # 9 buyers; 12 after the new Jonhs: the total's state stays
    jonhs = [_order(20 + n, "ebay", f"n{n}", f"Jonh Ash{n}x", home=_apart(5 + n)) for n in range(3)]
    full, step = _full_and_step(db_url, tmp_path, world)
    assert _customer_of(step, "p") == _customer_of(step, "q")
    later = NOW + timedelta(hours=1)
    _sync_both(full, step, jonhs, later)
    assert _customer_of(full, "p") != _customer_of(full, "q")
    assert _snapshot(step) == _snapshot(full)


def test_a_postal_code_no_longer_rare_leaves_its_holders_out_of_the_refresh(
    db_url: str, tmp_path: object
) -> None:
    """Only names are read for rarity (a rare spelling may be a typo): the fourth holder of a
    postal code refreshes itself alone, and the stores still agree with a full rebuild."""
    code = [replace(_apart(n), postal_code="98107") for n in range(4)]
    world = [
        *[_order(1 + n, "shop", f"h{n}", f"Kim Elm{n}x", home=code[n]) for n in range(3)],
        *[_order(4 + n, "shop", f"f{n}", f"Lee Ash{n}x", home=_apart(5 + n)) for n in range(6)],
    ]  # 9 buyers; 10 after the new one: the total's state stays
    new = [_order(20, "ebay", "n", "Ann Oak9x", home=code[3])]
    full, step = _full_and_step(db_url, tmp_path, world)
    with capture_logs() as logs:
        _sync_both(full, step, new, NOW + timedelta(hours=1))
    scopes = [x["scope"] for x in logs if x["event"] == "customers_rebuilt"]
    assert scopes[0] == 1  # the incremental refresh of ``step``; then the full one
    assert _snapshot(step) == _snapshot(full)


def _postal_code_holders(holders: int) -> list[Order]:
    """``holders`` buyers in the postal code 98101: Ann Lee twice behind one phone at HOME,
    Kim Park twice under one roof with no phone (when ``holders`` leaves room), the others
    each on a street of their own; then buyers elsewhere, 9 buyers in all."""
    elm = replace(HOME, address_line1="1 Elm Street")
    ann = [
        _order(1, "shop", "a1", "Ann Lee", phone="2065550142"),
        _order(2, "ebay", "a2", "Ann Lee", phone="206 555 0142"),
    ]
    kim = [
        _order(3, "shop", "k1", "Kim Park", home=elm),
        _order(4, "ebay", "k2", "Kim Park", home=elm),
    ]
    inside = [*ann, *kim][:holders]
    room = [replace(_apart(n), postal_code="98101") for n in range(holders - len(inside))]
    inside += [
        _order(10 + n, "shop", f"h{n}", f"Lou Elm{n}x", home=at) for n, at in enumerate(room)
    ]
    out = [
        _order(20 + n, "shop", f"f{n}", f"Lee Ash{n}x", home=_apart(5 + n))
        for n in range(9 - holders)
    ]
    return [*inside, *out]


def test_a_common_postal_code_growing_leaves_the_phone_links_of_its_holders_alone(
    db_url: str, tmp_path: object
) -> None:
    """An 8th holder takes a bit off what the postal code weighs: the name + address link
    of its holders is rescored, the link of the two sharing a phone is not (beside a shared
    phone a value held by more than 3 buyers weighs as one held by 4), and the stores still
    agree with a full rebuild."""
    full, step = _full_and_step(db_url, tmp_path, _postal_code_holders(7))
    [(phone_score, _)] = _link_rows(step, "a1")
    [(house_score, _)] = _link_rows(step, "k1")
    later = NOW + timedelta(hours=1)
    eighth = [_order(30, "shop", "n", "Ada Oak9x", home=replace(_apart(9), postal_code="98101"))]
    with capture_logs() as logs:
        _sync_both(full, step, eighth, later)
    assert _link_rows(step, "a1") == [(phone_score, NOW)]
    [(house_after, created)] = _link_rows(step, "k1")
    assert (house_after < house_score, created) == (True, later)
    (repaired,) = [x for x in logs if x["event"] == "identity_pairs_repaired"]
    assert (repaired["reweighed"], repaired["relinked"]) == (1, 1)
    assert _snapshot(step) == _snapshot(full)


def test_a_postal_code_reaching_four_holders_rescores_the_phone_links_of_its_holders(
    db_url: str, tmp_path: object
) -> None:
    """Below the cap how common a value is counts beside a shared phone too: a 4th holder
    of the postal code moves the score of the two sharing a phone, as a full rebuild does."""
    full, step = _full_and_step(db_url, tmp_path, _postal_code_holders(3))
    [(before, _)] = _link_rows(step, "a1")
    later = NOW + timedelta(hours=1)
    fourth = [_order(30, "shop", "n", "Ada Oak9x", home=replace(_apart(9), postal_code="98101"))]
    _sync_both(full, step, fourth, later)
    [(after, created)] = _link_rows(step, "a1")
    assert (after < before, created) == (True, later)
    assert _snapshot(step) == _snapshot(full)


SURNAMES = (
    "Abbot Barlow Cardew Dunmore Eastham Fairley Gorton Hadley Ingram Jessop Kenyon Lorimer "
    "Marsden Nuttall Ormerod Pennick Quayle Rushton Sugden Tetley Underhill Vickers Walmsley "
    "Yardley Ackroyd Bramall Crowther Dobson Entwistle Foxley Gledhill Haworth Illing Jowett "
    "Kershaw Lumb Mellor Normanton Oddie Pickles"
)


def _pair(n: int, *, typo: bool) -> list[Order]:
    """Two buyers of the ``fair`` list sharing a phone and a house: one sure link, its
    surnames a typo apart when ``typo``. Pairs share no name, place or phone digits."""
    surname = SURNAMES.split()[n]
    home = BuyerInfo(
        address_line1=f"{n + 1} {surname} Road",
        city=f"{surname}ville",
        postal_code=f"{10000 + 1111 * n}",
        country_code="US",
    )
    second = surname + surname[-1] if typo else surname
    phone = f"612 5{n:02d} {n:02d}{n:02d}"
    return [
        _order(100 + 2 * n, "fair", f"a{n}", f"Kim {surname}", phone=phone, home=home),
        _order(101 + 2 * n, "fair", f"b{n}", f"Kim {second}", phone=phone, home=home),
    ]


def _params(store: Store) -> dict[str, int]:
    p = schema.identity_params
    with store.engine.connect() as conn:
        return {name: value for name, value in conn.execute(select(p.c.name, p.c.value))}


@pytest.mark.parametrize("kept_counts", [True, False])
def test_an_account_turning_noisy_flips_its_policy_as_a_full_rebuild_does(
    db_url: str, tmp_path: object, kept_counts: bool
) -> None:
    """30 sure links without typos keep the list's first names strict; 10 more with typos
    make it noisy (a quarter): the incremental run counts them from the links it changed
    (or from the stored links, in a store that kept no counts yet), and relinks the
    household Anna and Erik Quill as the full rebuild does."""
    house = replace(HOME, address_line1="7 Cedar Lane")
    quills = [
        _order(1, "fair", "anna", "Anna Quill", home=house),
        _order(2, "fair", "erik", "Erik Quill", home=house),
    ]
    others = [_order(3 + n, "shop", f"o{n}", f"Pat Oak{n}x", home=_apart(n)) for n in range(2)]
    world = [*quills, *others, *[order for n in range(30) for order in _pair(n, typo=False)]]
    full, step = _full_and_step(db_url, tmp_path, world)  # 64 buyers; 84 later: same state
    assert (_params(step)["sure_links:fair"], _params(step)["noisy:fair"]) == (30, 0)
    assert _customer_of(step, "anna") != _customer_of(step, "erik")
    if not kept_counts:
        p = schema.identity_params
        with step.begin() as conn:
            conn.execute(delete(p).where(p.c.name.like("sure_%:fair")))
    later = NOW + timedelta(hours=1)
    _sync_both(full, step, [o for n in range(30, 40) for o in _pair(n, typo=True)], later)
    params = _params(step)
    assert (params["sure_links:fair"], params["sure_typos:fair"], params["noisy:fair"]) == (
        40,
        10,
        1,
    )
    assert _customer_of(step, "anna") == _customer_of(step, "erik")
    assert _snapshot(step) == _snapshot(full)


def test_every_link_belongs_to_its_first_buyers_customer_after_an_incremental_run(
    store: Store,
) -> None:
    """Cy shares the household's phone; the pair kept apart with Bo (whose customer is not
    recomputed) still belongs to Bo's customer."""
    _resolved_people(store)
    later = NOW + timedelta(hours=1)
    cy = [_order(30, "ebay", "cy", "Cy Lee", phone="206.555.0142", day=7)]
    rebuild_customers(store, _ingest(store, cy, later), base_currency="USD", now=later)
    t, b = schema.identity_links, schema.buyers
    with store.engine.connect() as conn:
        links = conn.execute(select(t.c.buyer_a, t.c.buyer_b, t.c.customer_id)).all()
        owner = {f"{a}:{k}": cid for a, k, cid in conn.execute(select(b.c.account_id,
                 b.c.buyer_key, b.c.customer_id))}  # fmt: skip
    assert ("ebay:bo_lee", "ebay:cy") in {(a, b) for a, b, _ in links}
    assert [(a, cid) for a, _, cid in links] == [(a, owner[a]) for a, _, _ in links]


def test_links_explain_a_customer(store: Store) -> None:
    _resolved_people(store)
    links = identity_links_for(store, _customer_of(store, "1001"))
    joined = [x for x in links if x.is_link]
    apart = [x for x in links if not x.is_link]
    assert {x.rule for x in joined} >= {"phone", "name_address"}
    assert all(x.customer_id == _customer_of(store, "1001") for x in links)
    phone = next(x for x in joined if x.rule == "phone")
    assert dict(phone.evidence)["phone"] == "same phone +12065550142"
    assert any("bo" in dict(x.evidence)["name"] for x in apart)
    assert links == sorted(links, key=lambda x: (not x.is_link, -x.score)) or joined


def test_the_report_feed_gives_each_customer_its_buyers_and_the_links_between_them(
    store: Store,
) -> None:
    _resolved_people(store)
    split_buyer(store, _customer_of(store, "1001"), "shop:1002", base_currency="USD", now=NOW)
    ann = _customer_of(store, "1001")
    stored = [x for x in identity_links_for(store, ann) if x.is_link]
    feed = {c.row.customer_id: c for c in feed_customers(store)}[ann]
    refs = {b.ref_text for b in feed.buyers}
    assert {b.buyer_key for b in feed.buyers} == ANN - {"1002"}
    assert [b.is_weak_key for b in feed.buyers if b.buyer_key == "weak:aaaa"] == [True]
    assert "shop:1002" in {x.buyer_b for x in stored}  # its links stay, owned by Ann's customer
    inside = {(x.buyer_a, x.buyer_b) for x in stored if {x.buyer_a, x.buyer_b} <= refs}
    assert {(x.buyer_a, x.buyer_b) for x in feed.links} == inside
    assert [x.score for x in feed.links] == sorted((x.score for x in feed.links), reverse=True)
    phone = next(x for x in feed.links if x.rule == "phone")
    assert json.loads(phone.evidence)["phone"] == "same phone +12065550142"


def test_a_missing_rate_names_the_currency_and_date(store: Store) -> None:
    _ingest(store, _people(), NOW)
    with pytest.raises(ConfigError, match=r"EUR to USD valid on 2026-01-05"):
        rebuild_customers(store, None, base_currency="USD", now=NOW)


def test_set_based_metrics_equal_the_per_customer_ones(store: Store) -> None:
    from custsync.pipeline.fx import FxTable
    from custsync.records import Feedback, PromoUse, Record, Return
    from custsync.store.customers import load_fx_rates
    from custsync.store.metrics_sql import customer_metrics

    _rates(store)
    set_fx_rate(store, FxRate("EUR", "USD", datetime(2026, 1, 4).date(), Decimal("1.25")))
    extra = _order(8, "shop", "1002", "Anne Lee", currency="EUR", total="3.00", day=2)
    _ingest(store, [*_people(), extra], NOW)
    events: list[Record] = [
        Return(AccountId("shop"), "R1", "O4", "SKU", 1, None, NOW),
        Feedback(AccountId("amazon"), "O1", 1, "bad", NOW),
        PromoUse(AccountId("shop"), "O3", "SPRING", Decimal("1.00"), "USD"),
    ]
    write_page(store, AccountId("shop"), S.RETURNS, Page(events, [], Cursor()), run_id="r", now=NOW)
    rebuild_customers(store, None, base_currency="USD", now=NOW)
    fx = FxTable.from_rates("USD", load_fx_rates(store))
    c = schema.customers
    with store.engine.connect() as conn:
        computed = customer_metrics(conn, fx)
        rows = conn.execute(select(c).where(c.c.merged_into.is_(None))).all()
        totals = conn.execute(select(schema.customer_totals)).all()
    assert len(computed) == len(rows) == 3
    for row in rows:
        m, money = computed[row.customer_id]
        assert (m.orders, m.units, m.amount_spent) == (row.orders, row.units, row.amount_spent)
        assert m.discount_received == row.discount_received
        assert ";".join(m.promo_codes) == row.promo_codes
        assert m.returned_units == row.returned_units
        assert m.negative_feedbacks == row.negative_feedbacks
        assert ";".join(m.seller_accounts) == row.seller_accounts
        assert (m.first_order_at, m.last_order_at) == (row.first_order_at, row.last_order_at)
        mine = [t for t in totals if t.customer_id == row.customer_id]
        stored = sorted((t.currency, t.orders, t.amount_spent) for t in mine)
        assert [(t.currency, t.orders, t.amount_spent) for t in money] == stored


def test_set_based_metrics_name_the_first_order_without_a_rate(store: Store) -> None:
    from custsync.pipeline.fx import FxTable
    from custsync.store.metrics_sql import customer_metrics

    _resolved_people(store)
    fx = FxTable.from_rates("USD", [])  # without the rates, EUR orders cannot be priced
    missing = pytest.raises(ConfigError, match=r"EUR to USD valid on 2026-01-05")
    with store.engine.connect() as conn, missing:
        customer_metrics(conn, fx)


def test_set_based_metrics_count_cancelled_orders_only_for_times_and_accounts(
    store: Store,
) -> None:
    from custsync.pipeline.fx import FxTable
    from custsync.store.customers import load_fx_rates
    from custsync.store.metrics_sql import customer_metrics

    _rates(store)
    phone = "+1 206 555 0142"
    early = _order(7, "shop", "1001", "Lee, Ann", phone=phone, day=1)
    only = _order(8, "etsy", "ann", "Ann Lee", phone=phone, day=9)
    cancelled = [replace(o, status=OrderStatus.CANCELLED) for o in (early, only)]
    _ingest(store, [*_people(), *cancelled], NOW)
    rebuild_customers(store, None, base_currency="USD", now=NOW)
    fx = FxTable.from_rates("USD", load_fx_rates(store))
    cid = _customer_of(store, "1001")
    assert _customer_of(store, "ann") == cid
    c = schema.customers
    with store.engine.connect() as conn:
        computed = customer_metrics(conn, fx)
        stored = conn.execute(select(c).where(c.c.customer_id == cid)).one()
    m, money = computed[cid]
    assert m.first_order_at == datetime(2026, 1, 1, tzinfo=UTC) == stored.first_order_at
    assert m.last_order_at == datetime(2026, 1, 9, tzinfo=UTC) == stored.last_order_at
    assert "etsy" in m.seller_accounts
    assert ";".join(m.seller_accounts) == stored.seller_accounts
    assert (m.orders, m.amount_spent) == (stored.orders, stored.amount_spent)
    assert sum(t.orders for t in money) == m.orders


def test_set_based_metrics_price_from_the_first_order_not_cancelled(store: Store) -> None:
    """A cancelled order older than every rate of its currency is never priced: the first
    order not cancelled of its customer and currency is the one a rate must cover."""
    from custsync.pipeline.fx import FxTable
    from custsync.store.customers import load_fx_rates
    from custsync.store.metrics_sql import customer_metrics

    set_fx_rate(store, FxRate("EUR", "USD", datetime(2026, 1, 4).date(), Decimal("1.25")))
    early = _order(9, "shop", "1002", "Anne Lee", currency="EUR", total="3.00", day=2)
    _ingest(store, [*_people(), replace(early, status=OrderStatus.CANCELLED)], NOW)
    rebuild_customers(store, None, base_currency="USD", now=NOW)
    cid = _customer_of(store, "1002")
    c = schema.customers
    with store.engine.connect() as conn:
        computed = customer_metrics(conn, FxTable.from_rates("USD", load_fx_rates(store)))
        stored = conn.execute(select(c).where(c.c.customer_id == cid)).one()
        m, money = computed[cid]
        assert (m.orders, m.amount_spent) == (stored.orders, stored.amount_spent)
        assert m.first_order_at == datetime(2026, 1, 1, tzinfo=UTC) == stored.first_order_at
        assert [(t.currency, t.orders, t.amount_spent) for t in money if t.currency == "EUR"] == [
            ("EUR", 1, Decimal("8.00"))
        ]
        late = FxRate("EUR", "USD", datetime(2026, 1, 6).date(), Decimal("1.10"))
        with pytest.raises(ConfigError, match=r"EUR to USD valid on 2026-01-05"):
            customer_metrics(conn, FxTable.from_rates("USD", [late]))


def test_set_based_metrics_name_an_order_older_than_the_only_rate(store: Store) -> None:
    from custsync.pipeline.fx import FxTable
    from custsync.store.metrics_sql import customer_metrics

    _resolved_people(store)
    late = FxRate("EUR", "USD", datetime(2026, 1, 6).date(), Decimal("1.10"))
    fx = FxTable.from_rates("USD", [late])  # the EUR order of 2026-01-05 is older
    missing = pytest.raises(ConfigError, match=r"EUR to USD valid on 2026-01-05")
    with store.engine.connect() as conn, missing:
        customer_metrics(conn, fx)


def test_new_rates_reprice_every_customer_without_touching_identities(store: Store) -> None:
    from custsync.curation import set_rates

    _resolved_people(store)
    groups = _groups(store)
    new = FxRate("EUR", "USD", datetime(2020, 1, 1).date(), Decimal("2.00"))
    assert set_rates(store, [new], base_currency="USD", now=NOW) == 1
    assert _groups(store) == groups
    with store.engine.connect() as conn:
        spent = conn.execute(
            select(schema.customers.c.amount_spent).where(
                schema.customers.c.seller_accounts == "amazon;shop"
            )
        ).scalar_one()
    assert spent == Decimal("56.00")


def test_a_new_rate_rewrites_only_the_customers_it_reprices(store: Store) -> None:
    from structlog.testing import capture_logs

    from custsync.curation import set_rates

    _resolved_people(store)
    later = NOW + timedelta(days=1)
    c, t = schema.customers, schema.customer_totals
    with store.engine.connect() as conn:
        before = {r.customer_id: r for r in conn.execute(select(c))}
        totals = conn.execute(select(t).order_by(t.c.customer_id, t.c.currency)).all()
    same = FxRate("EUR", "USD", datetime(2020, 1, 1).date(), Decimal("1.10"))
    new = FxRate("EUR", "USD", datetime(2020, 1, 1).date(), Decimal("2.00"))
    with capture_logs() as logs:
        assert set_rates(store, [same], base_currency="USD", now=later) == 1
        with store.engine.connect() as conn:
            assert {r.customer_id: r for r in conn.execute(select(c))} == before  # nothing moved
        assert set_rates(store, [new], base_currency="USD", now=later) == 1
    with store.engine.connect() as conn:
        after = {r.customer_id: r for r in conn.execute(select(c))}
        assert conn.execute(select(t).order_by(t.c.customer_id, t.c.currency)).all() == totals
    repriced = {cid for cid, row in after.items() if row.updated_at == later}
    assert repriced == {row.customer_id for row in totals if row.currency == "EUR"} != set()
    for cid in repriced:
        assert after[cid].amount_spent > before[cid].amount_spent
    for cid in after.keys() - repriced:
        assert after[cid] == before[cid]
    refreshed = [x["rewritten"] for x in logs if x["event"] == "metrics_refreshed"]
    assert refreshed == [0, len(repriced)]


def test_a_refresh_rewrites_only_the_customers_whose_money_moved(store: Store) -> None:
    from custsync.pipeline.fx import FxTable
    from custsync.store.customers import load_fx_rates
    from custsync.store.metrics_sql import customer_metrics
    from custsync.store.metrics_write import write_metrics

    _resolved_people(store)
    t = schema.customer_totals
    with store.engine.connect() as conn:
        in_euros = set(conn.scalars(select(t.c.customer_id).where(t.c.currency == "EUR")))
        totals = set(conn.execute(select(t)).all())
    fx = FxTable.from_rates("USD", load_fx_rates(store))
    with store.begin() as conn:
        assert write_metrics(conn, customer_metrics(conn, fx), now=NOW) == 0
    doubled = FxRate("EUR", "USD", datetime(2019, 1, 1).date(), Decimal("2.00"))
    with store.begin() as conn:
        rewritten = write_metrics(
            conn, customer_metrics(conn, FxTable.from_rates("USD", [doubled])), now=NOW
        )
        assert rewritten == len(in_euros) == 1
        cid = next(iter(in_euros))
        spent = conn.execute(
            select(schema.customers.c.amount_spent).where(schema.customers.c.customer_id == cid)
        ).scalar_one()
        usd = conn.execute(
            select(t.c.amount_spent).where(t.c.customer_id == cid, t.c.currency == "USD")
        ).scalar_one()
        assert spent == usd + Decimal("16.00")
        assert set(conn.execute(select(t)).all()) == totals  # original currencies did not move


def test_set_based_metrics_round_half_cents_to_even_like_the_per_customer_ones(
    store: Store,
) -> None:
    from custsync.pipeline.fx import FxTable
    from custsync.store.metrics_sql import customer_metrics

    half = FxRate("EUR", "USD", datetime(2020, 1, 1).date(), Decimal("0.5"))
    set_fx_rate(store, half)
    alone = _order(1, "shop", "2001", "Cy Moss", currency="EUR", total="0.05")  # 2.5 cents
    twice = [  # 0.07 + 0.08 = 7.5 cents over two orders, rounded once
        _order(2, "shop", "2002", "Di Ray", currency="EUR", total="0.07"),
        _order(3, "shop", "2002", "Di Ray", currency="EUR", total="0.08", day=2),
    ]
    _ingest(store, [alone, *twice], NOW)
    rebuild_customers(store, None, base_currency="USD", now=NOW)
    c = schema.customers
    with store.engine.connect() as conn:
        computed = customer_metrics(conn, FxTable.from_rates("USD", [half]))
        stored = dict(conn.execute(select(c.c.customer_id, c.c.amount_spent)).all())
    spent = {cid: computed[cid][0].amount_spent for cid in computed}
    assert sorted(spent.values()) == [Decimal("0.02"), Decimal("0.08")]
    assert spent == stored


def test_an_incremental_run_reads_the_key_states_its_scores_need_at_once(store: Store) -> None:
    """Scores ask for the states of the values two buyers share; a sync reads them with the
    pairs' other states, not one query per value as scores ask (a round trip each on
    PostgreSQL, hundreds per sync of a large store)."""
    _resolved_people(store)
    later = NOW + timedelta(hours=1)
    new = [_order(8, "shop", "1003", "Ann Lee", phone="2065550199", day=8)]
    touched = _ingest(store, new, later)
    reads: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        if "FROM identity_key_counts" in statement:
            reads.append(statement)

    sql_event.listen(store.engine, "before_cursor_execute", seen)
    try:
        rebuild_customers(store, touched, base_currency="USD", now=later)
    finally:
        sql_event.remove(store.engine, "before_cursor_execute", seen)
    assert _customer_of(store, "1003") == _customer_of(store, "1001")
    # the keys that moved, before they are written (their counts after are counted, not read;
    # they are all the new buyer's blocking keys); the pairs' frequency keys
    assert len(reads) == 2


def _holders(store: Store) -> dict[str, int]:
    k = schema.identity_keys
    with store.engine.connect() as conn:
        return dict(Counter(str(key) for (key,) in conn.execute(select(k.c.key))))


def _counts(statement: str) -> bool:
    """Whether ``statement`` reads how many buyers hold some keys (a count row, or else the
    one holder's row)."""
    return statement.startswith(("SELECT key, holders FROM", "SELECT key FROM identity_keys"))


def _keys_in(params: object) -> set[str]:
    """The keys a lookup passed (SQLite: one mark each; PostgreSQL: one array)."""
    values = params if isinstance(params, tuple | list) else ()
    found = [v for value in values for v in (value if isinstance(value, list) else [value])]
    return {v for v in found if isinstance(v, str)}


def test_the_scores_do_not_read_again_the_counts_a_sync_has_just_written(store: Store) -> None:
    _resolved_people(store)
    before = _holders(store)
    later = NOW + timedelta(hours=1)
    new = [_order(8, "shop", "1003", "Ann Lee", phone="2065550199", day=8)]
    touched = _ingest(store, new, later)
    seen: list[tuple[str, object]] = []

    def record(_conn: object, _cursor: object, statement: str, params: object, *_: object) -> None:
        seen.append((statement, params))

    sql_event.listen(store.engine, "before_cursor_execute", record)
    try:
        rebuild_customers(store, touched, base_currency="USD", now=later)
    finally:
        sql_event.remove(store.engine, "before_cursor_execute", record)
    after = _holders(store)
    moved = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert {"p:+12065550199", "n:ann|lee"} & moved
    wrote = next(i for i, (st, _) in enumerate(seen) if st.startswith("INSERT INTO identity_keys"))
    counted = [(i, _keys_in(params)) for i, (st, params) in enumerate(seen) if _counts(st)]
    assert moved <= {key for i, keys in counted if i < wrote for key in keys}  # read once
    assert not moved & {key for i, keys in counted if i > wrote for key in keys}


def test_profiled_buyers_are_counted_only_as_far_as_asked(store: Store) -> None:
    """A sync needs the count of profiled buyers only up to where its state stops growing."""
    _resolved_people(store)
    b = schema.buyers
    with store.engine.connect() as conn:
        held = len(conn.execute(select(b.c.buyer_key).where(b.c.profile.is_not(None))).all())
        assert held > 2
        assert profiled_buyer_count(conn, at_most=1000) == held
        assert profiled_buyer_count(conn, at_most=2) == 2


def test_compare_names_the_operator_split_and_the_links_across(store: Store) -> None:
    _resolved_people(store)
    ann = _customer_of(store, "1001")
    split = split_buyer(store, ann, "shop:1002", base_currency="USD", now=NOW)
    found = compare_customers(store, split, ann)
    assert found.apart == "an operator took shop:1002 out of automatic linking (customers split)"
    assert [p.b for p in found.pairs] == sorted(p.b for p in found.pairs)  # all linked, a tie
    first = found.pairs[0].verdict
    assert (first.outcome, first.rule) == (Outcome.LINKED, "name_address")
    assert dict(first.evidence)["name"] == "first names ann ~ anne, same surname lee"
    namesake = compare_customers(store, _customer_of(store, "ann2"), ann)
    assert namesake.apart is None
    assert {p.verdict.outcome for p in namesake.pairs} == {Outcome.NO_LINK}


def test_the_customers_nearest_one_are_those_its_buyers_were_compared_with(store: Store) -> None:
    _resolved_people(store)
    ann = _customer_of(store, "1001")
    found = nearest_customers(store, ann)
    assert found.customer.customer_id == ann
    near = [(n.side.customer_id, n.closest.verdict.outcome) for n in found.neighbours]
    assert near == [
        (_customer_of(store, "bo_lee"), Outcome.KEPT_APART),
        (_customer_of(store, "ann2"), Outcome.NO_LINK),
    ]
    household = found.neighbours[0]
    why = household.closest.verdict.reason
    assert why == "two people behind one phone: their first names differ"
    assert household.compared == 4  # Bo lives in the house of Ann's four buyers
    (back,) = nearest_customers(store, _customer_of(store, "bo_lee")).neighbours
    assert back.side.customer_id == ann
