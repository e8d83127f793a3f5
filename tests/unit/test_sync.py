"""The sync engine under leases: skip when held, resync, stop between pages, lease lost."""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import structlog
from sqlalchemy import insert, select, update

from custsync.connectors.base import Connector, Cursor
from custsync.connectors.http import Clock
from custsync.errors import Interrupted
from custsync.logging import configure_logging
from custsync.records import AccountId, StreamName
from custsync.settings import AccountConfig
from custsync.store import schema
from custsync.store.db import Store
from custsync.store.leases import claim_lease
from custsync.store.state import load_cursor, register_account
from custsync.sync import RunControl, StoppableClock, sync_account
from tests.support.fake_connector import T0, PagedStream, factory_of
from tests.unit.connectors.connector_fakes import FakeClock, make_account

ACCOUNT = make_account(id="acct")
ACCT = AccountId("acct")
ORDERS = StreamName.ORDERS


def _factory(stream: PagedStream) -> Callable[[AccountConfig, Clock], Connector]:
    return factory_of(stream)


def _runs(store: Store) -> list[tuple[str, str | None]]:
    r = schema.sync_runs
    with store.engine.connect() as conn:
        return [tuple(row) for row in conn.execute(select(r.c.status, r.c.error))]


def _state(store: Store) -> tuple[str | None, str | None, datetime | None]:
    s = schema.sync_state
    with store.engine.connect() as conn:
        row = conn.execute(select(s.c.lease_owner, s.c.last_error, s.c.last_success_at)).one()
    return row[0], row[1], row[2]


def test_stream_leased_elsewhere_is_skipped_and_names_the_holder(store: Store) -> None:
    register_account(store, ACCT, "amazon", None, now=T0)
    claim_lease(store, ACCT, ORDERS, owner="other-host:7:ab/run", ttl_s=600, now=datetime.now(UTC))
    stream = PagedStream()
    [result] = sync_account(store, ACCOUNT, _factory(stream))
    assert result.status == "skipped"
    assert result.skipped is not None
    assert "lease held by other-host:7:ab/run" in result.skipped
    assert stream.cursors == []
    assert _runs(store) == []


def test_run_takes_and_releases_the_lease(store: Store) -> None:
    [result] = sync_account(store, ACCOUNT, _factory(PagedStream()))
    assert result.status == "succeeded"
    assert result.pages == 3
    owner, error, last_success = _state(store)
    assert (owner, error) == (None, None)
    assert last_success is not None
    assert _runs(store) == [("succeeded", None)]


def test_resync_resets_the_cursor_under_the_lease(store: Store) -> None:
    sync_account(store, ACCOUNT, _factory(PagedStream()))
    assert load_cursor(store, ACCT, ORDERS).position == T0 + timedelta(hours=3)
    stream = PagedStream()
    since = T0 - timedelta(days=3)
    control = RunControl(restart_from=Cursor(position=since))
    [result] = sync_account(store, ACCOUNT, _factory(stream), control=control)
    assert result.status == "succeeded"
    assert stream.cursors == [Cursor(position=since)]


def test_stop_ends_the_run_after_the_page_in_flight(store: Store) -> None:
    stop = threading.Event()
    # the stop arrives while the second page is being fetched: it is stored, the third is not
    stream = PagedStream(between=lambda index: stop.set() if index == 0 else None)
    [result] = sync_account(store, ACCOUNT, _factory(stream), control=RunControl(stop=stop))
    assert result.status == "interrupted"
    assert result.pages == 2
    assert load_cursor(store, ACCT, ORDERS).position == T0 + timedelta(hours=2)
    assert _runs(store) == [("interrupted", None)]
    assert _state(store) == (None, None, None)  # lease released, no error, no success


def test_stopped_clock_ends_a_quota_wait() -> None:
    stop = threading.Event()
    fake = FakeClock()
    clock = StoppableClock(fake, stop)
    clock.sleep(5)
    assert fake.sleeps == [5]
    stop.set()
    with pytest.raises(Interrupted):
        clock.sleep(5)


def test_run_that_lost_its_lease_stops_without_touching_the_stream_state(
    store: Store,
) -> None:
    def take_over(index: int) -> None:
        if index == 0:
            with store.begin() as conn:
                conn.execute(update(schema.sync_state).values(lease_owner="thief/run"))

    [result] = sync_account(store, ACCOUNT, _factory(PagedStream(between=take_over)))
    assert result.status == "failed"
    assert result.is_lease_lost
    assert result.pages == 1
    assert "taken over by thief/run" in (result.error or "")
    owner, error, _ = _state(store)
    assert (owner, error) == ("thief/run", None)  # the thief's lease, no error recorded
    assert load_cursor(store, ACCT, ORDERS).position == T0 + timedelta(hours=1)


def test_recent_success_makes_a_scheduled_run_skip(store: Store) -> None:
    sync_account(store, ACCOUNT, _factory(PagedStream()))
    stream = PagedStream()
    [result] = sync_account(store, ACCOUNT, _factory(stream), control=RunControl(fresh_for_s=3600))
    assert result.status == "skipped"
    assert "fresh" in (result.skipped or "")
    assert stream.cursors == []
    assert _state(store)[0] is None


def test_account_without_connector_records_its_failure_under_the_lease(store: Store) -> None:
    def broken(_account: AccountConfig, _clock: Clock) -> Connector:
        from custsync.errors import ConfigError

        raise ConfigError("account acct: cannot sync")

    [result] = sync_account(store, ACCOUNT, broken)
    assert result.status == "failed"
    assert _runs(store) == [("failed", "account acct: cannot sync")]
    assert _state(store)[:2] == (None, "account acct: cannot sync")


def test_a_database_error_is_recorded_and_logged_without_the_values_it_quotes(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """PostgreSQL's message quotes the values of the row it refused ("DETAIL: Key (key, ...)=
    (n:aiden|brown, ...)"): buyer data, kept out of the run's error and the log."""

    def duplicate_key(index: int) -> None:
        if index == 0:
            row = {"key": "n:aiden|brown", "account_id": "acct", "buyer_key": "B1"}
            with store.begin() as conn:
                conn.execute(insert(schema.identity_keys), [row, row])

    stderr = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stderr)
    configure_logging("json", "info")
    try:
        [result] = sync_account(store, ACCOUNT, _factory(PagedStream(between=duplicate_key)))
    finally:
        structlog.reset_defaults()
    assert result.status == "failed"
    assert "IntegrityError" in (result.error or "")
    assert "identity_keys" in (result.error or "")  # what was refused: its table or key
    [(status, error)] = _runs(store)
    assert (status, error) == ("failed", result.error)
    assert _state(store)[1] == result.error
    logged = stderr.getvalue()
    assert "sync_failed_unexpectedly" in logged
    for told in (result.error or "", logged):
        assert "aiden" not in told
        assert "B1" not in told
