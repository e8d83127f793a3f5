"""``report``."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from custsync import app, console
from custsync.commands.common import add_command, settings_from
from custsync.errors import ConfigError
from custsync.reports.files import DEFAULT_FORMATS, REPORT_FORMATS
from custsync.wording import many


def register(sub: Any) -> None:
    p = add_command(
        sub,
        "report",
        "write the report files: tab CSVs, buyers.csv, orders.csv, index.html (and xlsx)",
        cmd_report,
    )
    p.add_argument("--out", type=Path, help="output folder (env CUSTSYNC_REPORT_DIR)")
    p.add_argument(
        "--format",
        default=",".join(DEFAULT_FORMATS),
        help=f"comma-separated formats ({', '.join(REPORT_FORMATS)}; default %(default)s)",
    )


def cmd_report(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    formats = {f.strip() for f in args.format.split(",") if f.strip()}
    unknown = formats - set(REPORT_FORMATS)
    if unknown:
        known = ", ".join(REPORT_FORMATS)
        raise ConfigError(f"--format: unknown format(s) {', '.join(sorted(unknown))} ({known})")
    out_dir = args.out or settings.report_dir
    store = app.open_upgraded_store(settings)
    written = app.write_reports(store, out_dir, formats)
    for name, rows in written.items():
        console.out.print(f"{out_dir / name}: {many(rows, 'row')}")
    return 0
