"""``sync`` and ``status``."""

from __future__ import annotations

import argparse
import json
from typing import Any

from custsync import app, console
from custsync.commands.common import add_command, settings_from
from custsync.records import StreamName
from custsync.store.state import StreamStatus, stream_statuses


def register(sub: Any) -> None:
    p = add_command(sub, "sync", "sync accounts now, in the foreground", cmd_sync)
    p.add_argument("--account", help="only this account id")
    p.add_argument("--stream", choices=[s.value for s in StreamName], help="only this stream")
    p = add_command(sub, "status", "freshness and last error per account and stream", cmd_status)
    p.add_argument("--json", action="store_true", help="machine-readable output")


def cmd_sync(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    store = app.open_upgraded_store(settings)
    accounts = app.choose_accounts(settings, args.account)
    streams = [StreamName(args.stream)] if args.stream else None
    with console.sync_progress() as progress:
        summary = app.sync_accounts(store, settings, accounts, streams=streams, progress=progress)
    for result in summary.results:
        status = "ok" if result.is_ok else f"FAILED: {result.error}"
        console.out.print(
            f"{result.account_id} {result.stream.value}: {result.counts.fetched} fetched, "
            f"{result.counts.inserted} new, {result.counts.updated} updated, "
            f"{result.counts.rejected} rejected, {result.counts.unlinked_orders} without buyer "
            f"— {status}"
        )
    console.out.print(f"customers refreshed: {summary.customers_refreshed}")
    return 1 if summary.failures else 0


def cmd_status(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    store = app.open_upgraded_store(settings)
    statuses = stream_statuses(store)
    if args.json:
        console.out.print_json(json.dumps([_status_dict(s) for s in statuses], default=str))
        return 0
    if not statuses:
        console.out.print("no stream has been synced yet (run `custsync sync`)")
    for s in statuses:
        console.out.print(_status_line(s))
    return 0


def _status_line(s: StreamStatus) -> str:
    fresh = s.last_success_at.strftime("%Y-%m-%d %H:%M:%SZ") if s.last_success_at else "never"
    line = (
        f"{s.account_id} {s.stream}: last success {fresh}, "
        f"{s.orders_stored} orders stored, last run {s.last_run_status or '-'} "
        f"({s.last_run_requests} requests, {s.last_run_api_time_s:.0f} s API time "
        "under published quotas)"
    )
    if s.last_error:
        line += f"; last error: {s.last_error}"
    return line


def _status_dict(s: StreamStatus) -> dict[str, object]:
    return {name: getattr(s, name) for name in StreamStatus.__slots__}
