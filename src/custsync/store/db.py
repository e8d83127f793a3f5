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
from sqlalchemy import Connection, Engine, create_engine, event, func, select
from sqlalchemy.exc import OperationalError

from custsync.errors import StoreError
from custsync.store import checkpoint
from custsync.store.checkpoint import CHECKPOINTS

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
WRITE_OPTION = "custsync_write"
MIGRATION_LOCK_KEY = 0x637573747379_6E63  # "custsync": pg_advisory_xact_lock key for upgrades
SQLITE_LOWER = "custsync_lower"
READ_ONLY_OPTION = "custsync_read_only"


@dataclass(frozen=True, slots=True)
class Store:
    """A handle on one database; every store function takes it first."""

    engine: Engine

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def begin(self) -> Iterator[Connection]:
        """One write transaction: commits on success, rolls back whole on any error.

        On SQLite it takes the write lock up front (``BEGIN IMMEDIATE``), so two writers
        queue instead of failing halfway; reads elsewhere use deferred transactions and never
        block writers (WAL).
        """
        with self.engine.connect() as conn:
            conn.execution_options(**{WRITE_OPTION: True})
            with conn.begin():
                yield conn
        path = self.engine.url.database
        if self.dialect == "sqlite" and path and path != ":memory:":
            CHECKPOINTS.request(str(Path(path).resolve()))  # left to the background (checkpoint.py)

    @contextmanager
    def read(self) -> Iterator[Connection]:
        """A read-only connection for long reads (reports): on SQLite its transaction is a
        deferred ``BEGIN``, a snapshot that never takes the write lock, so syncs go on."""
        with self.engine.connect() as conn:
            conn.execution_options(**{READ_ONLY_OPTION: True})
            yield conn

    def dispose(self) -> None:
        """Close every connection. On SQLite, return once the checkpoints asked for have run:
        the file then holds everything written, with no log beside it, and may be copied."""
        self.engine.dispose()
        if self.dialect == "sqlite":
            CHECKPOINTS.wait(timeout=900)


# Pages a connection keeps (in KiB; SQLite's default is 2 MiB). A sync of 1,000 orders into
# a store of a million needs about 70,000 distinct pages (keys, links, buyers, customers).
# With 64 MiB it read 114,000 from the file, a page again once the cache had dropped it;
# 128 MiB reads a fifth fewer (256 MiB: 30 % fewer). Filled only as pages are read, so
# small stores never use it.
SQLITE_CACHE_KIB = 128 * 1024


def open_store(url: str) -> Store:
    """Connect (lazily) to ``url``: ``sqlite:///file.db`` or ``postgresql+psycopg://...``.
    A database error never quotes the values its statement was given (buyer data)."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
    else:
        engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    return Store(engine)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # transactions are begun explicitly below
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    cursor.execute("PRAGMA wal_autocheckpoint=0")  # see checkpoint.py
    cursor.execute(f"PRAGMA journal_size_limit={checkpoint.LOG_KEEP_BYTES}")
    cursor.close()
    # SQLite's lower() folds ASCII only; searches use this one so "élodie" finds "ÉLODIE".
    dbapi_conn.create_function(SQLITE_LOWER, 1, _unicode_lower, deterministic=True)


def _unicode_lower(value: object) -> object:
    return value.lower() if isinstance(value, str) else value


def _sqlite_begin(conn: Connection) -> None:
    """Write transactions (``Store.begin``) lock up front; every other one is deferred."""
    options = conn.get_execution_options()
    is_write = options.get(WRITE_OPTION, False) and not options.get(READ_ONLY_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if is_write else "BEGIN")


def _alembic_config(conn: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = conn
    return config


def upgrade(store: Store, revision: str = "heads") -> None:
    """Bring the schema to the newest migration, or to ``revision`` (idempotent)."""
    try:
        with store.begin() as conn:
            if store.dialect == "postgresql":  # workers starting together migrate one by one
                conn.execute(select(func.pg_advisory_xact_lock(MIGRATION_LOCK_KEY)))
            command.upgrade(_alembic_config(conn), revision)
    except OperationalError as exc:
        raise StoreError(f"cannot open the database: {exc.orig}") from None


def is_current(store: Store) -> bool:
    """True when the database has every migration applied."""
    with store.engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_heads()
        heads = ScriptDirectory.from_config(_alembic_config(conn)).get_heads()
    return set(current) == set(heads)
