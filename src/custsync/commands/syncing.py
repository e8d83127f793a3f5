"""``sync`` and ``resync``: runs now, in the foreground, under the streams' leases."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from custsync import app, console
from custsync.commands.common import add_command, settings_from
from custsync.connectors.base import Cursor
from custsync.errors import ConfigError
from custsync.records import StreamName
from custsync.sync import StreamResult


def register(sub: Any) -> None:
    p = add_command(sub, "sync", "sync accounts now, in the foreground", cmd_sync)
    p.add_argument("--account", help="only this account id")
    p.add_argument("--stream", choices=[s.value for s in StreamName], help="only this stream")
    p = add_command(
        sub,
        "resync",
        "reset an account's cursors and read again (safe while workers run)",
        cmd_resync,
    )
    p.add_argument("--account", required=True, help="the account id")
    p.add_argument("--stream", choices=[s.value for s in StreamName], help="only this stream")
    p.add_argument(
        "--since",
        type=parse_since,
        help="re-read from this date (YYYY-MM-DD or ISO time, UTC); default: the whole backfill",
    )


def parse_since(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (YYYY-MM-DD)") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def cmd_sync(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    store = app.open_upgraded_store(settings)
    accounts = app.choose_accounts(settings, args.account)
    streams = [StreamName(args.stream)] if args.stream else None
    with console.sync_progress() as progress:
        summary = app.sync_accounts(store, settings, accounts, streams=streams, progress=progress)
    for result in summary.results:
        console.out.print(result_line(result))
    console.out.print(f"customers refreshed: {summary.customers_refreshed}")
    return 1 if summary.failures else 0


def cmd_resync(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    store = app.open_upgraded_store(settings)
    accounts = app.choose_accounts(settings, args.account)
    if args.since is not None and args.since > datetime.now(UTC):
        raise ConfigError(f"--since {args.since:%Y-%m-%d} is in the future")
    streams = [StreamName(args.stream)] if args.stream else None
    control = app.run_control(settings, restart_from=Cursor(position=args.since))
    with console.sync_progress() as progress:
        summary = app.sync_accounts(
            store, settings, accounts, streams=streams, progress=progress, control=control
        )
    if not summary.results:
        raise ConfigError(f"account {args.account} has no stream {args.stream}")
    for result in summary.results:
        console.out.print(result_line(result))
    for result in summary.skipped:
        console.err.print(
            f"custsync: {result.account_id} {result.stream.value} was not resynced: "
            f"{result.skipped}; run resync again once it is free"
        )
    console.out.print(f"customers refreshed: {summary.customers_refreshed}")
    return 1 if summary.failures or summary.skipped else 0


def result_line(result: StreamResult) -> str:
    where = f"{result.account_id} {result.stream.value}"
    if result.skipped is not None:
        return f"{where}: skipped — {result.skipped}"
    counts = result.counts
    status = {"succeeded": "ok", "interrupted": "interrupted"}.get(
        result.status, f"FAILED: {result.error}"
    )
    return (
        f"{where}: {counts.fetched} fetched, {counts.inserted} new, {counts.updated} updated, "
        f"{counts.rejected} rejected, {counts.unlinked_orders} without buyer — {status}"
    )
