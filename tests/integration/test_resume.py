"""Sync semantics against the sandbox: idempotent re-runs and crash-then-resume."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import datetime

from sqlalchemy import select

from custsync import app
from custsync.connectors.base import Connector, Cursor, Page, Stream
from custsync.connectors.factory import build_connector
from custsync.connectors.http import Clock, SystemClock
from custsync.connectors.stats import RequestStats
from custsync.demo import load_demo_rates
from custsync.records import StreamName
from custsync.settings import AccountConfig, load_settings
from custsync.store import schema
from custsync.store.db import Store, open_store, upgrade
from custsync.sync import sync_account


class Crash(RuntimeError):
    pass


class CrashingStream:
    """Passes pages through, then fails while fetching page ``after + 1``."""

    def __init__(self, inner: Stream, after: int) -> None:
        self._inner, self._after = inner, after

    @property
    def name(self) -> StreamName:
        return self._inner.name

    def read(self, cursor: Cursor, *, now: datetime) -> Iterator[Page]:
        for index, page in enumerate(self._inner.read(cursor, now=now)):
            if index == self._after:
                raise Crash("connection lost mid-sync")
            yield page


class CrashingConnector:
    def __init__(self, inner: Connector, after: int) -> None:
        self._inner = inner
        self._streams = {n: CrashingStream(s, after) for n, s in inner.streams.items()}

    @property
    def streams(self) -> Mapping[StreamName, Stream]:
        return self._streams

    @property
    def stats(self) -> RequestStats:
        return self._inner.stats

    def close(self) -> None:
        self._inner.close()


def _snapshot(store: Store) -> dict[str, list[tuple[object, ...]]]:
    tables = {
        "orders": (schema.orders, ["ingested_at"]),
        "order_lines": (schema.order_lines, []),
        "customers": (schema.customers, ["updated_at"]),
        "buyers": (schema.buyers, ["updated_at"]),
    }
    snap = {}
    with store.engine.connect() as conn:
        for name, (table, skip) in tables.items():
            cols = [c for c in table.c if c.name not in skip]
            snap[name] = sorted(tuple(r) for r in conn.execute(select(*cols)))
    return snap


def _fresh_store(url: str) -> Store:
    store = open_store(url)
    upgrade(store)
    load_demo_rates(store, "USD")
    return store


def _sync_all(store: Store, accounts: list[AccountConfig]) -> None:
    settings = load_settings(database_url=str(store.engine.url))
    summary = app.sync_accounts(store, settings, accounts)
    assert summary.failures == []


def test_second_sync_changes_no_row(db_url: str, sandbox_accounts: list[AccountConfig]) -> None:
    store = _fresh_store(db_url)
    _sync_all(store, sandbox_accounts)
    before = _snapshot(store)
    settings = load_settings(database_url=db_url)
    summary = app.sync_accounts(store, settings, sandbox_accounts)
    assert sum(r.counts.inserted + r.counts.updated for r in summary.results) == 0
    assert _snapshot(store) == before
    assert len(before["orders"]) > 500


def test_crash_after_page_k_then_resume_equals_clean_sync(
    db_url: str, sqlite_url: str, sandbox_accounts: list[AccountConfig]
) -> None:
    clean = _fresh_store(sqlite_url)
    _sync_all(clean, sandbox_accounts)

    crashed = _fresh_store(db_url)

    def crashing(account: AccountConfig, clock: Clock) -> Connector:
        return CrashingConnector(build_connector(account, clock), after=2)

    results = [
        r
        for account in sandbox_accounts
        for r in sync_account(crashed, account, crashing, clock=SystemClock())
    ]
    assert all(r.error and "connection lost" in r.error for r in results), results
    assert all(r.pages == 2 for r in results)
    _sync_all(crashed, sandbox_accounts)
    assert _snapshot(crashed) == _snapshot(clean)
