"""Opening the store: engine set-up per dialect and schema upgrades through Alembic."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.exc import OperationalError

from custsync.errors import StoreError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


@dataclass(frozen=True, slots=True)
class Store:
    """A handle on one database; every store function takes it first."""

    engine: Engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One transaction: commits on success, rolls back whole on any error."""
        with self.engine.begin() as conn:
            yield conn

    def dispose(self) -> None:
        self.engine.dispose()


def open_store(url: str) -> Store:
    """Connect (lazily) to ``url``: ``sqlite:///file.db`` or ``postgresql+psycopg://...``."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
    else:
        engine = create_engine(url, pool_pre_ping=True)
    return Store(engine)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # transactions are begun explicitly below
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin_immediate(conn: Connection) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE")


def _alembic_config(conn: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    return config


def upgrade(store: Store) -> None:
    """Bring the schema to the newest migration (idempotent)."""
    try:
        with store.begin() as conn:
            command.upgrade(_alembic_config(conn), "heads")
    except OperationalError as exc:
        raise StoreError(f"cannot open the database: {exc.orig}") from None


def is_current(store: Store) -> bool:
    """True when the database has every migration applied."""
    with store.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
        heads = ScriptDirectory.from_config(_alembic_config(conn)).get_heads()
    return set(current) == set(heads)
