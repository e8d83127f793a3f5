"""``worker`` and ``accounts list|check``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any

from custsync import app, console
from custsync.commands.common import add_command, settings_from
from custsync.connectors.amazon.check import CheckReport, check_amazon_account
from custsync.logging import configure_logging
from custsync.schedules import planned_streams, schedule_for
from custsync.settings import (
    AccountConfig,
    AmazonAccount,
    Credential,
    Settings,
    load_accounts,
)


def register(sub: Any) -> None:
    p = add_command(
        sub, "worker", "run every account's sync schedule until stopped (SIGTERM)", cmd_worker
    )
    p.add_argument(
        "--max-syncs", type=int, help="syncs at once (env CUSTSYNC_WORKER_MAX_SYNCS, default 4)"
    )
    accounts = sub.add_parser("accounts", help="the seller accounts").add_subparsers(
        dest="accounts_command", required=True, metavar="ACTION"
    )
    p = add_command(accounts, "list", "accounts, schedules and credential sources", cmd_list)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p = add_command(
        accounts, "check", "verify each account's credentials against its API", cmd_check
    )
    p.add_argument("--account", help="only this account id")


def cmd_worker(args: argparse.Namespace) -> int:
    from custsync.scheduler import Worker

    settings = settings_from(args, worker_max_syncs=args.max_syncs)
    if settings.log_format is None:  # workers log JSON unless told otherwise
        configure_logging("json", settings.log_level)
    store = app.open_upgraded_store(settings)
    worker = Worker(settings, store, app.choose_accounts(settings, None))
    code = worker.run()
    if worker.has_stragglers:  # a sync ignored the stop: its lease is already released
        sys.stderr.flush()
        os._exit(code)
    return code


def cmd_list(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    rows = [_account_dict(settings, a) for a in load_accounts(settings.accounts_file)]
    if args.json:
        console.out.print_json(json.dumps(rows))
        return 0
    if not rows:
        console.out.print(f"no accounts in {settings.accounts_file}")
    for row in rows:
        schedules = ", ".join(f"{k} {v}" for k, v in dict(row["schedule"]).items()) or "-"
        credentials = ", ".join(f"{k}: {v}" for k, v in dict(row["credentials"]).items()) or "-"
        state = "enabled" if row["enabled"] else "disabled"
        console.out.print(
            f"{row['id']} ({row['kind']}, {state}) {row['name'] or ''}\n"
            f"  schedule: {schedules}\n  credentials: {credentials}"
        )
    return 0


def _account_dict(settings: Settings, account: AccountConfig) -> dict[str, Any]:
    streams = planned_streams(account)
    return {
        "id": account.id,
        "kind": account.kind.value,
        "name": account.name,
        "enabled": account.enabled,
        "schedule": {s.value: schedule_for(settings, account, s).spec for s in streams},
        "credentials": {
            name: _credential_source(value)
            for name, value in account
            if isinstance(value, Credential)
        },
    }


def _credential_source(credential: Credential) -> str:
    if credential.value is not None:
        return "inline (sandbox)"
    if credential.env is None:
        return "not configured"
    state = "set" if os.environ.get(credential.env) else "NOT SET"
    return f"${credential.env} ({state})"


def cmd_check(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    accounts = (
        app.choose_accounts(settings, args.account)
        if args.account
        else load_accounts(settings.accounts_file)
    )
    failed = 0
    for account in accounts:
        if not account.enabled and args.account is None:
            console.out.print(f"{account.id}: disabled (not checked)")
            continue
        report = _check(account)
        if report.is_ok:
            console.out.print(f"{account.id}: ok ({', '.join(report.passed)})")
        else:
            failed += 1
            passed = f" (passed: {', '.join(report.passed)})" if report.passed else ""
            console.out.print(f"{account.id}: FAILED — {report.problem}{passed}")
    return 1 if failed else 0


def _check(account: AccountConfig) -> CheckReport:
    if isinstance(account, AmazonAccount):
        return check_amazon_account(account)
    return CheckReport(
        account.id,
        problem=f"custsync cannot check {account.kind.value} accounts yet (Amazon only)",
    )
