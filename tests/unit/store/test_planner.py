"""Plans inside a long rebuild: the tables it fills are analyzed as they grow, so a lookup of
many buyers by key stays an index lookup instead of a scan of their whole account; the keys
it loads are analyzed once loaded."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import Connection, delete

from custsync.records import AccountId, BuyerKey
from custsync.store import schema
from custsync.store.db import Store, open_store, upgrade
from custsync.store.identity_keys import key_members, store_all_keys
from custsync.store.planner import GrowthStats
from custsync.store.refs import pair_filters
from custsync.store.state import register_account

NOW = datetime(2026, 3, 1, tzinfo=UTC)
BUYERS = 200_000  # where reading the account costs more than 500 index lookups
KEY_HOLDERS = 40_000


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    store = open_store(pg_url)
    upgrade(store)
    register_account(store, AccountId("shop"), "shopify", None, now=NOW)
    yield store
    store.dispose()


def _fill(conn: Connection) -> None:
    conn.exec_driver_sql(
        "INSERT INTO buyers (account_id, buyer_key, marketplace, customer_id, is_weak_key,"
        " updated_at) SELECT 'shop', 'b' || lpad(g::text, 6, '0'), 'shopify', 'c' || g,"
        f" false, now() FROM generate_series(0, {BUYERS - 1}) AS g"
    )


def _plan_of_a_batch_delete(conn: Connection) -> str:
    b = schema.buyers
    refs = [("shop", f"b{i:06}") for i in range(0, 1000, 2)]
    (where,) = pair_filters(b.c.account_id, b.c.buyer_key, refs)
    compiled = (
        delete(b).where(where).compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
    )
    return "\n".join(row[0] for row in conn.exec_driver_sql(f"EXPLAIN {compiled}"))


def _looks_keys_up(plan: str) -> bool:
    """Whether the plan finds the buyers by their keys in the index (not every buyer of the
    account, matched to the keys afterwards)."""
    conditions = [line for line in plan.splitlines() if "Index Cond:" in line]
    return any("buyer_key" in line for line in conditions)


@pytest.mark.postgres
def test_a_full_run_keeps_batch_lookups_on_the_index_as_its_tables_fill(
    pg_store: Store,
) -> None:
    with pg_store.begin() as conn:
        _fill(conn)  # as a full run does, inside its transaction: no statistics yet
        before = _plan_of_a_batch_delete(conn)
        GrowthStats(conn, enabled=True).wrote(BUYERS)
        after = _plan_of_a_batch_delete(conn)
    assert not _looks_keys_up(before)  # every buyer of the account read
    assert _looks_keys_up(after)


@pytest.mark.postgres
def test_an_incremental_run_leaves_statistics_to_autovacuum(pg_store: Store) -> None:
    with pg_store.begin() as conn:
        _fill(conn)
        GrowthStats(conn, enabled=False).wrote(BUYERS)
        plan = _plan_of_a_batch_delete(conn)
    assert not _looks_keys_up(plan)


@pytest.mark.postgres
def test_keys_loaded_by_a_full_run_come_with_planner_statistics(pg_store: Store) -> None:
    refs = [(AccountId("shop"), BuyerKey(f"b{i:06}")) for i in range(KEY_HOLDERS)]
    keys = KEY_HOLDERS // 4
    members = {f"N:name{i}": refs[i::keys] for i in range(keys)}  # four holders each
    wanted = sorted(members)[::100]
    stats = (
        "SELECT tablename, n_distinct FROM pg_stats WHERE attname = 'key'"
        " AND tablename IN ('identity_keys', 'identity_key_counts') ORDER BY tablename"
    )
    with pg_store.begin() as conn:
        store_all_keys(conn, members)
        found = [(table, float(n)) for table, n in conn.exec_driver_sql(stats)]
        assert key_members(conn, wanted) == {key: members[key] for key in wanted}
    assert [table for table, _ in found] == ["identity_key_counts", "identity_keys"]
    assert all(n != 0 for _, n in found)  # distinct keys known: lookups are costed as such


@pytest.mark.postgres
def test_the_last_statistics_see_the_links_with_their_customers(pg_store: Store) -> None:
    common = (
        "SELECT most_common_vals::text FROM pg_stats"
        " WHERE tablename = 'identity_links' AND attname = 'customer_id'"
    )
    with pg_store.begin() as conn:
        stats = GrowthStats(conn, enabled=True)
        conn.exec_driver_sql(
            "INSERT INTO identity_links (customer_id, buyer_a, buyer_b, rule, score, evidence,"
            " created_at) SELECT '', 'shop:a' || g, 'shop:b' || g, 'phone', 20, '', now()"
            " FROM generate_series(1, 5000) AS g"
        )  # as a full run stores them: customers come after every customer is written
        stats.wrote(1)
        while_written = conn.exec_driver_sql(common).scalar()
        conn.exec_driver_sql("UPDATE identity_links SET customer_id = 'c' || (link_id / 2)")
        stats.finish()
        finished = conn.exec_driver_sql(common).scalar()
    assert while_written == '{""}'
    assert finished is not None
    assert '""' not in finished
