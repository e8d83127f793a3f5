"""Turning values into CSV cells: exact text, ISO UTC dates, no runnable formulas."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def text_cell(value: str | None) -> str:
    """Untrusted text; a leading formula character is neutralised with a quote."""
    if not value:
        return ""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def money_cell(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01'))}"


def time_cell(value: datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
