"""``export`` options: declared as plain strings, checked here so a bad value gives one line.

argparse's own type errors print the usage block too; these checks raise ``UsageError``
(exit code 2) with a single line that names the option and what it accepts.
"""

from __future__ import annotations

import argparse
import re
from datetime import date
from decimal import Decimal, InvalidOperation

from custsync.errors import UsageError
from custsync.reports.export import ExportRequest
from custsync.store.queries import CUSTOMER_COLUMNS, CustomerFilter, PageWindow, SortOrder, Tab

PER_PAGE_MIN, PER_PAGE_MAX, PER_PAGE_DEFAULT = 10, 100, 25
COUNTRY = re.compile(r"^[A-Za-z]{2}$")
FILTER_OPTIONS = (
    "search",
    "min_spent",
    "max_spent",
    "min_orders",
    "max_orders",
    "since",
    "until",
    "account",
    "country",
)


def add_export_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--tab", help=f"the tab to export ({', '.join(t.value for t in Tab)})")
    p.add_argument("--columns", help="comma-separated column ids (default: every column)")
    p.add_argument("--sort", metavar="COL", help="sort by this column (default: the tab's order)")
    p.add_argument("--desc", action="store_true", help="sort descending")
    p.add_argument("--search", metavar="TEXT", help="partial match on name, email, phone, company")
    p.add_argument("--min-spent", metavar="X", help="amount spent at least X (base currency)")
    p.add_argument("--max-spent", metavar="X", help="amount spent at most X")
    p.add_argument("--min-orders", metavar="N", help="at least N orders")
    p.add_argument("--max-orders", metavar="N", help="at most N orders")
    p.add_argument("--since", metavar="DATE", help="ordered on or after DATE (YYYY-MM-DD, UTC)")
    p.add_argument("--until", metavar="DATE", help="ordered on or before DATE (YYYY-MM-DD, UTC)")
    p.add_argument("--account", metavar="ID", help="has bought from this seller account")
    p.add_argument("--country", metavar="CC", help="two-letter country code")
    p.add_argument("--page", metavar="N", help="only page N (1 = first)")
    p.add_argument("--per-page", metavar="N", help=f"rows per page, {PER_PAGE_MIN}..{PER_PAGE_MAX}")


def export_request(args: argparse.Namespace) -> ExportRequest:
    if not args.tab:
        raise UsageError(f"--tab is required ({_tabs()})")
    try:
        tab = Tab(args.tab)
    except ValueError:
        raise UsageError(f"--tab: unknown tab {args.tab!r} ({_tabs()})") from None
    columns = _columns(args.columns) if args.columns else CUSTOMER_COLUMNS
    if args.desc and not args.sort:
        raise UsageError("--desc needs --sort COL")
    sort = SortOrder(_column("--sort", args.sort), args.desc) if args.sort else None
    return ExportRequest(tab, customer_filter(args), columns, sort, _page(args))


def customer_filter(args: argparse.Namespace) -> CustomerFilter:
    since, until = _date("--since", args.since), _date("--until", args.until)
    if since and until and since > until:
        raise UsageError(f"--since {since} is after --until {until}")
    if args.country is not None and not COUNTRY.match(args.country):
        raise UsageError(f"--country: expected a two-letter code like US, got {args.country!r}")
    return CustomerFilter(
        search=args.search or None,
        min_spent=_money("--min-spent", args.min_spent),
        max_spent=_money("--max-spent", args.max_spent),
        min_orders=_count("--min-orders", args.min_orders),
        max_orders=_count("--max-orders", args.max_orders),
        since=since,
        until=until,
        account_id=args.account,
        country=args.country.upper() if args.country else None,
    )


def filters_given(args: argparse.Namespace) -> dict[str, str]:
    """The filter, sort and page options as typed, for the export log."""
    given = {name: getattr(args, name) for name in FILTER_OPTIONS if getattr(args, name)}
    if args.sort:
        given["sort"] = args.sort + (" desc" if args.desc else "")
    if args.page or args.per_page:
        given["page"] = args.page or "1"
        given["per_page"] = args.per_page or str(PER_PAGE_DEFAULT)
    return given


def _tabs() -> str:
    return ", ".join(t.value for t in Tab)


def _column(option: str, name: str) -> str:
    if name not in CUSTOMER_COLUMNS:
        raise UsageError(f"{option}: unknown column {name!r} ({', '.join(CUSTOMER_COLUMNS)})")
    return name


def _columns(text: str) -> tuple[str, ...]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise UsageError("--columns: give at least one column id")
    return tuple(_column("--columns", n) for n in names)


def _money(option: str, text: str | None) -> Decimal | None:
    if text is None:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise UsageError(f"{option}: not an amount: {text!r} (e.g. 100 or 99.50)") from None
    if not value.is_finite() or value < 0:
        raise UsageError(f"{option}: expected an amount ≥ 0, got {text!r}")
    return value


def _count(option: str, text: str | None, *, low: int = 0, high: int | None = None) -> int | None:
    if text is None:
        return None
    if not re.fullmatch(r"\d+", text.strip()):
        raise UsageError(f"{option}: not a whole number: {text!r}")
    value = int(text)
    if value < low or (high is not None and value > high):
        bounds = f"{low}..{high}" if high is not None else f"≥ {low}"
        raise UsageError(f"{option}: expected {bounds}, got {value}")
    return value


def _date(option: str, text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{option}: not a date: {text!r} (use YYYY-MM-DD)") from None


def _page(args: argparse.Namespace) -> PageWindow | None:
    if args.page is None and args.per_page is None:
        return None
    number = _count("--page", args.page, low=1) or 1
    size = _count("--per-page", args.per_page, low=PER_PAGE_MIN, high=PER_PAGE_MAX)
    return PageWindow(number, size or PER_PAGE_DEFAULT)
