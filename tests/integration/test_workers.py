"""Real ``custsync worker`` processes against the sandbox: leases across processes on one
PostgreSQL, SIGKILL and SIGTERM, resync while a worker runs; one worker on SQLite.

No fixed sleeps: every wait polls the database (or the process) with a deadline.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import structlog
from sqlalchemy import Table, func, select, update

from custsync import app
from custsync.cli import main
from custsync.demo import load_demo_rates
from custsync.records import StreamName
from custsync.sandbox.server import start_sandbox, write_accounts_file
from custsync.sandbox.world import World
from custsync.settings import load_accounts, load_settings
from custsync.store import schema
from custsync.store.customers import stale_buyer_refs
from custsync.store.db import Store, open_store, upgrade
from tests.support.workers import overlaps, runs, stop_all, wait_for, worker_env, workers

SEED = 11
ORDERS = 1500
REFERENCE_SCALE = 20_000.0
EVERY_SECOND = json.dumps({stream.value: "every 1s" for stream in StreamName})
JITTER_S = "0.2"
STARTUP_S = 60.0  # importing custsync in several processes at once on a busy machine
Snapshot = dict[str, list[tuple[object, ...]]]


@dataclass(frozen=True)
class Reference:
    """Where a clean sync of the world ends: synced again until nothing changes."""

    clean: Snapshot
    rejects: int
    streams: set[tuple[str, str]]  # every (account, stream) there is to sync


@dataclass(frozen=True)
class Marketplace:
    accounts_file: Path
    reference: Reference

    @property
    def clean(self) -> Snapshot:
        return self.reference.clean


EVENT_TABLES = ("orders", "order_lines", "returns", "feedback", "promo_uses")
NOT_DATA = {"ingested_at", "updated_at", "customer_id", "merged_into"}


def snapshot(store: Store) -> Snapshot:
    """The synced events, and the customers as groups of buyers with their figures.

    Customer ids depend on history (an id is kept stable as buyers arrive), so customers are
    compared by the buyers they hold, not by id (nor by the id an order names)."""
    tables = schema.metadata.tables
    found: Snapshot = {}
    with store.engine.connect() as conn:
        for name in EVENT_TABLES:
            columns = [c for c in tables[name].c if c.name not in ("ingested_at", "customer_id")]
            found[name] = sorted(tuple(row) for row in conn.execute(select(*columns)))
        b, c = schema.buyers, schema.customers
        members: dict[str, list[tuple[str, str]]] = {}
        for account_id, buyer_key, customer_id in conn.execute(
            select(b.c.account_id, b.c.buyer_key, b.c.customer_id)
        ):
            members.setdefault(customer_id, []).append((account_id, buyer_key))
        figures = [col for col in c.c if col.name not in NOT_DATA]
        found["customers"] = sorted(
            (tuple(sorted(members.get(row[0], []))), *row[1:])
            for row in conn.execute(
                select(c.c.customer_id, *figures).where(c.c.merged_into.is_(None))
            )
        )
    return found


def _count(store: Store, table: Table) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar() or 0)


def _prepared(url: str) -> Store:
    store = open_store(url)
    upgrade(store)
    load_demo_rates(store, "USD")
    return store


@pytest.fixture(scope="module")
def world() -> World:
    return World(seed=SEED, order_count=ORDERS)


@pytest.fixture(scope="module")
def reference(world: World, tmp_path_factory: pytest.TempPathFactory) -> Reference:
    """One process syncs the world over and over until three passes change nothing (the
    connector reads buyers of report-backfilled orders with idle quota, over several runs)."""
    folder = tmp_path_factory.mktemp("reference")
    url = f"sqlite:///{folder / 'clean.db'}"
    store = _prepared(url)
    clean: Snapshot = {}
    unchanged = 0
    with start_sandbox(world, time_scale=REFERENCE_SCALE) as fast:
        accounts = load_accounts(write_accounts_file(fast, folder / "accounts.toml"))
        for _ in range(30):
            summary = app.sync_accounts(store, load_settings(database_url=url), accounts)
            assert summary.failures == []
            current = snapshot(store)
            unchanged = unchanged + 1 if current == clean else 0
            clean = current
            if unchanged == 3:
                break
    assert unchanged == 3, "a clean sync of the sandbox never settled"
    streams: set[tuple[str, str]] = {(r.account_id, r.stream.value) for r in summary.results}
    found = Reference(clean, _count(store, schema.rejects), streams)
    store.dispose()
    return found


def _serve(world: World, reference: Reference, folder: Path, scale: float) -> Iterator[Marketplace]:
    with start_sandbox(world, time_scale=scale) as running:
        yield Marketplace(write_accounts_file(running, folder / "accounts.toml"), reference)


@pytest.fixture(scope="module")
def quick(
    world: World, reference: Reference, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Marketplace]:
    """Quotas 3000x: a first sync of a stream takes a second or two."""
    yield from _serve(world, reference, tmp_path_factory.mktemp("quick"), 3000.0)


@pytest.fixture(scope="module")
def fast(
    world: World, reference: Reference, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Marketplace]:
    """Quotas hardly matter: for tests that need synced data, not a sync to watch."""
    yield from _serve(world, reference, tmp_path_factory.mktemp("fast"), REFERENCE_SCALE)


@pytest.fixture(scope="module")
def slow(
    world: World, reference: Reference, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Marketplace]:
    """Quotas 400x: a first sync of orders commits its 70 pages over several seconds."""
    yield from _serve(world, reference, tmp_path_factory.mktemp("slow"), 400.0)


def _converged(store: Store, market: Marketplace, *, min_runs: int = 1) -> bool:
    """Every stream synced, every customer rebuilt, and the data where a clean sync ends."""
    return _settled(store, market, min_runs=min_runs) and snapshot(store) == market.clean


def _difference(store: Store, market: Marketplace) -> str:
    """Which tables differ from the clean sync, with a few rows each way."""
    found = snapshot(store)
    lines = []
    for name, rows in market.clean.items():
        extra, missing = set(found[name]) - set(rows), set(rows) - set(found[name])
        if extra or missing:
            lines.append(f"{name}: {len(extra)} rows not in the clean sync, {len(missing)} missing")
            lines += [f"  + {str(row)[:300]}" for row in list(extra)[:3]]
            lines += [f"  - {str(row)[:300]}" for row in list(missing)[:3]]
    stale = stale_buyer_refs(store)
    lines.append(f"stale buyers: {len(stale)}")
    return "\n".join(lines)


def _settled(store: Store, market: Marketplace, *, min_runs: int = 1) -> bool:
    """Every stream synced ``min_runs`` times and every customer rebuilt."""
    succeeded = Counter((r[1], r[2]) for r in runs(store) if r[3] == "succeeded")
    if set(succeeded) != market.reference.streams or min(succeeded.values()) < min_runs:
        return False
    return not stale_buyer_refs(store)


def _mid_sync(store: Store) -> tuple[str, str, str] | None:
    """A first sync of a stream that has committed pages and is still running (its owner)."""
    s = schema.sync_state
    query = select(s.c.account_id, s.c.stream, s.c.lease_owner).where(
        s.c.cursor.is_not(None), s.c.lease_owner.is_not(None), s.c.last_success_at.is_(None)
    )
    with store.engine.connect() as conn:
        found = conn.execute(query).first()
    return (found[0], found[1], found[2]) if found else None


@pytest.fixture(autouse=True)
def _reset_logging() -> Iterator[None]:
    yield
    structlog.reset_defaults()  # main() logs to the captured stderr, closed after the test


def _leases(store: Store) -> list[str | None]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(schema.sync_state.c.lease_owner)).scalars())


@pytest.mark.postgres
def test_three_workers_split_the_work_without_overlap_or_duplicates(
    pg_url: str, quick: Marketplace, tmp_path: Path
) -> None:
    store = _prepared(pg_url)
    env = worker_env(pg_url, quick.accounts_file, schedule=EVERY_SECOND, schedule_jitter_s=JITTER_S)
    began = time.monotonic()
    with workers(3, env, tmp_path) as started:
        logs = [w.log_path for w in started]
        wait_for(
            lambda: all(w.worker_id() for w in started),
            timeout_s=STARTUP_S,
            what="3 workers",
            logs=logs,
        )
        wait_for(
            lambda: _converged(store, quick, min_runs=3),
            timeout_s=60,
            what="3 runs per stream",
            logs=logs,
            explain=lambda: _difference(store, quick),
        )
        exits = stop_all(started, timeout_s=20)
        reasons = [
            str(e.get("reason", "")).split(" ", 2)[:2]
            for w in started
            for e in w.events()
            if e.get("event") == "sync_skipped"
        ]
    held = sum(1 for words in reasons if words[:2] == ["lease", "held"])
    elapsed_s = time.monotonic() - began
    all_runs = runs(store)
    found_overlaps = overlaps(all_runs)
    r = schema.sync_runs
    with store.engine.connect() as conn:
        syncing_workers = set(
            conn.execute(select(r.c.worker).where(r.c.status == "succeeded")).scalars()
        )
    print(
        f"\nthree workers: {len(all_runs)} runs recorded "
        f"({dict(Counter(run[3] for run in all_runs))}); scheduled runs skipped: {held} "
        f"lease held elsewhere, {len(reasons) - held} fresh; {len(syncing_workers)} workers "
        "synced; "
        f"{len(found_overlaps)} overlaps, orders {_count(store, schema.orders)} "
        f"(clean {len(quick.clean['orders'])}), rejects {_count(store, schema.rejects)} "
        f"(clean {quick.reference.rejects}), exits {exits}, {elapsed_s:.1f} s"
    )
    assert [code for code, _ in exits] == [0, 0, 0]
    assert found_overlaps == []
    assert not any(run[3] == "running" for run in all_runs)
    assert set(_leases(store)) == {None}
    assert snapshot(store) == quick.clean  # no duplicates, nothing lost


@pytest.mark.postgres
def test_killed_worker_lease_expires_and_another_worker_finishes(
    pg_url: str, slow: Marketplace, tmp_path: Path
) -> None:
    store = _prepared(pg_url)
    env = worker_env(
        pg_url,
        slow.accounts_file,
        schedule=EVERY_SECOND,
        schedule_jitter_s=JITTER_S,
        lease_ttl_s="2",
    )
    with workers(1, env, tmp_path, name="doomed") as [doomed]:
        account, stream, owner = wait_for(
            lambda: _mid_sync(store),
            timeout_s=STARTUP_S,
            what="a first sync halfway",
            logs=[doomed.log_path],
        )
        doomed.signal(signal.SIGKILL)
        assert doomed.wait(10) == -signal.SIGKILL
    assert owner in _leases(store)  # the dead worker's lease stays until it expires
    with workers(1, env, tmp_path, name="rescuer") as [rescuer]:
        wait_for(
            lambda: _converged(store, slow),
            timeout_s=STARTUP_S,
            what="the rescue",
            logs=[rescuer.log_path],
            explain=lambda: _difference(store, slow),
        )
        [(code, _)] = stop_all([rescuer], timeout_s=20)
    assert code == 0
    all_runs = runs(store)
    killed_run = owner.rsplit("/", 1)[1]
    [abandoned] = [run for run in all_runs if run[0].startswith(killed_run)]
    assert abandoned[3] == "abandoned"
    assert abandoned[5] is not None
    assert overlaps(all_runs) == []
    rescues = [r for r in all_runs if (r[1], r[2]) == (account, stream) and r[4] > abandoned[4]]
    print(
        f"\nSIGKILL: {account} {stream} abandoned at its lease expiry {abandoned[5]:%H:%M:%S.%f}, "
        f"taken over at {rescues[0][4]:%H:%M:%S.%f}; {len(all_runs)} runs, "
        f"{len(overlaps(all_runs))} overlaps"
    )
    assert rescues[0][3] == "succeeded"
    assert rescues[0][4] >= abandoned[5]  # taken over once the lease had expired
    assert set(_leases(store)) == {None}
    assert snapshot(store) == slow.clean


@pytest.mark.postgres
def test_sigterm_stops_a_worker_mid_sync_within_seconds_with_leases_released(
    pg_url: str, slow: Marketplace, tmp_path: Path
) -> None:
    store = _prepared(pg_url)
    env = worker_env(pg_url, slow.accounts_file, schedule=EVERY_SECOND, schedule_jitter_s=JITTER_S)
    with workers(1, env, tmp_path) as [worker]:
        wait_for(
            lambda: _mid_sync(store),
            timeout_s=STARTUP_S,
            what="a first sync halfway",
            logs=[worker.log_path],
        )
        [(code, seconds)] = stop_all([worker], timeout_s=30)
    print(f"\nSIGTERM mid-sync: exit {code} after {seconds:.2f} s")
    assert code == 0
    assert seconds < 5
    assert set(_leases(store)) == {None}
    statuses = Counter(run[3] for run in runs(store))
    assert statuses["interrupted"] >= 1
    assert statuses["running"] == 0
    with store.engine.connect() as conn:
        assert set(conn.execute(select(schema.sync_state.c.last_error)).scalars()) == {None}


@pytest.mark.postgres
def test_resync_while_a_worker_runs_equals_a_clean_sync(
    pg_url: str, quick: Marketplace, tmp_path: Path
) -> None:
    store = _prepared(pg_url)
    env = worker_env(pg_url, quick.accounts_file, schedule=EVERY_SECOND, schedule_jitter_s=JITTER_S)

    def resync() -> subprocess.CompletedProcess[str] | None:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "custsync",
                "resync",
                "--account",
                "amazon-na",
                "--stream",
                "orders",
            ],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if done.returncode != 0:
            assert "lease held by" in done.stderr, done.stderr  # the worker's run: try again
            return None
        return done

    with workers(1, env, tmp_path) as [worker]:
        wait_for(
            lambda: _converged(store, quick),
            timeout_s=STARTUP_S,
            what="a first sync",
            logs=[worker.log_path],
            explain=lambda: _difference(store, quick),
        )
        worker_id = worker.worker_id()
        resynced = wait_for(
            resync, timeout_s=120, what="a free lease for resync", logs=[worker.log_path]
        )
        wait_for(
            lambda: _converged(store, quick),
            timeout_s=30,
            what="customers rebuilt",
            logs=[worker.log_path],
            explain=lambda: _difference(store, quick),
        )
        [(code, _)] = stop_all([worker], timeout_s=20)
    assert code == 0
    assert "amazon-na orders: " in resynced.stdout
    assert "— ok" in resynced.stdout
    all_runs = runs(store)
    resync_runs = [
        r for r in all_runs if r[1] == "amazon-na" and r[2] == "orders" and r[7] != worker_id
    ]
    assert [r[3] for r in resync_runs] == ["succeeded"]
    assert resync_runs[0][6] > 0  # read again from the start
    assert overlaps(all_runs) == []
    assert snapshot(store) == quick.clean


def test_one_worker_on_sqlite_syncs_everything_and_stops_cleanly(
    sqlite_url: str, quick: Marketplace, tmp_path: Path
) -> None:
    store = _prepared(sqlite_url)
    env = worker_env(
        sqlite_url, quick.accounts_file, schedule=EVERY_SECOND, schedule_jitter_s=JITTER_S
    )
    with workers(1, env, tmp_path) as [worker]:
        wait_for(
            lambda: _converged(store, quick, min_runs=2),
            timeout_s=STARTUP_S,
            what="2 runs per stream",
            logs=[worker.log_path],
            explain=lambda: _difference(store, quick),
        )
        [(code, _)] = stop_all([worker], timeout_s=20)
    assert code == 0
    assert overlaps(runs(store)) == []
    assert set(_leases(store)) == {None}
    assert snapshot(store) == quick.clean


def test_status_check_fails_on_a_stale_or_failing_stream(
    db_url: str,
    fast: Marketplace,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    store = _prepared(db_url)
    app.sync_accounts(store, load_settings(database_url=db_url), load_accounts(fast.accounts_file))
    monkeypatch.setenv("CUSTSYNC_DATABASE_URL", db_url)
    monkeypatch.setenv("CUSTSYNC_ACCOUNTS_FILE", str(fast.accounts_file))
    monkeypatch.setenv("CUSTSYNC_LOG_FORMAT", "json")
    assert main(["status", "--check", "--max-lag", "2h"]) == 0
    assert "lease free" in capsys.readouterr().out

    s = schema.sync_state
    three_hours_ago = datetime.now(UTC) - timedelta(hours=3)
    with store.begin() as conn:
        conn.execute(
            update(s)
            .where(s.c.account_id == "amazon-eu", s.c.stream == "orders")
            .values(last_success_at=three_hours_ago)
        )
    assert main(["status", "--check", "--max-lag", "2h"]) == 1
    err = capsys.readouterr().err
    assert "amazon-eu orders: stale: last success 3h" in err
    assert "amazon-na" not in err
    assert main(["status", "--check"]) == 1  # default: twice the 15 min orders schedule
    assert "(max 30m)" in capsys.readouterr().err

    with store.begin() as conn:
        conn.execute(
            update(s)
            .where(s.c.account_id == "amazon-na", s.c.stream == "orders")
            .values(last_error="HTTP 403\n(Unauthorized)")
        )
    assert main(["status", "--check", "--max-lag", "1d"]) == 1
    assert "amazon-na orders: failing: HTTP 403 (Unauthorized)" in capsys.readouterr().err
    assert main(["status", "--json"]) == 0
    rows = {(r["account_id"], r["stream"]): r for r in json.loads(capsys.readouterr().out)}
    assert {key for key, row in rows.items() if not row["is_ok"]} == {
        ("amazon-eu", "orders"),
        ("amazon-na", "orders"),
    }
    for account in ("amazon-eu", "amazon-na"):
        orders = rows[(account, "orders")]
        assert orders["runs_today"] == 1
        assert orders["requests_today"] > 0
        assert orders["lease_owner"] is None
