from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from custsync.store.db import Store, is_current, upgrade
from custsync.store.schema import metadata


def test_migrations_build_exactly_the_declared_schema(store: Store) -> None:
    with store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_upgrade_twice_is_harmless(store: Store) -> None:
    upgrade(store)
    assert is_current(store)
