"""Selecting rows by lists of values: ``one_of`` (a joined array on PostgreSQL, ``IN`` on
SQLite), the per-account pair filters built on it, and ``rows_in`` (driver SQL: a joined
binary array on PostgreSQL); writing rows over arrays on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    event,
    insert,
    select,
)

from custsync.store import refs
from custsync.store.db import Store, open_store
from custsync.store.refs import one_of, pair_filters
from custsync.store.types import Money, UtcDateTime

_META = MetaData()
_ROWS = Table(
    "refs_probe",
    _META,
    Column("account_id", String(64), primary_key=True),
    Column("key", String(255), primary_key=True),
)
_KEYS = ["a", "b,c", 'd"e', "{f}", "g h", "Ünïcode", "NULL", ""]


@pytest.fixture
def rows(store: Store) -> Store:
    _META.create_all(store.engine)
    with store.begin() as conn:
        conn.execute(
            insert(_ROWS), [{"account_id": acc, "key": k} for acc in ("x", "y") for k in _KEYS]
        )
    return store


@pytest.mark.parametrize(
    "wanted",
    [["a"], ["b,c", 'd"e', "{f}"], [], ["g h", "Ünïcode", "NULL", "", "absent"], _KEYS],
)
def test_one_of_selects_exactly_the_listed_values(rows: Store, wanted: list[str]) -> None:
    query = select(_ROWS.c.key).where(_ROWS.c.account_id == "x", one_of(_ROWS.c.key, wanted))
    with rows.engine.connect() as conn:
        found = sorted(k for (k,) in conn.execute(query))
        again = sorted(k for (k,) in conn.execute(query))  # the cached statement, new values
    assert found == again == sorted(set(wanted) & set(_KEYS))


@pytest.mark.parametrize("wanted", [["a"], ["g h", "Ünïcode", "NULL", "", "absent"], _KEYS])
def test_rows_in_selects_exactly_the_listed_values(rows: Store, wanted: list[str]) -> None:
    query = "SELECT key FROM refs_probe WHERE account_id = %s AND key {}"
    with rows.engine.connect() as conn:
        found = sorted(k for (k,) in refs.rows_in(conn, query, wanted, ("x",)))
    assert found == sorted(set(wanted) & set(_KEYS))


def test_one_of_is_one_array_on_postgresql_and_an_indexed_in_list_on_sqlite(
    rows: Store,
) -> None:
    query = select(_ROWS.c.key).where(_ROWS.c.account_id == "x", one_of(_ROWS.c.key, ["a", "b"]))
    dialect = rows.engine.dialect
    sql = str(query.compile(dialect=dialect))
    if dialect.name == "postgresql":
        assert "refs_probe.key IN (SELECT unnest(%(param_1)s::VARCHAR(255)[])" in sql
        assert sql.count("%(") == 2  # the account and the one array
        return
    assert 'refs_probe."key" IN (__[POSTCOMPILE_key_1])' in sql
    assert "= 1" not in sql
    plain = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    with rows.engine.connect() as conn:
        steps = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {plain}")
        plan = " ".join(str(row[-1]) for row in steps)
    assert "SEARCH refs_probe USING" in plan
    assert "key=?" in plan


def test_pair_filters_select_exactly_the_pairs_across_accounts(rows: Store) -> None:
    pairs = [("x", "a"), ("y", "{f}"), ("y", 'd"e'), ("z", "a"), ("x", "absent")]
    with rows.engine.connect() as conn:
        found = {
            (acc, k)
            for where in pair_filters(_ROWS.c.account_id, _ROWS.c.key, pairs)
            for acc, k in conn.execute(select(_ROWS.c.account_id, _ROWS.c.key).where(where))
        }
    assert found == {("x", "a"), ("y", "{f}"), ("y", 'd"e')}


@pytest.mark.postgres
def test_over_arrays_runs_a_statement_over_every_row_in_chunks(
    pg_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = open_store(pg_url)
    _META.create_all(store.engine)
    monkeypatch.setattr(refs, "ARRAY_ROWS", 3)  # 8 rows: three statements
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    insert_rows = (
        "INSERT INTO refs_probe (account_id, key) SELECT * FROM unnest(%b::text[], %b::text[])"
    )
    with store.begin() as conn:
        refs.over_arrays(conn, insert_rows, [("x", k) for k in _KEYS])
        refs.over_arrays(conn, insert_rows, [])
        found = sorted(k for (k,) in conn.execute(select(_ROWS.c.key)))
    store.dispose()
    assert found == sorted(_KEYS)  # commas, quotes, braces, "NULL" and "" as they are
    assert statements.count(insert_rows) == 3


_TYPED = Table(
    "refs_typed",
    _META,
    Column("id", Integer, primary_key=True),
    Column("label", Text),
    Column("amount", Money, nullable=False),
    Column("seen_at", UtcDateTime),
    Column("flag", Boolean, nullable=False),
    Column("order", String(8)),  # a reserved word for a column name
)


def test_insert_rows_stores_every_value_as_the_schema_binds_it(store: Store) -> None:
    _META.create_all(store.engine)
    seen = datetime(2026, 3, 1, 12, 30, tzinfo=UTC)
    rows = [
        {"id": n, "label": label, "amount": Decimal(amount), "seen_at": at, "flag": n % 2 == 0,
         "order": order}
        for n, (label, amount, at, order) in enumerate(
            [("a", "12.34", seen, "x"), (None, "-0.05", None, None), ('d"e{,}', "0", seen, "")]
        )
    ]  # fmt: skip
    statements: list[str] = []
    event.listen(store.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    with store.begin() as conn:
        refs.insert_rows(conn, _TYPED, rows)
        refs.insert_rows(conn, _TYPED, [])
    with store.engine.connect() as conn:
        found = [dict(row._mapping) for row in conn.execute(select(_TYPED).order_by(_TYPED.c.id))]
    assert found == rows
    inserts = [s for s in statements if s.startswith("INSERT")]
    assert len(inserts) == 1  # one statement for the three rows (an executemany on SQLite)
    assert ("unnest" in inserts[0]) == (store.engine.dialect.name == "postgresql")
