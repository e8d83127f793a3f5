"""``init`` and ``db upgrade``."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import Any

from custsync import app, console
from custsync.commands.common import add_command, safe_url, settings_from
from custsync.store.db import open_store, upgrade

EXAMPLE_ACCOUNTS = Path(__file__).parents[1] / "accounts.example.toml"


def register(sub: Any) -> None:
    add_command(sub, "init", "create the database and a starter accounts file", cmd_init)
    db = sub.add_parser("db", help="database maintenance").add_subparsers(
        dest="db_command", required=True, metavar="ACTION"
    )
    add_command(db, "upgrade", "apply schema migrations", cmd_db_upgrade)


def cmd_init(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    app.open_upgraded_store(settings)
    console.out.print(f"database ready: {safe_url(settings.database_url)}")
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
    console.out.print(f"schema is current: {safe_url(settings.database_url)}")
    return 0
