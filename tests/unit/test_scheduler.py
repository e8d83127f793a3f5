"""Schedules and the worker loop, in process (the real processes are in tests/integration)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from custsync.errors import ConfigError
from custsync.records import StreamName
from custsync.scheduler import Worker
from custsync.schedules import Schedule, plan_jobs, schedule_for
from custsync.settings import Settings, load_settings
from custsync.store import schema
from custsync.store.db import Store
from tests.support.fake_connector import PagedStream, factory_of
from tests.support.workers import wait_for
from tests.unit.connectors.connector_fakes import make_account

NOW = datetime(2026, 2, 1, 12, 0, tzinfo=UTC)
ACCOUNT = make_account(id="acct")


def test_interval_and_cron_specs() -> None:
    every = Schedule("every 15m")
    assert every.interval_s == 900
    assert every.next_run(None, NOW) == NOW
    assert every.next_run(NOW - timedelta(minutes=5), NOW) == NOW + timedelta(minutes=10)
    assert every.next_run(NOW - timedelta(hours=5), NOW) == NOW
    trigger = every.trigger(jitter_s=30)
    assert isinstance(trigger, IntervalTrigger)
    assert trigger.jitter == 30
    assert Schedule("every 10s").trigger(jitter_s=30).jitter == 1  # a tenth of the interval
    daily = Schedule("cron 30 3 * * *")
    assert daily.interval_s == 86400
    assert daily.next_run(None, NOW) == datetime(2026, 2, 2, 3, 30, tzinfo=UTC)
    assert isinstance(daily.trigger(jitter_s=60), CronTrigger)
    off = Schedule("off")
    assert off.is_off
    assert off.next_run(NOW, NOW) is None


def test_bad_cron_fields_name_the_schedule() -> None:
    with pytest.raises(ConfigError, match="cron 61 3"):
        Schedule("cron 61 3 * * *").trigger(jitter_s=0)


def test_account_schedule_beats_the_setting_beats_the_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CUSTSYNC_SCHEDULE", '{"orders": "every 5m", "returns": "off"}')
    settings = load_settings()
    assert schedule_for(settings, ACCOUNT, StreamName.ORDERS).spec == "every 5m"
    assert schedule_for(settings, ACCOUNT, StreamName.FEEDBACK).spec == "every 1d"
    custom = make_account(id="custom", schedule={"orders": "cron 0 * * * *"})
    assert schedule_for(settings, custom, StreamName.ORDERS).spec == "cron 0 * * * *"
    streams = [PagedStream(name=StreamName.ORDERS), PagedStream(name=StreamName.RETURNS)]
    plans = plan_jobs(settings, [ACCOUNT], factory_of(*streams))
    assert [p.job_id for p in plans] == ["acct:orders"]  # returns is off
    assert plan_jobs(settings, [make_account(id="x", enabled=False)], factory_of(*streams)) == []


def test_bad_schedule_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CUSTSYNC_SCHEDULE", '{"orders": "every fortnight"}')
    with pytest.raises(ConfigError, match="CUSTSYNC_SCHEDULE"):
        load_settings()


def _settings(store: Store, tmp_path: Path, **extra: object) -> Settings:
    url = store.engine.url.render_as_string(hide_password=False)
    return Settings(
        database_url=url,
        schedule={StreamName.ORDERS: "every 0.3s"},
        schedule_jitter_s=0,
        report_dir=tmp_path / "reports",
        shutdown_timeout_s=10,
        **extra,  # type: ignore[arg-type]
    )


def _statuses(store: Store) -> Counter[str]:
    r = schema.sync_runs
    with store.engine.connect() as conn:
        return Counter(conn.execute(select(r.c.status)).scalars())


def _leases(store: Store) -> list[str | None]:
    with store.engine.connect() as conn:
        return list(conn.execute(select(schema.sync_state.c.lease_owner)).scalars())


def _start(worker: Worker) -> tuple[threading.Thread, list[int]]:
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(worker.run(handle_signals=False)))
    thread.start()
    return thread, codes


def test_worker_runs_each_schedule_and_writes_reports(store: Store, tmp_path: Path) -> None:
    settings = _settings(store, tmp_path, reports_after_sync=True)
    worker = Worker(settings, store, [ACCOUNT], factory=factory_of(PagedStream()))
    thread, codes = _start(worker)
    wait_for(lambda: _statuses(store)["succeeded"] >= 3, timeout_s=30, what="3 runs")
    worker.stop()
    thread.join(30)
    assert codes == [0]
    assert _leases(store) == [None]
    assert (tmp_path / "reports" / "all.csv").exists()
    assert _statuses(store)["running"] == 0


def test_stopping_worker_ends_the_sync_in_flight_and_releases_its_lease(
    store: Store, tmp_path: Path
) -> None:
    in_flight, may_go_on = threading.Event(), threading.Event()

    def pause(index: int) -> None:
        if index == 0:
            in_flight.set()
            may_go_on.wait(10)

    worker = Worker(
        _settings(store, tmp_path), store, [ACCOUNT], factory=factory_of(PagedStream(between=pause))
    )
    thread, codes = _start(worker)
    assert in_flight.wait(30)
    worker.stop()
    may_go_on.set()
    thread.join(30)
    assert codes == [0]
    assert _statuses(store) == Counter({"interrupted": 1})
    assert _leases(store) == [None]
