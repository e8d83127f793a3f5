"""Every report file in the asked formats: the tab CSVs (+ buyers/orders), index.html, xlsx."""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from pathlib import Path

from custsync.reports.csv import write_tab_csvs
from custsync.reports.html import HTML_NAME, write_html
from custsync.store.db import Store

REPORT_FORMATS = ("csv", "html", "xlsx")
DEFAULT_FORMATS = ("csv", "html")


def write_report_files(
    store: Store,
    out_dir: Path,
    formats: Collection[str] = DEFAULT_FORMATS,
    *,
    now: datetime | None = None,
) -> dict[str, int]:
    """Rows written per file name (customers for index.html, all sheets for the workbook)."""
    unknown = set(formats) - set(REPORT_FORMATS)
    if unknown:
        raise ValueError(f"unknown report format(s) {', '.join(sorted(unknown))}")
    written: dict[str, int] = {}
    if "csv" in formats:
        written |= write_tab_csvs(store, out_dir)
    if "html" in formats:
        written[HTML_NAME] = write_html(store, out_dir, now=now or datetime.now(UTC))
    if "xlsx" in formats:  # openpyxl only then: importing it takes a quarter of a second
        from custsync.reports.xlsx import XLSX_NAME, write_xlsx

        written[XLSX_NAME] = sum(write_xlsx(store, out_dir).values())
    return written
