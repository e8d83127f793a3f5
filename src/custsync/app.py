"""Use cases behind the CLI and the scheduler: open the store, sync accounts, write reports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from custsync.connectors.factory import build_connector
from custsync.connectors.http import Clock, SystemClock
from custsync.errors import ConfigError
from custsync.rebuild import rebuild_customers
from custsync.records import StreamName
from custsync.reports.csv import write_tab_csvs
from custsync.settings import AccountConfig, Settings, load_accounts
from custsync.store.db import Store, open_store, upgrade
from custsync.sync import ProgressFn, StreamResult, sync_account


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


def sync_accounts(
    store: Store,
    settings: Settings,
    accounts: Sequence[AccountConfig],
    *,
    streams: Sequence[StreamName] | None = None,
    clock: Clock | None = None,
    progress: ProgressFn | None = None,
) -> SyncSummary:
    """Sync every stream of every account, then refresh the customers the run touched."""
    clock = clock or SystemClock()
    results: list[StreamResult] = []
    for account in accounts:
        results += sync_account(
            store, account, build_connector, streams=streams, clock=clock, progress=progress
        )
    touched = set().union(*(r.counts.touched_buyers for r in results))
    refreshed = rebuild_customers(
        store, touched, base_currency=settings.base_currency, now=clock.now()
    )
    return SyncSummary(results, refreshed)


def write_reports(store: Store, out_dir: Path) -> dict[str, int]:
    return write_tab_csvs(store, out_dir)
