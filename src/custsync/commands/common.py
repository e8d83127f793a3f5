"""What every command shares: the settings options and how settings are built from them."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from custsync.settings import Settings, load_settings


def add_settings_options(parser: argparse.ArgumentParser) -> None:
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


def add_command(
    subparsers: Any, name: str, help_text: str, handler: Any, *, settings: bool = True
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=help_text, description=help_text
    )
    if settings:
        add_settings_options(parser)
    parser.set_defaults(handler=handler)
    return parser


def settings_from(args: argparse.Namespace, **extra: object) -> Settings:
    return load_settings(
        database_url=getattr(args, "database_url", None),
        accounts_file=getattr(args, "accounts_file", None),
        base_currency=getattr(args, "base_currency", None),
        log_format=getattr(args, "log_format", None),
        **extra,
    )


def safe_url(url: str) -> str:
    """The database URL without its password."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    creds, host = rest.rsplit("@", 1)
    user = creds.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
