"""``customers merge|split`` (operator overrides of identity), ``customers compare`` (why two
customers are two) and ``import`` (customer lists)."""

from __future__ import annotations

import argparse
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from custsync import app, console
from custsync.commands.common import add_command, settings_from
from custsync.commands.customers_view import customers_subparsers
from custsync.comparison import compare_customers, nearest_customers
from custsync.connectors.files import SKIPPED_ROWS_SHOWN, parse_mapping
from custsync.curation import ImportSummary, import_contacts, merge_customers, split_buyer
from custsync.errors import UsageError
from custsync.records import AccountId
from custsync.reports.comparison import (
    comparison_json,
    comparison_lines,
    neighbourhood_json,
    neighbourhood_lines,
)
from custsync.wording import many

_ACCOUNT_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def register(sub: Any) -> None:
    actions = customers_subparsers(sub)
    p = add_command(
        actions, "merge", "make two customers one, for good (survives every sync)", cmd_merge
    )
    p.add_argument("first", metavar="A", help="customer id")
    p.add_argument("second", metavar="B", help="customer id")
    p = add_command(
        actions,
        "compare",
        "why two customers are two, pair of buyers by pair (with one id: its nearest others)",
        cmd_compare,
    )
    p.add_argument("first", metavar="A", help="customer id")
    p.add_argument(
        "second", metavar="B", nargs="?", help="customer id (left out: the customers nearest A)"
    )
    p.add_argument(
        "--limit",
        type=int,
        default=10,
        help="show at most this many pairs, or customers, in full (default 10)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output (all of them)")
    p = add_command(
        actions,
        "split",
        "take a buyer out of a customer, for good (survives every sync)",
        cmd_split,
    )
    p.add_argument("customer_id", metavar="ID")
    p.add_argument("--buyer", required=True, metavar="ACCOUNT:KEY", help="the buyer to take out")
    p = add_command(
        sub, "import", "bring a customer list (CSV or XLSX) in as an account", cmd_import
    )
    p.add_argument("file", type=Path, metavar="FILE")
    p.add_argument("--account", required=True, metavar="NAME", help="account id for this list")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COLUMN=FIELD",
        help="use COLUMN of the file as FIELD (repeatable; beats the automatic mapping)",
    )
    p.add_argument(
        "--keep-unnamed",
        action="store_true",
        help="also bring in rows with no name that have an e-mail or a phone (skipped by default)",
    )


def cmd_merge(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    store = app.open_upgraded_store(settings)
    survivor = merge_customers(
        store, args.first, args.second, base_currency=settings.base_currency, now=_now()
    )
    console.out.print(f"{args.first} and {args.second} are one customer: {survivor}", markup=False)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    if args.limit < 1:
        raise UsageError(f"--limit: expected ≥ 1, got {args.limit}")
    store = app.open_upgraded_store(settings_from(args))
    if args.second is None:
        near = nearest_customers(store, args.first)
        plain, lines = neighbourhood_json(near), neighbourhood_lines(near, shown=args.limit)
    else:
        found = compare_customers(store, args.first, args.second)
        plain, lines = comparison_json(found), comparison_lines(found, shown=args.limit)
    if args.json:
        console.out.print_json(json.dumps(plain, ensure_ascii=False))
        return 0
    for line in lines:
        console.out.print(line, markup=False)
    return 0


def cmd_split(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    store = app.open_upgraded_store(settings)
    new_id = split_buyer(
        store, args.customer_id, args.buyer, base_currency=settings.base_currency, now=_now()
    )
    console.out.print(f"buyer {args.buyer} is now customer {new_id}", markup=False)
    return 0


def cmd_import(args: argparse.Namespace) -> int:
    if not _ACCOUNT_ID.match(args.account):
        raise UsageError(f"--account {args.account!r}: up to 64 letters, digits, '.', '_' or '-'")
    settings = settings_from(args)
    store = app.open_upgraded_store(settings)
    summary = import_contacts(
        store,
        args.file,
        AccountId(args.account),
        parse_mapping(args.map),
        base_currency=settings.base_currency,
        now=_now(),
        unnamed=args.keep_unnamed,
    )
    for line in summary_lines(args.file, summary):
        console.out.print(line, markup=False)
    return 0


def summary_lines(path: Path, summary: ImportSummary) -> list[str]:
    mapped = ", ".join(f"{column} → {field}" for column, field in summary.mapping.items())
    sheet = f" (sheet {summary.sheet!r}, the first)" if summary.sheet else ""
    lines = [f"{path}{sheet}: columns {mapped or 'none recognised'}"]
    if summary.ignored_columns:
        lines.append(f"  ignored columns: {', '.join(summary.ignored_columns)}")
    lines.append(
        f"  imported {summary.imported} ({summary.inserted} new, {summary.updated} changed, "
        f"{summary.unchanged} unchanged), skipped {sum(summary.skipped.values())}"
    )
    for reason, count in sorted(summary.skipped.items()):
        rows = _row_list(summary.skipped_rows.get(reason, []), count)
        lines.append(f"  skipped {count}: {reason}{rows}")
    if reachable := summary.unnamed_reachable:
        has, them = (
            ("row without a name has", "it")
            if reachable == 1
            else ("rows without a name have", "them")
        )
        lines.append(f"  {reachable} {has} an e-mail or a phone: --keep-unnamed brings {them} in")
    for what, found in summary.unusable.items():
        where = _row_list(found[:SKIPPED_ROWS_SHOWN], len(found))
        lines.append(
            f"  {what} not usable for matching in {many(len(found), 'row')}, kept as written{where}"
        )
    lines.append(f"  customers refreshed: {summary.customers_refreshed}")
    return lines


def _row_list(shown: list[int], count: int) -> str:
    """``" (rows 3, 9 and 4 more)"``: where the first skipped rows are in the file."""
    if not shown:
        return ""
    more = f" and {count - len(shown)} more" if count > len(shown) else ""
    label = "row" if count == 1 else "rows"
    return f" ({label} {', '.join(map(str, shown))}{more})"


def _now() -> datetime:
    return datetime.now(UTC)
