"""One function per CLI command: settings in, a use case called, a short report out."""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from custsync import app, console
from custsync.errors import ConfigError
from custsync.records import StreamName
from custsync.settings import Settings, load_settings
from custsync.store.db import open_store, upgrade
from custsync.store.state import stream_statuses

EXAMPLE_ACCOUNTS = Path(__file__).parent / "accounts.example.toml"


def settings_from(args: argparse.Namespace, **extra: object) -> Settings:
    return load_settings(
        database_url=getattr(args, "database_url", None),
        accounts_file=getattr(args, "accounts_file", None),
        base_currency=getattr(args, "base_currency", None),
        log_format=getattr(args, "log_format", None),
        **extra,
    )


def cmd_init(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    app.open_upgraded_store(settings)
    console.out.print(f"database ready: {_safe_url(settings.database_url)}")
    target = settings.accounts_file
    if target.exists():
        console.out.print(f"accounts file kept: {target}")
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(EXAMPLE_ACCOUNTS, target)
        console.out.print(f"accounts file written: {target} (edit it, then run `custsync sync`)")
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    upgrade(open_store(settings.database_url))
    console.out.print(f"schema is current: {_safe_url(settings.database_url)}")
    return 0


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


def cmd_report(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    formats = {f.strip() for f in args.format.split(",") if f.strip()}
    unknown = formats - {"csv"}
    if unknown:
        raise ConfigError(f"--format: unknown format(s) {', '.join(sorted(unknown))} (csv)")
    out_dir = args.out or settings.report_dir
    store = app.open_upgraded_store(settings)
    written = app.write_reports(store, out_dir)
    for name, rows in written.items():
        console.out.print(f"{out_dir / name}: {rows} rows")
    return 0


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
        fresh = s.last_success_at.strftime("%Y-%m-%d %H:%M:%SZ") if s.last_success_at else "never"
        line = (
            f"{s.account_id} {s.stream}: last success {fresh}, "
            f"{s.orders_stored} orders stored, last run {s.last_run_status or '-'} "
            f"({s.last_run_requests} requests, {s.last_run_api_time_s:.0f} s API time "
            "under published quotas)"
        )
        if s.last_error:
            line += f"; last error: {s.last_error}"
        console.out.print(line)
    return 0


def _status_dict(s: object) -> dict[str, object]:
    return {name: getattr(s, name) for name in getattr(s, "__slots__", ())}


def _safe_url(url: str) -> str:
    """The database URL without its password."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"


def cmd_demo(args: argparse.Namespace) -> int:
    from custsync.demo import run_demo

    out_dir: Path = args.out
    settings = settings_from(args)
    if "database_url" not in settings.model_fields_set:
        out_dir.mkdir(parents=True, exist_ok=True)
        settings = settings.model_copy(
            update={"database_url": f"sqlite:///{out_dir / 'custsync-demo.db'}"}
        )
    console.out.print(
        f"custsync demo: sandbox world seed {args.seed}, {args.orders} orders, "
        f"database {_safe_url(settings.database_url)}"
    )
    result = run_demo(settings, seed=args.seed, orders=args.orders, out_dir=out_dir)
    console.out.print(
        f"synced {result.accounts} accounts: {result.orders} orders fetched, "
        f"{result.customers} customers in {result.seconds:.1f} s"
    )
    for name, rows in result.files.items():
        console.out.print(f"  wrote {out_dir / name} ({rows} rows)")
    for failure in result.failures:
        console.err.print(f"  FAILED {failure}")
    return 1 if result.failures else 0


def cmd_sandbox_serve(args: argparse.Namespace) -> int:
    import threading

    from custsync.sandbox.server import start_sandbox, write_accounts_file
    from custsync.sandbox.world import World

    world = World(seed=args.seed, order_count=args.orders)
    with start_sandbox(world, port=args.port, time_scale=args.time_scale) as sandbox:
        if args.accounts_out:
            write_accounts_file(sandbox, args.accounts_out)
            console.out.print(f"accounts file written: {args.accounts_out}")
        console.out.print(f"sandbox serving on {sandbox.url} (Ctrl-C to stop)")
        threading.Event().wait()
    return 0


def cmd_sandbox_truth(args: argparse.Namespace) -> int:
    from custsync.sandbox.truth import write_truth
    from custsync.sandbox.world import World

    world = World(seed=args.seed, order_count=args.orders)
    write_truth(world, args.out)
    for name in ("people.csv", "orders.csv", "metrics.csv"):
        console.out.print(f"wrote {args.out / name}")
    return 0
