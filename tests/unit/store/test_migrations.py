from __future__ import annotations

from datetime import UTC, datetime

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select, text

from custsync.store import schema
from custsync.store.db import Store, is_current, open_store, upgrade
from custsync.store.identity_keys import key_counts
from custsync.store.schema import metadata


def test_migrations_build_exactly_the_declared_schema(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_upgrade_twice_is_harmless(store: Store) -> None:
    upgrade(store)
    assert is_current(store)


def test_the_key_tables_keep_their_rows_when_stored_in_key_order(db_url: str) -> None:
    store = open_store(db_url)
    upgrade(store, "0010")
    keys = [("n:ann|lee", "a1", "b1"), ("n:ann|lee", "a2", "b7"), ("p:+14155550100", "a1", "b1")]
    counts = [("n:ann|lee", 2), ("p:+14155550100", 1)]
    k, c = schema.identity_keys, schema.identity_key_counts
    with store.begin() as conn:
        conn.execute(
            insert(k), [dict(zip(("key", "account_id", "buyer_key"), r, strict=True)) for r in keys]
        )
        conn.execute(insert(c), [{"key": key, "holders": n} for key, n in counts])
    upgrade(store, "0013")
    with store.engine.connect() as conn:
        assert sorted(tuple(row) for row in conn.execute(select(k))) == keys
        assert sorted(tuple(row) for row in conn.execute(select(c))) == counts
        if store.dialect == "sqlite":
            made = conn.execute(text("SELECT name, sql FROM sqlite_master WHERE type = 'table'"))
            clustered = {name for name, sql in made if sql.rstrip().endswith("WITHOUT ROWID")}
            assert clustered == {"identity_keys", "identity_key_counts"}
            indexes = conn.execute(text("PRAGMA index_list(identity_keys)")).all()
            assert "ix_identity_keys_buyer" in {row[1] for row in indexes}
    store.dispose()


def test_key_counts_stay_for_shared_keys_only_and_read_alike(db_url: str) -> None:
    store = open_store(db_url)
    upgrade(store, "0013")
    keys = [("n:ann|lee", "a1", "b1"), ("n:ann|lee", "a2", "b7"), ("p:+14155550100", "a1", "b1")]
    k, c = schema.identity_keys, schema.identity_key_counts
    with store.begin() as conn:
        conn.execute(
            insert(k), [dict(zip(("key", "account_id", "buyer_key"), r, strict=True)) for r in keys]
        )
        conn.execute(
            insert(c), [{"key": "n:ann|lee", "holders": 2}, {"key": "p:+14155550100", "holders": 1}]
        )
    upgrade(store)
    with store.engine.connect() as conn:
        assert sorted(tuple(row) for row in conn.execute(select(k))) == keys
        assert sorted(tuple(row) for row in conn.execute(select(c))) == [("n:ann|lee", 2)]
        assert key_counts(conn, ["n:ann|lee", "p:+14155550100", "p:1"]) == {
            "n:ann|lee": 2,
            "p:+14155550100": 1,
        }
        assert inspect(conn).get_indexes("identity_keys") == []
    store.dispose()


def test_notes_and_watchlist_entries_of_merged_customers_move_to_where_they_point(
    db_url: str,
) -> None:
    store = open_store(db_url)
    upgrade(store, "0014")
    at = datetime(2026, 3, 1, tzinfo=UTC)
    customer = {"orders": 0, "units": 0, "amount_spent": 0, "currency": "USD",
                "discount_received": 0, "updated_at": at}  # fmt: skip
    chain = {"CA": "CB", "CB": "CC", "CD": "CC", "CE": None, "CC": None}  # CA → CB → CC
    c, n, w = schema.customers, schema.customer_notes, schema.watchlist
    with store.begin() as conn:
        conn.execute(
            insert(c), [customer | {"customer_id": k, "merged_into": v} for k, v in chain.items()]
        )
        notes = [("CA", "first"), ("CC", "second"), ("CE", "apart")]
        conn.execute(
            insert(n),
            [{"customer_id": k, "body": b, "created_at": at, "updated_at": at} for k, b in notes],
        )
        entries = [("CA", "chargebacks"), ("CD", None), ("CC", "returns"), ("CE", "apart")]
        conn.execute(
            insert(w), [{"customer_id": k, "reason": r, "added_at": at} for k, r in entries]
        )
    upgrade(store)
    with store.engine.connect() as conn:
        assert sorted(tuple(r) for r in conn.execute(select(n.c.customer_id, n.c.body))) == [
            ("CC", "first"),
            ("CC", "second"),
            ("CE", "apart"),
        ]
        watched = sorted(tuple(r) for r in conn.execute(select(w.c.customer_id, w.c.reason)))
    assert watched == [("CC", "returns; chargebacks"), ("CE", "apart")]
    store.dispose()
