"""When each (account, stream) syncs: schedule specs, their triggers and next run times.

A spec is ``every <n><s|m|h|d>`` (an interval), ``cron <min> <hour> <day> <month> <dow>`` (UTC,
APScheduler's cron fields: day_of_week 0 = Monday, or mon..sun) or ``off``. The first one found
wins: the account's ``schedule`` in the accounts file, the ``schedule`` setting
(``CUSTSYNC_SCHEDULE='{"orders": "every 5m"}'``), then ``settings.DEFAULT_SCHEDULES``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from custsync.connectors.factory import build_connector
from custsync.connectors.http import SystemClock
from custsync.errors import ConfigError, CustsyncError
from custsync.records import StreamName
from custsync.settings import DEFAULT_SCHEDULES, AccountConfig, Settings
from custsync.sync import ConnectorFactory

_UNITS_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
MAX_JITTER_SHARE = 0.1  # jitter never exceeds a tenth of the interval


@dataclass(frozen=True, slots=True)
class Schedule:
    spec: str

    @property
    def is_off(self) -> bool:
        return self.spec == "off"

    @property
    def cron_fields(self) -> list[str] | None:
        return self.spec.split()[1:] if self.spec.startswith("cron ") else None

    @property
    def interval_s(self) -> float:
        """The interval, or for cron the gap between its next two fire times."""
        if self.is_off:
            return float("inf")
        fields = self.cron_fields
        if fields is None:
            amount = self.spec.removeprefix("every ")
            return float(amount[:-1]) * _UNITS_S[amount[-1]]
        trigger = self._cron(fields, jitter_s=None)
        first = trigger.get_next_fire_time(None, datetime.now(UTC))
        second = trigger.get_next_fire_time(first, first + timedelta(seconds=1))
        return (second - first).total_seconds() if first and second else 86400.0

    def trigger(self, *, jitter_s: float) -> BaseTrigger:
        jitter = min(jitter_s, self.interval_s * MAX_JITTER_SHARE) or None
        fields = self.cron_fields
        if fields is not None:
            return self._cron(fields, jitter_s=jitter)
        return IntervalTrigger(seconds=self.interval_s, jitter=jitter, timezone=UTC)

    def next_run(self, last_success_at: datetime | None, now: datetime) -> datetime | None:
        """The next run: an interval after the last success (now if that is past); for cron,
        its next fire time. ``None`` when off."""
        if self.is_off:
            return None
        fields = self.cron_fields
        if fields is not None:
            found: datetime | None = self._cron(fields, jitter_s=None).get_next_fire_time(None, now)
            return found
        if last_success_at is None:
            return now
        return max(now, last_success_at + timedelta(seconds=self.interval_s))

    @staticmethod
    def _cron(fields: list[str], *, jitter_s: float | None) -> CronTrigger:
        minute, hour, day, month, day_of_week = fields
        try:
            return CronTrigger(
                minute=minute,
                hour=hour,
                day=day,
                month=month,
                day_of_week=day_of_week,
                timezone=UTC,
                jitter=jitter_s,
            )
        except ValueError as exc:
            raise ConfigError(f"schedule {' '.join(['cron', *fields])!r}: {exc}") from None


def schedule_for(settings: Settings, account: AccountConfig, stream: StreamName) -> Schedule:
    spec = (
        account.schedule.get(stream)
        or settings.schedule.get(stream)
        or DEFAULT_SCHEDULES.get(stream, "off")
    )
    return Schedule(spec)


def planned_streams(
    account: AccountConfig, factory: ConnectorFactory = build_connector
) -> list[StreamName]:
    """The streams the account's connector offers (orders when it has none: its runs then
    record why the account cannot sync, for ``status`` to show)."""
    try:
        connector = factory(account, SystemClock())
    except CustsyncError:
        return [StreamName.ORDERS]
    try:
        return list(connector.streams)
    finally:
        connector.close()


@dataclass(frozen=True, slots=True)
class JobPlan:
    account: AccountConfig
    stream: StreamName
    schedule: Schedule

    @property
    def job_id(self) -> str:
        return f"{self.account.id}:{self.stream.value}"


def plan_jobs(
    settings: Settings,
    accounts: list[AccountConfig],
    factory: ConnectorFactory = build_connector,
) -> list[JobPlan]:
    """One job per enabled account and scheduled stream."""
    plans = []
    for account in accounts:
        if not account.enabled:
            continue
        for stream in planned_streams(account, factory):
            schedule = schedule_for(settings, account, stream)
            if not schedule.is_off:
                plans.append(JobPlan(account, stream, schedule))
    return plans
