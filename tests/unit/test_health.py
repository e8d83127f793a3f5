"""Freshness rules behind ``status --check``."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from custsync.connectors.base import Cursor, Page
from custsync.health import customers_health, format_duration, parse_duration, stream_health
from custsync.rebuild import rebuild_customers
from custsync.records import AccountId, StreamName
from custsync.settings import Settings
from custsync.store.db import Store
from custsync.store.ingest import write_page
from custsync.store.leases import Lease, claim_lease
from custsync.store.state import record_outcome, register_account
from tests.support.records import order
from tests.unit.connectors.connector_fakes import make_account

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)


def test_durations_read_and_print_like_an_operator_writes_them() -> None:
    assert parse_duration("2h") == timedelta(hours=2)
    assert parse_duration("90") == timedelta(seconds=90)
    assert parse_duration("1.5d") == timedelta(hours=36)
    for bad in ("", "soon", "-5m", "0s"):
        with pytest.raises(ValueError, match="duration"):
            parse_duration(bad)
    assert format_duration(3 * 86400 + 4 * 3600 + 5) == "3d4h"
    assert format_duration(125) == "2m5s"
    assert format_duration(0) == "0s"


def test_failing_stale_and_fresh_streams(store: Store) -> None:
    settings = Settings(database_url=str(store.engine.url))
    for account in ("fresh", "stale", "failing"):
        register_account(store, AccountId(account), "amazon", None, now=NOW)
    record_outcome(store, AccountId("fresh"), StreamName.ORDERS, now=NOW, error=None)
    record_outcome(
        store, AccountId("stale"), StreamName.ORDERS, now=NOW - timedelta(hours=1), error=None
    )
    record_outcome(store, AccountId("failing"), StreamName.ORDERS, now=NOW, error="HTTP 403\nx")
    healths = {h.account_id: h for h in stream_health(store, settings, None, now=NOW)}
    assert healths["fresh"].problem is None
    assert healths["fresh"].next_run_at == NOW + timedelta(minutes=15)
    assert healths["stale"].problem == "stale: last success 1h ago (max 30m)"
    assert healths["failing"].problem == "failing: HTTP 403 x"
    relaxed = stream_health(store, settings, None, now=NOW, max_lag_s=7200)
    assert [h.problem is None for h in relaxed] == [False, True, True]  # failing, fresh, stale


def test_scheduled_stream_that_never_ran_is_stale_unless_off(store: Store) -> None:
    settings = Settings(database_url=str(store.engine.url))
    on = make_account(id="on")
    off = make_account(id="off", schedule={"orders": "off", "returns": "off", "feedback": "off"})
    healths = stream_health(store, settings, [on, off], now=NOW)
    by_key = {(h.account_id, h.stream): h for h in healths}
    assert by_key[("on", "orders")].problem == "stale: never synced successfully"
    assert all(h.problem is None for h in healths if h.account_id == "off")


def test_customers_fall_behind_when_stored_changes_wait_for_a_refresh(store: Store) -> None:
    settings = Settings(database_url=str(store.engine.url))
    account = AccountId("acct")
    register_account(store, account, "amazon", None, now=NOW)
    write_page(
        store, account, StreamName.ORDERS, Page([order()], [], Cursor()), run_id="r", now=NOW
    )
    record_outcome(store, account, StreamName.ORDERS, now=NOW, error=None)
    later = NOW + timedelta(hours=2)
    streams = stream_health(store, settings, None, now=later)

    behind = customers_health(store, streams, now=later, max_lag_s=None)
    assert behind.pending_since == NOW
    assert (behind.problem or "").startswith("behind: changes stored 2h ago")
    assert customers_health(store, streams, now=later, max_lag_s=3 * 3600).problem is None

    lease = claim_lease(store, account, StreamName.ORDERS, owner="w1", ttl_s=600, now=later)
    assert isinstance(lease, Lease)
    running = stream_health(store, settings, None, now=later)
    assert customers_health(store, running, now=later, max_lag_s=None).problem is None

    rebuild_customers(store, None, base_currency="USD", now=later)
    done = customers_health(store, running, now=later, max_lag_s=None)
    assert (done.pending_since, done.problem) == (None, None)
