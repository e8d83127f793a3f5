"""Shared fixtures: one ``store`` parametrized over SQLite and PostgreSQL.

PostgreSQL tests use ``CUSTSYNC_TEST_DATABASE_URL`` (``.ci/run`` starts a throwaway server and
sets it). Without it they skip locally; with ``CI=true`` a skip is turned into a failure.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from custsync.store.db import Store, open_store, upgrade

PG_URL_ENV = "CUSTSYNC_TEST_DATABASE_URL"


def _pg_url_or_skip() -> str:
    url = os.environ.get(PG_URL_ENV)
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"{PG_URL_ENV} is not set: PostgreSQL tests must run in CI")
    pytest.skip(f"PostgreSQL not configured ({PG_URL_ENV})")


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test (dropped afterwards)."""
    admin_url = _pg_url_or_skip()
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    base, _ = admin_url.rsplit("/", 1)
    try:
        yield f"{base}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """A SQLite database of its own (never the same file as ``db_url``'s)."""
    return f"sqlite:///{tmp_path / 'custsync-sqlite.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'custsync.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    """An upgraded, empty store on each dialect."""
    opened = open_store(db_url)
    upgrade(opened)
    yield opened
    opened.dispose()
