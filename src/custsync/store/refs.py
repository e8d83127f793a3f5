"""Selecting rows by (account, key) pairs: per account, ``key IN (...)`` in chunks; and the
chunking of long lists of values or rows for IN lists and batched writes.

A row-value ``(account_id, key) IN (...)`` makes SQLite scan the whole index; one account at a
time with a plain ``IN`` list uses it, on every dialect.

``one_of`` is the IN test to use for lists of values: on PostgreSQL it is ``IN (SELECT
unnest(array))``, one parameter, where an IN list of 500 values costs the ORM 500 bind casts,
the driver a parse of a long statement it cannot cache, and the server 500 parameters to bind
(and ``= ANY(array)`` costs the planner a look at each value: see ``rows_in``).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import (
    ARRAY,
    Boolean,
    ColumnElement,
    Connection,
    CursorResult,
    Table,
    and_,
    bindparam,
    func,
    insert,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.visitors import InternalTraversal, _TraverseInternalsType

CHUNK = 500
ARRAY_CHUNK = 10_000  # values per PostgreSQL lookup (one array parameter)
ARRAY_ROWS = 50_000  # rows per PostgreSQL statement written over arrays (``over_arrays``)
WRITE_CHUNK = 2000  # rows per executemany
T = TypeVar("T")


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``items`` in lists of at most ``size``, in order; never all held at once."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def by_account(
    pairs: Iterable[tuple[str, str]], size: int = CHUNK
) -> Iterator[tuple[str, list[str]]]:
    """(account, up to ``size`` keys of it), every pair once, in sorted order."""
    grouped: dict[str, set[str]] = {}
    for account, key in pairs:
        grouped.setdefault(account, set()).add(key)
    for account in sorted(grouped):
        keys = sorted(grouped[account])
        for start in range(0, len(keys), size):
            yield account, keys[start : start + size]


def pair_filters(
    account_column: Any, key_column: Any, pairs: Iterable[tuple[str, str]]
) -> Iterator[ColumnElement[bool]]:
    """WHERE clauses that together select exactly these (account, key) pairs."""
    for account, keys in by_account(pairs):
        yield and_(account_column == account, one_of(key_column, keys))


class OneOf(ColumnElement[bool]):
    """``column IN (values)``, rendered per dialect (see the module's doc)."""

    type = Boolean()
    inherit_cache = True
    _is_implicitly_boolean = True  # a test already: no "= 1" where booleans are integers
    _traverse_internals: _TraverseInternalsType = [  # noqa: RUF012 (SQLAlchemy's protocol)
        ("listed", InternalTraversal.dp_clauseelement),
        ("any_of", InternalTraversal.dp_clauseelement),
    ]

    def __init__(self, column: Any, values: Iterable[Any]) -> None:
        listed = list(values)
        self.listed = column.in_(listed)
        array = bindparam(None, listed, type_=ARRAY(column.type))
        self.any_of = column.in_(select(func.unnest(array)))


def one_of(column: Any, values: Iterable[Any]) -> OneOf:
    return OneOf(column, values)


@compiles(OneOf)
def _listed(element: OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.listed, **kw)


@compiles(OneOf, "postgresql")
def _any_of(element: OneOf, compiler: SQLCompiler, **kw: Any) -> str:
    return compiler.process(element.any_of, **kw)


def rows_in(
    conn: Connection,
    query: str,
    values: Collection[str],
    params: tuple[Any, ...] = (),
) -> Iterator[Any]:
    """Rows of ``query`` with its ``column {}`` completed to select ``values`` (texts), in
    chunks (``params``: for the ``%s`` marks before it). Plain driver SQL: a refresh looks up
    tens of thousands of keys, and compiling each chunk's statement would cost more than
    running it. PostgreSQL takes each chunk as one array of at most ``ARRAY_CHUNK`` values,
    sent in binary (the text form quotes each value: 13 ms of Python per 2,000), and joins
    it (``IN (SELECT unnest(...))``), which the planner looks up value by value in the
    index whatever the array's length. Given ``= ANY(array)`` it weighs each value against
    the column's common ones (17 ms of planning per 2,000 keys) and, from a few thousand
    values or on a table of a few hundred thousand rows, scans the table whole (29 ms where
    the joined form looks each value up in 7 ms)."""
    if conn.dialect.name == "postgresql":
        for chunk in chunks(sorted(values), ARRAY_CHUNK):
            yield from _fetched(conn, query.format(_UNNESTED), (*params, chunk))
        return
    query = driver_sql(conn, query)
    for chunk in chunks(sorted(values)):
        marks = ", ".join(["?"] * len(chunk))
        yield from _fetched(conn, query.format(f"IN ({marks})"), (*params, *chunk))


_UNNESTED = "IN (SELECT unnest(%b::text[]))"


def driver_sql(conn: Connection, statement: str) -> str:
    """``statement``, written with ``%s`` marks (psycopg's), as ``conn``'s driver takes it
    (SQLite's marks are ``?``)."""
    return statement.replace("%s", "?") if conn.dialect.name == "sqlite" else statement


def _fetched(conn: Connection, statement: str, params: tuple[Any, ...]) -> Sequence[Any]:
    return all_rows(conn.exec_driver_sql(statement, params))


def all_rows(result: CursorResult[Any]) -> Sequence[Any]:
    """All rows of ``result`` at once, as the driver's own tuples: SQLAlchemy's rows, fetched
    one by one, cost about a microsecond each (a sync reads a hundred thousand, a refresh of
    every customer millions). Only for columns that need no result processing."""
    try:
        rows: Sequence[Any] = result.cursor.fetchall()
    finally:
        result.close()
    return rows


def pair_rows(conn: Connection, query: str, pairs: Iterable[tuple[str, str]]) -> Iterator[Any]:
    """Rows of ``query`` for exactly these (account, key) pairs, an account at a time: its
    ``%s`` takes the account, its ``{}`` the keys (``rows_in``)."""
    for account, keys in by_account(pairs, size=ARRAY_CHUNK):
        yield from rows_in(conn, query, keys, (account,))


def over_arrays(conn: Connection, statement: str, rows: Iterable[Sequence[Any]]) -> None:
    """PostgreSQL: run ``statement`` once per chunk of ``rows``, its marks (``%b``: sent in
    binary) taking the rows' columns in order, each as one array (to ``unnest``). psycopg's
    executemany sends a statement per row, about 45 µs of Python each: a sync of 1,000
    orders wrote 24,000 rows that way, more than a second of its time."""
    for chunk in chunks(rows, ARRAY_ROWS):
        conn.exec_driver_sql(statement, tuple(list(column) for column in zip(*chunk, strict=True)))


def insert_rows(conn: Connection, table: Table, rows: Sequence[Mapping[str, Any]]) -> None:
    """Insert ``rows`` (each with the same columns): an executemany on SQLite, where it is a
    loop in C; on PostgreSQL ``INSERT ... SELECT FROM unnest(...)`` over arrays, each value
    bound as SQLAlchemy binds it (``UtcDateTime``, ``Money``), since an executemany there
    runs the statement once per row."""
    if not rows:
        return
    if conn.dialect.name != "postgresql":
        for batch in chunks(rows, WRITE_CHUNK):
            conn.execute(insert(table), batch)
        return
    names = list(rows[0])
    columns = [table.c[name] for name in names]
    quote = conn.dialect.identifier_preparer.quote
    marks = ", ".join(f"%b::{column.type.compile(dialect=conn.dialect)}[]" for column in columns)
    target = f"{quote(table.name)} ({', '.join(quote(name) for name in names)})"
    statement = f"INSERT INTO {target} SELECT * FROM unnest({marks})"  # noqa: S608 (schema names)
    binds = [column.type.bind_processor(conn.dialect) for column in columns]
    over_arrays(conn, statement, (_bound(row, names, binds) for row in rows))


def _bound(row: Mapping[str, Any], names: Sequence[str], binds: Sequence[Any]) -> list[Any]:
    return [
        value if bind is None or value is None else bind(value)
        for value, bind in zip((row[name] for name in names), binds, strict=True)
    ]
