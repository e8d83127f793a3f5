"""Leases on sync_state rows, on SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from custsync.connectors.base import Cursor, Page
from custsync.errors import LeaseLost
from custsync.records import AccountId, StreamName
from custsync.store import schema
from custsync.store.db import Store, open_store, upgrade
from custsync.store.ingest import write_page
from custsync.store.leases import (
    Lease,
    LeaseHolder,
    claim_lease,
    exclusive,
    release_lease,
    release_worker_leases,
    renew_lease,
)
from custsync.store.state import load_cursor, register_account, start_run
from tests.support.records import order

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
ACCT = AccountId("acct")
ORDERS = StreamName.ORDERS
TTL_S = 60.0


@pytest.fixture
def account(store: Store) -> AccountId:
    register_account(store, ACCT, "amazon", None, now=NOW)
    return ACCT


def _claim(store: Store, owner: str, now: datetime = NOW) -> Lease | LeaseHolder:
    return claim_lease(store, ACCT, ORDERS, owner=owner, ttl_s=TTL_S, now=now)


def _lease_row(store: Store) -> tuple[str | None, datetime | None]:
    s = schema.sync_state
    with store.engine.connect() as conn:
        row = conn.execute(select(s.c.lease_owner, s.c.lease_expires_at)).one()
    return row[0], row[1]


def test_claimed_lease_makes_the_next_claimer_skip(store: Store, account: AccountId) -> None:
    first = _claim(store, "w1/run-a")
    assert isinstance(first, Lease)
    assert first.expires_at == NOW + timedelta(seconds=TTL_S)
    second = _claim(store, "w2/run-b", NOW + timedelta(seconds=30))
    assert second == LeaseHolder("w1/run-a", NOW + timedelta(seconds=TTL_S))
    assert "w1/run-a until 2026-02-01 12:01:00Z" in second.describe()
    assert _lease_row(store)[0] == "w1/run-a"


def test_expired_lease_is_taken_over_and_the_dead_run_abandoned(
    store: Store, account: AccountId
) -> None:
    dead = _claim(store, "w1/run-a")
    assert isinstance(dead, Lease)
    start_run(store, "run-a", ACCT, ORDERS, worker="w1", now=NOW)
    later = NOW + timedelta(seconds=TTL_S + 1)
    taken = _claim(store, "w2/run-b", later)
    assert isinstance(taken, Lease)
    assert _lease_row(store) == ("w2/run-b", later + timedelta(seconds=TTL_S))
    r = schema.sync_runs
    with store.engine.connect() as conn:
        status, finished_at, error = conn.execute(
            select(r.c.status, r.c.finished_at, r.c.error).where(r.c.run_id == "run-a")
        ).one()
    assert status == "abandoned"
    assert finished_at == dead.expires_at  # never overlaps the run that takes over
    assert "w1/run-a stopped renewing its lease" in error


def test_renewal_extends_and_fails_once_taken_over(store: Store, account: AccountId) -> None:
    lease = _claim(store, "w1/run-a")
    assert isinstance(lease, Lease)
    renew_lease(store, lease, now=NOW + timedelta(seconds=50))
    assert _lease_row(store)[1] == NOW + timedelta(seconds=110)
    assert isinstance(_claim(store, "w2/run-b", NOW + timedelta(seconds=100)), LeaseHolder)
    assert isinstance(_claim(store, "w2/run-b", NOW + timedelta(seconds=111)), Lease)
    with pytest.raises(LeaseLost, match="taken over by w2/run-b"):
        renew_lease(store, lease, now=NOW + timedelta(seconds=112))


def test_page_of_a_run_that_lost_its_lease_is_not_written(store: Store, account: AccountId) -> None:
    lease = _claim(store, "w1/run-a")
    assert isinstance(lease, Lease)
    page = Page([order("A", account=ACCT)], [], Cursor(position=NOW))
    write_page(store, ACCT, ORDERS, page, run_id="run-a", now=NOW, lease=lease)
    assert _claim(store, "w2/run-b", NOW + timedelta(seconds=TTL_S * 3))
    stale = Page([order("B", account=ACCT)], [], Cursor(position=NOW + timedelta(days=1)))
    with pytest.raises(LeaseLost):
        write_page(store, ACCT, ORDERS, stale, run_id="run-a", now=NOW, lease=lease)
    with store.engine.connect() as conn:
        order_ids = conn.execute(select(schema.orders.c.order_id)).scalars().all()
    assert order_ids == ["A"]
    assert load_cursor(store, ACCT, ORDERS).position == NOW


def test_release_frees_only_our_own_lease(store: Store, account: AccountId) -> None:
    lease = _claim(store, "w1/run-a")
    assert isinstance(lease, Lease)
    impostor = Lease(ACCT, ORDERS, "w9/run-z", TTL_S, lease.expires_at)
    assert not release_lease(store, impostor)
    assert release_lease(store, lease)
    assert _lease_row(store) == (None, None)
    assert isinstance(_claim(store, "w2/run-b"), Lease)


def test_worker_shutdown_releases_every_lease_of_its_runs(store: Store, account: AccountId) -> None:
    register_account(store, AccountId("other"), "amazon", None, now=NOW)
    for account_id, owner in ((ACCT, "host:1:aa/run-1"), (AccountId("other"), "host:1:aa/run-2")):
        claim_lease(store, account_id, ORDERS, owner=owner, ttl_s=TTL_S, now=NOW)
    claim_lease(store, ACCT, StreamName.RETURNS, owner="host:1:ab/run-3", ttl_s=TTL_S, now=NOW)
    assert release_worker_leases(store, "host:1:aa") == 2
    s = schema.sync_state
    with store.engine.connect() as conn:
        owners = conn.execute(select(s.c.lease_owner).order_by(s.c.stream)).scalars().all()
    assert sorted(owners, key=str) == sorted([None, None, "host:1:ab/run-3"], key=str)


def test_concurrent_claimers_exactly_one_wins(store: Store, account: AccountId) -> None:
    _claim(store, "setup/run")  # create the row, then free it
    assert release_lease(store, Lease(ACCT, ORDERS, "setup/run", TTL_S, NOW))
    url = store.engine.url.render_as_string(hide_password=False)
    results: list[Lease | LeaseHolder] = []
    barrier = threading.Barrier(6)

    def claim(index: int) -> None:
        own = open_store(url)
        barrier.wait()
        results.append(_claim(own, f"w{index}/run"))
        own.dispose()

    threads = [threading.Thread(target=claim, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    winners = [r for r in results if isinstance(r, Lease)]
    assert len(winners) == 1
    assert _lease_row(store)[0] == winners[0].owner


@pytest.mark.postgres
def test_postgres_claimer_skips_a_row_locked_by_a_page_in_flight(pg_url: str) -> None:
    store = open_store(pg_url)
    upgrade(store)
    register_account(store, ACCT, "amazon", None, now=NOW)
    lease = _claim(store, "w1/run-a")
    assert isinstance(lease, Lease)
    assert release_lease(store, lease)
    s = schema.sync_state
    with store.engine.connect() as conn, conn.begin():
        conn.execute(select(s).with_for_update())  # what a page transaction holds
        started = time.monotonic()
        result = _claim(store, "w2/run-b")
        assert time.monotonic() - started < 2  # skipped, not waited
    assert result == LeaseHolder(None, None)
    assert "claiming it right now" in result.describe()
    store.dispose()


def test_exclusive_admits_one_holder_at_a_time(store: Store) -> None:
    inside, release, second_in = threading.Event(), threading.Event(), threading.Event()
    seen: list[str] = []

    def hold(name: str, entered: threading.Event, leave: threading.Event | None) -> None:
        with exclusive(store, "rebuild"):
            seen.append(f"{name} in")
            entered.set()
            if leave is not None:
                leave.wait(10)
            seen.append(f"{name} out")

    first = threading.Thread(target=hold, args=("first", inside, release))
    first.start()
    assert inside.wait(10)
    second = threading.Thread(target=hold, args=("second", second_in, None))
    second.start()
    assert not second_in.wait(0.3)  # blocked while the first holds the lock
    release.set()
    first.join()
    second.join()
    assert seen == ["first in", "first out", "second in", "second out"]
