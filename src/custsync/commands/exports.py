"""``export`` (one tab, filtered, to CSV; every export is logged) and ``exports list``."""

from __future__ import annotations

import argparse
import getpass
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from custsync import app, console
from custsync.commands.common import add_command, settings_from
from custsync.commands.export_options import add_export_options, export_request, filters_given
from custsync.errors import UsageError
from custsync.reports.export import write_export
from custsync.store.db import Store
from custsync.store.export_log import ExportEntry, recent_exports, record_export
from custsync.store.queries import account_ids
from custsync.wording import many


def register(sub: Any) -> None:
    p = add_command(
        sub, "export", "export one tab to CSV, with filters, columns, sort and paging", cmd_export
    )
    add_export_options(p)
    p.add_argument("--bom", action="store_true", help="start the file with a UTF-8 BOM (Excel)")
    p.add_argument(
        "-o", "--output", type=Path, help="output file (default customers-<tab>-<today>.csv)"
    )
    exports = sub.add_parser("exports", help="the export log").add_subparsers(
        dest="exports_command", required=True, metavar="ACTION"
    )
    p = add_command(exports, "list", "who exported what, newest first", cmd_exports_list)
    p.add_argument("--limit", type=int, default=50, help="at most this many (default 50)")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def os_user() -> str:
    """The operating-system user running custsync (for the export log)."""
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return f"uid {os.getuid()}" if hasattr(os, "getuid") else "unknown"


def cmd_export(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    request = export_request(args)
    store = app.open_upgraded_store(settings)
    _check_account(store, request.where.account_id)
    now = datetime.now(UTC)
    path: Path = args.output or Path(
        f"customers-{request.tab.value}-{now.astimezone().date().isoformat()}.csv"
    )
    rows = write_export(store, request, path, bom=args.bom)
    record_export(
        store,
        exported_by=os_user(),
        tab=request.tab.value,
        filters=filters_given(args),
        columns=request.columns,
        row_count=rows,
        file=str(path.resolve()),
        now=now,
    )
    console.out.print(f"{path}: {many(rows, 'row')}", markup=False)
    return 0


def _check_account(store: Store, account_id: str | None) -> None:
    if account_id is None:
        return
    known = account_ids(store)
    if account_id not in known:
        raise UsageError(
            f"--account: no account {account_id!r} (known: {', '.join(known) or 'none'})"
        )


def cmd_exports_list(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    entries = recent_exports(app.open_upgraded_store(settings), limit=args.limit)
    if args.json:
        console.out.print_json(json.dumps([_entry_json(e) for e in entries], ensure_ascii=False))
        return 0
    if not entries:
        console.out.print("no exports yet (run `custsync export --tab all`)")
    for e in entries:
        filters = " ".join(f"--{k.replace('_', '-')} {v}" for k, v in e.filters.items())
        console.out.print(
            f"#{e.export_id} {e.exported_at:%Y-%m-%d %H:%M:%SZ} {e.exported_by}: "
            f"{e.tab}, {many(e.row_count, 'row')}{', ' + filters if filters else ''} → {e.file}",
            markup=False,
        )
    return 0


def _entry_json(e: ExportEntry) -> dict[str, object]:
    return {
        "export_id": e.export_id,
        "exported_at": e.exported_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "exported_by": e.exported_by,
        "tab": e.tab,
        "filters": e.filters,
        "columns": list(e.columns),
        "row_count": e.row_count,
        "file": e.file,
    }
