from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from custsync.reports.export import ExportRequest, write_export
from custsync.store.db import Store
from custsync.store.queries import CustomerFilter, PageWindow, SortOrder, Tab
from tests.support.reports import XSS_NAME, seed


def _rows(path: Path, encoding: str = "utf-8") -> list[list[str]]:
    with path.open(encoding=encoding, newline="") as handle:
        return list(csv.reader(handle))


def test_chosen_columns_in_chosen_order_with_formulas_escaped(store: Store, tmp_path: Path) -> None:
    seed(store)
    request = ExportRequest(
        Tab.ALL,
        CustomerFilter(min_spent=Decimal(1), max_spent=Decimal(60)),
        columns=("name", "amount_spent"),
        sort=SortOrder("amount_spent", descending=True),
    )
    count = write_export(store, request, tmp_path / "out.csv")
    rows = _rows(tmp_path / "out.csv")
    assert rows[0] == ["name", "amount_spent"]
    assert count == len(rows) - 1 == 3
    assert rows[1] == ['\'=HYPERLINK("http://x")', "50.00"]
    assert rows[2] == ["Ann Buyer", "20.00"]
    assert rows[3] == [XSS_NAME, "1.00"]  # not a formula: written as is


def test_bom_and_paging(store: Store, tmp_path: Path) -> None:
    seed(store, filler=30)
    request = ExportRequest(Tab.MOST_ORDERS, CustomerFilter(), page=PageWindow(2, 10))
    assert write_export(store, request, tmp_path / "p.csv", bom=True) == 10
    raw = (tmp_path / "p.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfcustomer_id,name,")
    assert len(_rows(tmp_path / "p.csv", "utf-8-sig")) == 11


def test_unknown_column_is_refused(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown column"):
        write_export(store, ExportRequest(Tab.ALL, CustomerFilter(), ("nope",)), tmp_path / "x")
