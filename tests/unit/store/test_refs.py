"""Selecting rows by lists of values: ``one_of`` (``= ANY(array)`` on PostgreSQL, ``IN`` on
SQLite), the per-account pair filters built on it, and ``rows_in`` (driver SQL: a joined
binary array on PostgreSQL); writing rows over arrays on PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, MetaData, String, Table, event, insert, select

from custsync.store import refs
from custsync.store.db import Store, open_store
from custsync.store.refs import one_of, pair_filters

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
        assert "= ANY (%(param_1)s::VARCHAR(255)[])" in sql
        assert " IN " not in sql
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
