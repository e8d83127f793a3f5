"""``status [--json] [--check [--max-lag 2h]]`` and ``runs``: what operators and monitors read."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import Any

from custsync import app, console
from custsync.commands.common import add_command, settings_from
from custsync.errors import ConfigError
from custsync.health import (
    CustomersHealth,
    StreamHealth,
    customers_health,
    format_duration,
    one_line,
    parse_duration,
    stream_health,
)
from custsync.records import StreamName
from custsync.settings import AccountConfig, Settings, load_accounts
from custsync.store.health import RunRecord, StreamStatus, recent_runs
from custsync.wording import many


def register(sub: Any) -> None:
    p = add_command(
        sub, "status", "freshness, errors, leases and usage per account and stream", cmd_status
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument(
        "--check",
        action="store_true",
        help="exit 1 when any stream is failing or stale (for monitoring)",
    )
    p.add_argument(
        "--max-lag",
        type=_duration,
        help="with --check: the oldest acceptable last success, e.g. 2h "
        "(default: twice each stream's schedule interval)",
    )
    p = add_command(sub, "runs", "sync run history, newest first", cmd_runs)
    p.add_argument("--account", help="only this account id")
    p.add_argument("--stream", choices=[s.value for s in StreamName], help="only this stream")
    p.add_argument("--limit", type=int, default=20, help="how many runs (default 20)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _duration(text: str) -> float:
    try:
        return parse_duration(text).total_seconds()
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _accounts_or_none(settings: Settings) -> list[AccountConfig] | None:
    """The accounts file when there is one (its errors are the operator's to fix)."""
    if not settings.accounts_file.exists():
        return None
    return load_accounts(settings.accounts_file)


def cmd_status(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    store = app.open_upgraded_store(settings)
    now = datetime.now(UTC)
    healths = stream_health(
        store, settings, _accounts_or_none(settings), now=now, max_lag_s=args.max_lag
    )
    customers = customers_health(store, healths, now=now, max_lag_s=args.max_lag)
    if args.json:
        rows = [_health_dict(h) for h in healths] + [_customers_dict(customers)]
        console.out.print_json(json.dumps(rows, default=str))
    elif not healths:
        console.out.print("no stream has been synced yet (run `custsync sync`)")
    for health in [] if args.json else healths:
        console.out.print(_status_line(health, now))
    if not args.json and healths:
        console.out.print(_customers_line(customers))
    if not args.check:
        return 0
    problems = [h for h in healths if h.problem]
    for health in problems:
        console.err.print(f"custsync: {health.account_id} {health.stream}: {health.problem}")
    if customers.problem:
        console.err.print(f"custsync: customers: {customers.problem}")
    if not healths:
        console.err.print("custsync: no stream is configured or synced")
        return 1
    return 1 if problems or customers.problem else 0


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%SZ") if moment else "never"


def _status_line(h: StreamHealth, now: datetime) -> str:
    s = h.status
    lag = f" ({format_duration(h.lag_s)} ago)" if h.lag_s is not None else ""
    last_success = _when(s.last_success_at if s else None)
    parts = [f"{h.account_id} {h.stream}: last success {last_success}{lag}"]
    parts.append(f"schedule {h.schedule or 'none'}, next run {_next_run(h, now)}")
    parts.append(f"lease {_lease(s, now)}")
    if s is not None:
        parts.append(
            f"{many(s.orders_stored, 'order')} stored, last run {s.last_run_status or '-'}, "
            f"today {many(s.runs_today, 'run')}, {many(s.requests_today, 'request')}, "
            f"{s.api_time_today_s:.0f} s API time under published quotas"
        )
    line = "; ".join(parts)
    if h.last_error:
        line += f"; last error: {h.last_error}"
    return line


def _customers_line(c: CustomersHealth) -> str:
    if c.pending_since is None or c.lag_s is None:
        return "customers: up to date with every stored change"
    waiting = f"{_when(c.pending_since)} ({format_duration(c.lag_s)} ago)"
    return f"customers: changes since {waiting} wait for their refresh"


def _customers_dict(c: CustomersHealth) -> dict[str, object]:
    """The customers' row of ``status --json`` (beside the streams' rows)."""
    return {
        "account_id": None,
        "stream": "customers",
        "pending_since": c.pending_since,
        "lag_s": c.lag_s,
        "max_lag_s": c.max_lag_s,
        "problem": c.problem,
        "is_ok": c.problem is None,
    }


def _next_run(h: StreamHealth, now: datetime) -> str:
    if h.next_run_at is None:
        return "-"
    return "due now" if h.next_run_at <= now else _when(h.next_run_at)


def _lease(s: StreamStatus | None, now: datetime) -> str:
    if s is None or s.lease_owner is None:
        return "free"
    if s.lease_expires_at is not None and s.lease_expires_at <= now:
        return f"expired (was {s.lease_owner}; the next run takes it over)"
    return f"held by {s.lease_owner} until {_when(s.lease_expires_at)}"


def _health_dict(h: StreamHealth) -> dict[str, object]:
    status = h.status
    fields: dict[str, object] = {
        "account_id": h.account_id,
        "stream": h.stream,
        "schedule": h.schedule,
        "next_run_at": h.next_run_at,
        "lag_s": h.lag_s,
        "max_lag_s": h.max_lag_s,
        "problem": h.problem,
        "is_ok": h.problem is None,
    }
    if status is not None:
        fields |= {name: getattr(status, name) for name in StreamStatus.__slots__}
        fields["last_error"] = one_line(status.last_error)
    return fields


def cmd_runs(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise ConfigError("--limit must be at least 1")
    settings = settings_from(args)
    store = app.open_upgraded_store(settings)
    runs = recent_runs(store, account_id=args.account, stream=args.stream, limit=args.limit)
    if args.json:
        rows = [{name: getattr(r, name) for name in RunRecord.__slots__} for r in runs]
        console.out.print_json(json.dumps(rows, default=str))
        return 0
    if not runs:
        console.out.print("no runs recorded yet")
    for run in runs:
        console.out.print(_run_line(run))
    return 0


def _run_line(r: RunRecord) -> str:
    took = f"{(r.finished_at - r.started_at).total_seconds():.1f}s" if r.finished_at else "running"
    line = (
        f"{_when(r.started_at)} {took:>8} {r.account_id} {r.stream} {r.status}: "
        f"{r.pages} pages, {r.fetched} fetched, {r.inserted} new, {r.updated} updated, "
        f"{r.rejected} rejected, {r.requests} requests ({r.rate_limited} rate limited, "
        f"{r.retries} retries), worker {r.worker or '-'}"
    )
    if r.error:
        line += f"; error: {one_line(r.error)}"
    return line
