"""Use cases behind the CLI and the scheduler: open the store, sync accounts, write reports."""

from __future__ import annotations

import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

from custsync.connectors.base import Cursor
from custsync.connectors.factory import build_connector
from custsync.connectors.http import Clock, SystemClock
from custsync.errors import ConfigError, Interrupted
from custsync.rebuild import rebuild_customers
from custsync.records import StreamName
from custsync.reports.files import DEFAULT_FORMATS, write_report_files
from custsync.settings import AccountConfig, Settings, load_accounts
from custsync.store.customers import stale_buyer_refs
from custsync.store.db import Store, open_store, upgrade
from custsync.store.leases import exclusive
from custsync.sync import ConnectorFactory, ProgressFn, RunControl, StreamResult, sync_account


def open_upgraded_store(settings: Settings) -> Store:
    store = open_store(settings.database_url)
    upgrade(store)
    return store


def choose_accounts(settings: Settings, account_id: str | None) -> list[AccountConfig]:
    accounts = load_accounts(settings.accounts_file)
    if account_id is not None:
        chosen = [a for a in accounts if a.id == account_id]
        if not chosen:
            known = ", ".join(a.id for a in accounts) or "none"
            raise ConfigError(
                f"no account {account_id!r} in {settings.accounts_file} (known: {known})"
            )
        return chosen
    return [a for a in accounts if a.enabled]


@dataclass(frozen=True, slots=True)
class SyncSummary:
    results: list[StreamResult]
    customers_refreshed: int

    @property
    def failures(self) -> list[StreamResult]:
        return [r for r in self.results if not r.is_ok]

    @property
    def skipped(self) -> list[StreamResult]:
        return [r for r in self.results if r.skipped is not None]

    @property
    def changed_rows(self) -> int:
        return sum(r.counts.inserted + r.counts.updated + r.counts.rejected for r in self.results)


def run_control(
    settings: Settings,
    *,
    stop: threading.Event | None = None,
    restart_from: Cursor | None = None,
    fresh_for_s: float | None = None,
) -> RunControl:
    """How runs share streams, with the settings' lease TTL."""
    return RunControl(settings.lease_ttl_s, stop, restart_from, fresh_for_s)


def sync_accounts(
    store: Store,
    settings: Settings,
    accounts: Sequence[AccountConfig],
    *,
    streams: Sequence[StreamName] | None = None,
    clock: Clock | None = None,
    progress: ProgressFn | None = None,
    control: RunControl | None = None,
    factory: ConnectorFactory = build_connector,
) -> SyncSummary:
    """Sync every stream of every account (each under its lease, ``custsync.sync``), then
    refresh the customers the runs touched."""
    clock = clock or SystemClock()
    control = control or run_control(settings)
    results: list[StreamResult] = []
    for account in accounts:
        results += sync_account(
            store,
            account,
            factory,
            streams=streams,
            clock=clock,
            progress=progress,
            control=control,
        )
    return SyncSummary(results, _refresh_customers(store, settings, results, clock, control))


def _refresh_customers(
    store: Store,
    settings: Settings,
    results: Sequence[StreamResult],
    clock: Clock,
    control: RunControl,
) -> int:
    """Rebuild the touched and stale buyers' customers, one worker at a time; 0 if no run
    happened, nothing needs it, or the worker is stopping (stale buyers wait for the next)."""
    touched = set().union(*(r.counts.touched_buyers for r in results))
    has_run = any(r.skipped is None for r in results)
    if not has_run or (control.stop is not None and control.stop.is_set()):
        return 0
    if not touched and not stale_buyer_refs(store):
        return 0  # do not queue for the lock for nothing
    try:
        with exclusive(store, "rebuild_customers", stop=control.stop):
            return rebuild_customers(
                store, touched, base_currency=settings.base_currency, now=clock.now()
            )
    except Interrupted:
        return 0


def write_reports(
    store: Store, out_dir: Path, formats: Collection[str] = DEFAULT_FORMATS
) -> dict[str, int]:
    """Write the report files (CSV and HTML unless told); one writer at a time across workers."""
    with exclusive(store, "write_reports"):
        return write_report_files(store, out_dir, formats)
