"""The ``custsync`` command: parse, load settings, call a use case, exit 0 or with one line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from custsync import __version__, commands
from custsync.errors import CustsyncError
from custsync.logging import configure_logging
from custsync.settings import load_settings

Handler = Callable[[argparse.Namespace], int]


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database-url", help="database URL (env CUSTSYNC_DATABASE_URL)")
    parser.add_argument(
        "--accounts-file", type=Path, help="accounts TOML (env CUSTSYNC_ACCOUNTS_FILE)"
    )
    parser.add_argument(
        "--base-currency", help="currency of reported money (env CUSTSYNC_BASE_CURRENCY)"
    )
    parser.add_argument(
        "--log-format", choices=("console", "json"), help="log style (env CUSTSYNC_LOG_FORMAT)"
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="custsync",
        description="Sync orders, returns, feedback and promo usage from your seller accounts "
        "into one customer record per real person, and write the reports.",
    )
    parser.add_argument("--version", action="version", version=f"custsync {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("init", help="create the database and a starter accounts file")
    _common(p)
    p.set_defaults(handler=commands.cmd_init)

    p = sub.add_parser("demo", help="sync a built-in sandbox marketplace and write its reports")
    _common(p)
    p.add_argument("--seed", type=int, default=7, help="sandbox world seed (default 7)")
    p.add_argument("--orders", type=int, default=3000, help="orders in the world (default 3000)")
    p.add_argument(
        "--out",
        type=Path,
        default=Path("demo-output"),
        help="folder for the demo database and reports (default demo-output)",
    )
    p.set_defaults(handler=commands.cmd_demo)

    p = sub.add_parser("sync", help="sync accounts now, in the foreground")
    _common(p)
    p.add_argument("--account", help="only this account id")
    p.add_argument(
        "--stream", choices=("orders", "returns", "feedback", "promotions"), help="only this stream"
    )
    p.set_defaults(handler=commands.cmd_sync)

    p = sub.add_parser("report", help="write the tab CSVs, buyers.csv and orders.csv")
    _common(p)
    p.add_argument("--out", type=Path, help="output folder (env CUSTSYNC_REPORT_DIR)")
    p.add_argument("--format", default="csv", help="comma-separated formats (csv)")
    p.set_defaults(handler=commands.cmd_report)

    p = sub.add_parser("status", help="freshness and last error per account and stream")
    _common(p)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(handler=commands.cmd_status)

    db = sub.add_parser("db", help="database maintenance").add_subparsers(
        dest="db_command", required=True, metavar="ACTION"
    )
    p = db.add_parser("upgrade", help="apply schema migrations")
    _common(p)
    p.set_defaults(handler=commands.cmd_db_upgrade)

    sandbox = sub.add_parser("sandbox", help="the built-in marketplace sandbox").add_subparsers(
        dest="sandbox_command", required=True, metavar="ACTION"
    )
    p = sandbox.add_parser("serve", help="serve a sandbox world on 127.0.0.1 until interrupted")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--orders", type=int, default=3000)
    p.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    p.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="speed quotas up by this factor (1 = published quotas)",
    )
    p.add_argument(
        "--accounts-out", type=Path, help="write an accounts file pointing at this sandbox"
    )
    p.set_defaults(handler=commands.cmd_sandbox_serve)
    p = sandbox.add_parser("truth", help="write the ground truth of a sandbox world")
    p.add_argument("--seed", type=int, default=7)
    p.add_argument("--orders", type=int, default=3000)
    p.add_argument("--out", type=Path, required=True, help="output folder")
    p.set_defaults(handler=commands.cmd_sandbox_truth)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        settings = load_settings(log_format=getattr(args, "log_format", None))
        configure_logging(settings.effective_log_format, settings.log_level)
        return handler(args)
    except CustsyncError as exc:
        print(f"custsync: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("custsync: interrupted", file=sys.stderr)
        return 130
