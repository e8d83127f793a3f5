"""``customers.xlsx``: one sheet per tab, streamed through openpyxl's write-only mode.

Text goes through the same formula escaping as the CSV files (a cell that starts with ``=``
would otherwise be stored as a formula); counts and money are numbers, times are UTC.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import TypeAlias

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import Cell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from custsync.reports.cells import text_cell
from custsync.store.db import Store
from custsync.store.queries import CUSTOMER_COLUMNS, CustomerRow, Tab, tab_rows

XLSX_NAME = "customers.xlsx"
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
MONEY_FORMAT = "0.00"
MONEY_COLUMNS = frozenset({"amount_spent", "discount_received"})
NUMBER_COLUMNS = frozenset(
    {"orders", "units", "promo_codes_used", "negative_feedbacks", "returned_units"}
)
TIME_COLUMNS = frozenset({"first_order_at", "last_order_at"})
TEXT_COLUMNS = frozenset({"customer_id", "currency"})

Value: TypeAlias = str | int | datetime | Cell | None


def write_xlsx(store: Store, out_dir: Path) -> dict[str, int]:
    """Write ``customers.xlsx`` atomically; returns data rows per sheet (tab)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    workbook = Workbook(write_only=True)
    written: dict[str, int] = {}
    for tab in Tab:
        sheet: WriteOnlyWorksheet = workbook.create_sheet(title=tab.value)
        written[tab.value] = _fill(sheet, tab_rows(store, tab))
    target = out_dir / XLSX_NAME
    tmp = target.with_name(target.name + ".tmp")
    workbook.save(tmp)
    tmp.replace(target)
    return written


def _fill(sheet: WriteOnlyWorksheet, rows: Iterator[CustomerRow]) -> int:
    bold = Font(bold=True)
    header = []
    for name in CUSTOMER_COLUMNS:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    sheet.freeze_panes = "B2"
    count = 0
    for row in rows:
        sheet.append([_cell(sheet, name, getattr(row, name)) for name in CUSTOMER_COLUMNS])
        count += 1
    return count


def _cell(sheet: WriteOnlyWorksheet, name: str, value: object) -> Value:
    if value is None:
        return None
    if name in TIME_COLUMNS and isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = TIME_FORMAT
        return cell
    if name in MONEY_COLUMNS and isinstance(value, Decimal):
        cell = WriteOnlyCell(sheet, value=float(value))
        cell.number_format = MONEY_FORMAT
        return cell
    if name in NUMBER_COLUMNS and isinstance(value, int):
        return value
    if name in TEXT_COLUMNS:
        return str(value)
    return text_cell(str(value))
