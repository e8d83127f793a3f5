"""Identity rows as an incremental refresh writes and reads them: keys and their counts, key
states read on demand, links rewritten in place, and the sure links a name policy is learnt
from."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import inspect, select

from custsync.pipeline.identity import Link
from custsync.pipeline.scoring import Rule
from custsync.pipeline.states import TOTAL_KEY, key_state
from custsync.records import AccountId, BuyerKey
from custsync.store import schema
from custsync.store.db import Store
from custsync.store.identity import (
    add_links,
    links_between,
    replace_links,
    set_link_customers,
    sure_link_counts,
)
from custsync.store.identity_keys import (
    StoredStates,
    key_counts,
    replace_keys,
    store_all_keys,
)

T0 = datetime(2026, 3, 1, tzinfo=UTC)
T1 = datetime(2026, 3, 2, tzinfo=UTC)


def _ref(account: str, key: str) -> tuple[AccountId, BuyerKey]:
    return AccountId(account), BuyerKey(key)


A, B, C, D = _ref("shop", "a"), _ref("shop", "b"), _ref("shop", "c"), _ref("ebay", "d")


def _counts(store: Store) -> dict[str, int]:
    c = schema.identity_key_counts
    with store.engine.connect() as conn:
        return {key: n for key, n in conn.execute(select(c.c.key, c.c.holders))}


def _keys(store: Store) -> dict[tuple[AccountId, BuyerKey], set[str]]:
    k = schema.identity_keys
    found: dict[tuple[AccountId, BuyerKey], set[str]] = {}
    with store.engine.connect() as conn:
        for key, account, buyer_key in conn.execute(select(k.c.key, k.c.account_id, k.c.buyer_key)):
            found.setdefault(_ref(account, buyer_key), set()).add(key)
    return found


def test_replacing_keys_keeps_rows_and_counts_as_if_written_anew(store: Store) -> None:
    with store.begin() as conn:
        replace_keys(conn, {A: {"p:1", "L:lee"}, B: {"p:1", "L:kim"}})
    assert _counts(store) == {"p:1": 2}
    with store.begin() as conn:
        moved = replace_keys(conn, {A: {"p:2", "L:lee"}, C: {"p:2"}}, {A: {"p:1", "L:lee"}})
    assert moved == {"p:1": (2, 1), "p:2": (0, 2)}
    assert _keys(store) == {A: {"p:2", "L:lee"}, B: {"p:1", "L:kim"}, C: {"p:2"}}
    assert _counts(store) == {"p:2": 2}  # a key held by one buyer has no count row
    with store.engine.connect() as conn:
        found = key_counts(conn, ["p:1", "p:2", "L:lee", "L:kim", "L:nobody"])
    assert found == {"p:1": 1, "p:2": 2, "L:lee": 1, "L:kim": 1}


def test_a_key_losing_its_second_holder_loses_its_count_row(store: Store) -> None:
    with store.begin() as conn:
        replace_keys(conn, {A: {"p:1"}, B: {"p:1"}, C: {"p:1"}})
    with store.begin() as conn:
        assert replace_keys(conn, {B: set()}, {B: {"p:1"}}) == {"p:1": (3, 2)}
    assert _counts(store) == {"p:1": 2}
    with store.begin() as conn:
        assert replace_keys(conn, {A: {"p:9"}}, {A: {"p:1"}}) == {"p:1": (2, 1), "p:9": (0, 1)}
    assert _counts(store) == {}
    with store.begin() as conn:
        assert replace_keys(conn, {C: set()}, {C: {"p:1"}}) == {"p:1": (1, 0)}
    with store.engine.connect() as conn:
        assert key_counts(conn, ["p:1", "p:9"]) == {"p:9": 1}


def test_a_full_run_stores_every_key_anew_and_counts_the_shared_ones(store: Store) -> None:
    with store.begin() as conn:
        replace_keys(conn, {A: {"p:1", "L:lee"}, B: {"p:1"}})
    with store.begin() as conn:
        store_all_keys(conn, {"p:2": [A, C], "h:9": [B]}, {"L:kim": [D, A, B]})
    assert _keys(store) == {
        A: {"p:2", "L:kim"},
        B: {"h:9", "L:kim"},
        C: {"p:2"},
        D: {"L:kim"},
    }
    assert _counts(store) == {"p:2": 2, "L:kim": 3}
    with store.engine.connect() as conn:
        assert key_counts(conn, ["h:9", "p:1"]) == {"h:9": 1}
        assert inspect(conn).get_indexes("identity_keys") == []


def test_stored_states_read_keys_not_fetched_when_asked(store: Store) -> None:
    with store.begin() as conn:
        replace_keys(conn, {A: {"L:lee", "F:ann"}, B: {"L:lee"}, C: {"L:lee"}})
    with store.engine.connect() as conn:
        states = StoredStates(conn, {TOTAL_KEY: 12})
        states.fetch(["F:ann"])
        assert states.get("F:ann") == key_state(1)
        assert states.get("L:lee", 0) == key_state(3)  # never fetched: read on demand
        assert states["L:lee"] == key_state(3)
        assert states.get("L:nobody") is None
        assert states.get("L:nobody", 0) == 0
        assert "L:lee" in states
        assert "L:nobody" not in states
        assert states.get(TOTAL_KEY) == 12
        assert sorted(states) == sorted([TOTAL_KEY, "F:ann", "L:lee"])


def _link(a: tuple[AccountId, BuyerKey], b: tuple[AccountId, BuyerKey], score: float) -> Link:
    return Link(a, b, Rule.PHONE, score, (("phone", "same phone"),), is_sure=True)


def _rows(store: Store) -> dict[tuple[str, str], tuple[object, ...]]:
    t = schema.identity_links
    query = select(t.c.buyer_a, t.c.buyer_b, t.c.link_id, t.c.customer_id, t.c.score)
    with store.engine.connect() as conn:
        return {(a, b): (i, cid, score) for a, b, i, cid, score in conn.execute(query)}


def test_links_of_pairs_kept_are_rewritten_in_place(store: Store) -> None:
    with store.begin() as conn:
        add_links(conn, [_link(A, B, 20.0), _link(A, C, 21.0)], now=T0)
        set_link_customers(conn, {A: "C1"})
    before = _rows(store)
    with store.begin() as conn:
        old = links_between(conn, {(A, B), (A, C), (B, C)})
        replace_links(conn, old, [_link(A, B, 25.0), _link(B, C, 22.0)], now=T1)
    after = _rows(store)
    assert set(after) == {("shop:a", "shop:b"), ("shop:b", "shop:c")}
    link_id, _, _ = before[("shop:a", "shop:b")]
    assert after[("shop:a", "shop:b")] == (link_id, "C1", 25.0)  # same row, new score
    assert after[("shop:b", "shop:c")][1:] == ("", 22.0)  # a new row, its customer to come
    with store.engine.connect() as conn:
        assert links_between(conn, {(A, B)}) == [_link(A, B, 25.0)]


def test_links_rewritten_together_may_score_whole_numbers_and_fractions(store: Store) -> None:
    with store.begin() as conn:
        add_links(conn, [_link(A, B, 20.0), _link(A, C, 21.0)], now=T0)
    with store.begin() as conn:
        old = links_between(conn, {(A, B), (A, C)})
        replace_links(conn, old, [_link(A, B, 25), _link(A, C, 21.5)], now=T1)
    assert {pair: score for pair, (_, _, score) in _rows(store).items()} == {
        ("shop:a", "shop:b"): 25.0,
        ("shop:a", "shop:c"): 21.5,
    }


def test_sure_links_are_counted_per_account_both_ends_in_it(store: Store) -> None:
    typo = Link(A, C, Rule.NAME_ADDRESS, 18.0, is_sure=True, has_typos=True)
    unsure = Link(B, C, Rule.NAME_ADDRESS, 13.0)
    with store.begin() as conn:
        add_links(conn, [_link(A, B, 20.0), typo, unsure, _link(A, D, 20.0)], now=T0)
        found = sure_link_counts(conn, ["shop", "ebay", "etsy"])
    assert found == {"shop": (2, 1), "ebay": (0, 0), "etsy": (0, 0)}


def test_replacing_links_says_how_each_accounts_sure_links_moved(store: Store) -> None:
    typo = Link(A, C, Rule.NAME_ADDRESS, 18.0, is_sure=True, has_typos=True)
    with store.begin() as conn:
        add_links(conn, [_link(A, B, 20.0), typo, _link(A, D, 20.0)], now=T0)
    with store.begin() as conn:
        old = links_between(conn, {(A, B), (A, C), (A, D), (B, C)})
        unsure = Link(A, B, Rule.NAME_ADDRESS, 13.0)  # was sure
        moves = replace_links(conn, old, [unsure, _link(B, C, 22.0)], now=T1)
        found = sure_link_counts(conn, ["shop", "ebay"])
    assert moves == {"shop": (-1, -1)}  # A-B and A-C lost, B-C gained; A-D is across accounts
    assert found == {"shop": (1, 0), "ebay": (0, 0)}
