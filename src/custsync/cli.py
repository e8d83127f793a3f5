"""The ``custsync`` command: parse, load settings, call a use case, exit 0 or with one line."""

from __future__ import annotations

import argparse
import os
import sys
import traceback
from collections.abc import Callable, Sequence

from custsync import __version__
from custsync.commands import (
    customers_view,
    exports,
    fx,
    identity,
    monitoring,
    operations,
    reporting,
    sandbox,
    setup,
    syncing,
)
from custsync.errors import CustsyncError, UsageError, first_line
from custsync.logging import configure_logging
from custsync.settings import load_settings

Handler = Callable[[argparse.Namespace], int]

# Each group adds its sub-commands; the order here is the order in --help.
COMMAND_GROUPS = (
    setup,
    sandbox,
    syncing,
    monitoring,
    operations,
    reporting,
    exports,
    customers_view,
    identity,
    fx,
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="custsync",
        description="Sync orders, returns, feedback and promo usage from your seller accounts "
        "into one customer record per real person, and write the reports.",
    )
    parser.add_argument("--version", action="version", version=f"custsync {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in COMMAND_GROUPS:
        group.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    handler: Handler = args.handler
    try:
        settings = load_settings(log_format=getattr(args, "log_format", None))
        configure_logging(settings.effective_log_format, settings.log_level)
        return handler(args)
    except UsageError as exc:
        print(f"custsync: {exc}", file=sys.stderr)
        return 2
    except CustsyncError as exc:
        print(f"custsync: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("custsync: interrupted", file=sys.stderr)
        return 130
    except OSError as exc:  # the file system refused a path given (a file where a folder goes)
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"custsync: {where}{exc.strerror or exc}", file=sys.stderr)
        return 1
    except Exception as exc:  # a fault of custsync's own: still one line
        debug = os.environ.get("CUSTSYNC_LOG_LEVEL", "").lower() == "debug"
        where = "" if debug else " (CUSTSYNC_LOG_LEVEL=debug prints where)"
        print(f"custsync: unexpected error: {first_line(exc)}{where}", file=sys.stderr)
        if debug:
            traceback.print_exc()
        return 1
