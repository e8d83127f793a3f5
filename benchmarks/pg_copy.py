"""Benchmark helpers for PostgreSQL: a fresh database, a SQLite store's rows copied into it
with COPY, and a copy of a database from it as a template.

The rows are copied as SQLite stores them (money in integer cents, times as naive UTC text,
read in a session whose time zone is UTC), so no value goes through Python types.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Integer, create_engine, text
from sqlalchemy.engine import make_url

from custsync.store import schema
from custsync.store.db import Store, open_store, upgrade

ROWS_PER_READ = 50_000


def database_url(admin_url: str, name: str) -> str:
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def fresh_database(admin_url: str, name: str, *, template: str | None = None) -> str:
    """Create database ``name`` (dropped first if it exists), empty or as a copy of
    ``template``; returns its URL."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    copy = f' TEMPLATE "{template}"' if template else ""
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"{copy}'))
    admin.dispose()
    return database_url(admin_url, name)


def drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def copy_store(source: Store, url: str) -> Store:
    """A PostgreSQL store at ``url`` (an empty database) with the schema and every row of
    ``source`` (a SQLite store)."""
    target = open_store(url)
    upgrade(target)
    raw = target.engine.raw_connection()
    try:
        pg: Any = raw.driver_connection
        pg.execute("SET TIME ZONE 'UTC'")
        with source.engine.connect() as conn:
            for table in schema.metadata.sorted_tables:
                _copy_table(conn, pg, table)
        pg.commit()
    finally:
        raw.close()
    return target


def _copy_table(conn: Any, pg: Any, table: Any) -> None:
    columns = ", ".join(column.name for column in table.columns)
    result = conn.exec_driver_sql(f"SELECT {columns} FROM {table.name}")
    with pg.cursor() as cursor:
        with cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            while rows := result.fetchmany(ROWS_PER_READ):
                for row in rows:
                    copy.write_row(row)
        for column in table.primary_key.columns:
            if column.autoincrement is True and isinstance(column.type, Integer):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', '{column.name}'),"
                    f" COALESCE(MAX({column.name}), 0) + 1, false) FROM {table.name}"
                )
