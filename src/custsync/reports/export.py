"""``custsync export``: one tab, filtered, sorted and paged in the store, chosen columns, CSV."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from custsync.reports.csv import customer_cells, write_csv
from custsync.store.db import Store
from custsync.store.queries import (
    CUSTOMER_COLUMNS,
    CustomerFilter,
    PageWindow,
    SortOrder,
    Tab,
    filtered_rows,
)


@dataclass(frozen=True, slots=True)
class ExportRequest:
    tab: Tab
    where: CustomerFilter
    columns: tuple[str, ...] = CUSTOMER_COLUMNS
    sort: SortOrder | None = None
    page: PageWindow | None = None


def write_export(store: Store, request: ExportRequest, path: Path, *, bom: bool = False) -> int:
    """Write the export atomically; returns the number of data rows."""
    picks = _column_indexes(request.columns)
    rows = (
        [cells[i] for i in picks]
        for cells in (
            customer_cells(row)
            for row in filtered_rows(
                store, request.tab, request.where, sort=request.sort, page=request.page
            )
        )
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    return write_csv(path, request.columns, rows, bom=bom)


def _column_indexes(columns: Sequence[str]) -> list[int]:
    unknown = [c for c in columns if c not in CUSTOMER_COLUMNS]
    if unknown:
        raise ValueError(f"unknown column(s) {', '.join(unknown)}")
    return [CUSTOMER_COLUMNS.index(c) for c in columns]
