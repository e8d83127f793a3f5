"""``fx set|list|load``: dated exchange rates into the base currency."""

from __future__ import annotations

import argparse
import csv
import tomllib
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from custsync import app, console
from custsync.commands.common import add_command, settings_from
from custsync.curation import set_rates
from custsync.errors import ConfigError, UsageError
from custsync.pipeline.fx import FxRate
from custsync.store.customers import load_fx_rates

ALWAYS = date(1970, 1, 1)  # a rate given without --from applies to every date


def register(sub: Any) -> None:
    actions = sub.add_parser("fx", help="exchange rates into the base currency").add_subparsers(
        dest="fx_command", required=True, metavar="ACTION"
    )
    p = add_command(actions, "set", "set a rate: 1 CUR = RATE base currency", cmd_set)
    p.add_argument("currency", metavar="CUR", help="ISO code, e.g. EUR")
    p.add_argument("rate", metavar="RATE", help="units of the base currency per 1 CUR")
    p.add_argument("--from", dest="valid_from", metavar="DATE", help="valid from (YYYY-MM-DD)")
    p.add_argument("--base", metavar="CUR", help="base currency (default: the setting)")
    add_command(actions, "list", "every stored rate", cmd_list)
    p = add_command(actions, "load", "load rates from a CSV or TOML file", cmd_load)
    p.add_argument("file", type=Path, metavar="FILE")


def cmd_set(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    base = _currency(args.base or settings.base_currency, "--base")
    rate = parse_rate(args.currency, args.rate, args.valid_from, base, where="fx set")
    store = app.open_upgraded_store(settings)
    set_rates(store, [rate], base_currency=settings.base_currency, now=datetime.now(UTC))
    console.out.print(f"1 {rate.currency} = {_shown(rate.rate)} {base} from {rate.valid_from}")
    later = [
        r.valid_from
        for r in load_fx_rates(store)
        if (r.currency, r.base_currency) == (rate.currency, base) and r.valid_from > rate.valid_from
    ]
    if later:
        console.out.print(
            f"  only for orders before {min(later)}: a rate of {rate.currency} from that day on "
            "is stored (`custsync fx list`); --from YYYY-MM-DD sets one from a day on"
        )
    return 0


def _shown(rate: Decimal) -> str:
    """A rate as written, without the zeros a database pads it with: 1.080000 → 1.08."""
    return format(rate.normalize(), "f")


def cmd_list(args: argparse.Namespace) -> int:
    store = app.open_upgraded_store(settings_from(args))
    rates = sorted(load_fx_rates(store), key=lambda r: (r.base_currency, r.currency, r.valid_from))
    if not rates:
        console.out.print("no exchange rates (add one with `custsync fx set CUR RATE`)")
    for r in rates:
        console.out.print(
            f"{r.currency} → {r.base_currency}  {_shown(r.rate)}  from {r.valid_from}"
        )
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    rates = read_rates(args.file, settings.base_currency)
    store = app.open_upgraded_store(settings)
    stored = set_rates(store, rates, base_currency=settings.base_currency, now=datetime.now(UTC))
    console.out.print(f"{args.file}: {stored} rates stored")
    return 0


def read_rates(path: Path, default_base: str) -> list[FxRate]:
    """Rates from CSV (``currency,rate[,valid_from][,base_currency]``) or TOML
    (``[[rates]]`` tables with the same keys)."""
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    if path.suffix.lower() == ".toml":
        try:
            entries = tomllib.loads(path.read_text(encoding="utf-8")).get("rates", [])
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: {exc}") from None
    else:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            entries = list(csv.DictReader(handle))
    return [
        parse_rate(
            str(e.get("currency", "")),
            str(e.get("rate", "")),
            str(e.get("valid_from") or "") or None,
            _currency(str(e.get("base_currency") or default_base), "base_currency"),
            where=f"{path} entry {n}",
        )
        for n, e in enumerate(entries, start=1)
    ]


def parse_rate(
    currency: str, rate: str, valid_from: str | None, base: str, *, where: str
) -> FxRate:
    code = _currency(currency, f"{where}: currency")
    try:
        value = Decimal(rate.strip())
    except InvalidOperation:
        raise UsageError(f"{where}: rate {rate!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise UsageError(f"{where}: rate must be a positive number, got {rate}")
    try:
        start = date.fromisoformat(valid_from) if valid_from else ALWAYS
    except ValueError:
        raise UsageError(f"{where}: date {valid_from!r} is not YYYY-MM-DD") from None
    return FxRate(code, base, start, value)


def _currency(value: str, label: str) -> str:
    code = value.strip().upper()
    if len(code) != 3 or not code.isalpha():
        raise UsageError(f"{label}: {value!r} is not a 3-letter currency code")
    return code
