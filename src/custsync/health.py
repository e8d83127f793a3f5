"""Is every stream fresh? ``status`` and ``status --check`` in data: one row per (account, stream).

A stream is *failing* when its last run ended with an error (the error stays until a run
succeeds) and *stale* when it never succeeded or its last success is older than the allowed
lag: ``--max-lag`` if given, else twice its schedule interval. Streams that are off, or whose
account is disabled or gone from the accounts file, are never stale.

The customers are *behind* when a stored change has waited longer than the allowed lag
(``--max-lag``, else ``CUSTOMERS_MAX_LAG_S``) for its customer refresh while no sync is running
(a run refreshes its customers when it ends): a refresh that keeps failing shows up here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from custsync.records import StreamName
from custsync.schedules import Schedule, planned_streams, schedule_for
from custsync.settings import DEFAULT_SCHEDULES, AccountConfig, Settings
from custsync.store.customers import stale_since
from custsync.store.db import Store
from custsync.store.health import StreamStatus, stream_statuses

STALE_INTERVALS = 2.0
ERROR_CHARS = 200
CUSTOMERS_MAX_LAG_S = 3600.0


@dataclass(frozen=True, slots=True)
class StreamHealth:
    account_id: str
    stream: str
    status: StreamStatus | None  # None: scheduled but never run
    schedule: str | None  # None: the account is not (or no longer) scheduled
    next_run_at: datetime | None
    lag_s: float | None
    max_lag_s: float | None
    problem: str | None

    @property
    def last_error(self) -> str | None:
        return one_line(self.status.last_error) if self.status else None


@dataclass(frozen=True, slots=True)
class CustomersHealth:
    pending_since: datetime | None  # the oldest stored change not yet in its customer
    lag_s: float | None
    max_lag_s: float
    problem: str | None


def customers_health(
    store: Store, streams: Sequence[StreamHealth], *, now: datetime, max_lag_s: float | None
) -> CustomersHealth:
    """Are the customers up to date with what the streams stored?"""
    since = stale_since(store)
    lag_s = (now - since).total_seconds() if since is not None else None
    limit_s = max_lag_s if max_lag_s is not None else CUSTOMERS_MAX_LAG_S
    is_running = any(
        h.status is not None
        and h.status.lease_owner is not None
        and (h.status.lease_expires_at is None or h.status.lease_expires_at > now)
        for h in streams
    )
    problem = None
    if lag_s is not None and lag_s > limit_s and not is_running:
        problem = (
            f"behind: changes stored {format_duration(lag_s)} ago are not in the customers yet "
            f"(max {format_duration(limit_s)}); see the worker's log for the refresh error"
        )
    return CustomersHealth(since, lag_s, limit_s, problem)


def one_line(text: str | None) -> str | None:
    if text is None:
        return None
    line = " ".join(text.split())
    return line if len(line) <= ERROR_CHARS else line[: ERROR_CHARS - 1] + "…"


def stream_health(
    store: Store,
    settings: Settings,
    accounts: Sequence[AccountConfig] | None,
    *,
    now: datetime,
    max_lag_s: float | None = None,
) -> list[StreamHealth]:
    """Health of every stream in the store and every stream the accounts file schedules.

    ``accounts`` is None when there is no accounts file: every stored stream then counts,
    with the settings' schedules."""
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    statuses = {(s.account_id, s.stream): s for s in stream_statuses(store, day_start=day_start)}
    schedules: dict[tuple[str, str], Schedule] = {}
    for account in accounts or ():
        if account.enabled:
            for stream in planned_streams(account):
                schedules[(account.id, stream.value)] = schedule_for(settings, account, stream)
    if accounts is None:
        for key in statuses:
            schedules[key] = _default_schedule(settings, key[1])
    return [
        _health(key, statuses.get(key), schedules.get(key), now=now, max_lag_s=max_lag_s)
        for key in sorted(set(statuses) | set(schedules))
    ]


def _default_schedule(settings: Settings, stream: str) -> Schedule:
    if stream not in StreamName.__members__.values():
        return Schedule("off")
    name = StreamName(stream)
    return Schedule(settings.schedule.get(name) or DEFAULT_SCHEDULES.get(name, "off"))


def _health(
    key: tuple[str, str],
    status: StreamStatus | None,
    schedule: Schedule | None,
    *,
    now: datetime,
    max_lag_s: float | None,
) -> StreamHealth:
    last_success = status.last_success_at if status else None
    lag_s = (now - last_success).total_seconds() if last_success else None
    is_scheduled = schedule is not None and not schedule.is_off
    limit_s = None
    if schedule is not None and is_scheduled:
        limit_s = max_lag_s if max_lag_s is not None else schedule.interval_s * STALE_INTERVALS
    problem = None
    if status is not None and status.last_error:
        problem = f"failing: {one_line(status.last_error)}"
    elif is_scheduled and lag_s is None:
        problem = "stale: never synced successfully"
    elif limit_s is not None and lag_s is not None and lag_s > limit_s:
        problem = (
            f"stale: last success {format_duration(lag_s)} ago (max {format_duration(limit_s)})"
        )
    return StreamHealth(
        account_id=key[0],
        stream=key[1],
        status=status,
        schedule=schedule.spec if schedule else None,
        next_run_at=schedule.next_run(last_success, now) if schedule else None,
        lag_s=lag_s,
        max_lag_s=limit_s,
        problem=problem,
    )


def format_duration(seconds: float) -> str:
    """``3d4h``, ``2h5m``, ``4m10s``, ``12s``: two units at most."""
    whole = int(max(0.0, seconds))
    days, rest = divmod(whole, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (minutes, "m"), (secs, "s")]
    shown = [f"{value}{unit}" for value, unit in parts if value][:2]
    return "".join(shown) or "0s"


def parse_duration(text: str) -> timedelta:
    """``90s``, ``15m``, ``2h``, ``1d`` or plain seconds."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    text = text.strip().lower()
    unit = units.get(text[-1:]) if text else None
    number = text[:-1] if unit else text
    try:
        seconds = float(number) * (unit or 1)
    except ValueError:
        raise ValueError(f"not a duration: {text!r} (e.g. 90s, 15m, 2h, 1d)") from None
    if seconds <= 0:
        raise ValueError(f"not a positive duration: {text!r}")
    return timedelta(seconds=seconds)
