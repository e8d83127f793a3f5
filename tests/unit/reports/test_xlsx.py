from __future__ import annotations

from datetime import datetime
from pathlib import Path

from openpyxl import load_workbook

from custsync.reports.xlsx import XLSX_NAME, write_xlsx
from custsync.store.db import Store
from custsync.store.queries import CUSTOMER_COLUMNS, Tab, tab_rows
from tests.support.reports import seed


def test_one_sheet_per_tab_with_contract_header_and_order(store: Store, tmp_path: Path) -> None:
    seed(store)
    written = write_xlsx(store, tmp_path)
    assert written == {
        "all": 5,
        "highest-value": 5,
        "most-orders": 5,
        "most-returns": 1,
        "promo-codes": 2,
        "watchlist": 0,
    }
    book = load_workbook(tmp_path / XLSX_NAME, read_only=True)
    assert book.sheetnames == [t.value for t in Tab]
    sheet = list(book["highest-value"].iter_rows(values_only=True))
    assert sheet[0] == CUSTOMER_COLUMNS
    assert [r[0] for r in sheet[1:]] == [r.customer_id for r in tab_rows(store, Tab.HIGHEST_VALUE)]


def test_cells_are_typed_and_formulas_are_text(store: Store, tmp_path: Path) -> None:
    seed(store)
    write_xlsx(store, tmp_path)
    book = load_workbook(tmp_path / XLSX_NAME)  # not read-only: formulas would show as such
    rows = list(book["promo-codes"].iter_rows(min_row=2, values_only=True))
    col = {name: i for i, name in enumerate(CUSTOMER_COLUMNS)}
    formula = next(r for r in rows if "HYPERLINK" in str(r[col["name"]]))
    assert formula[col["name"]] == '\'=HYPERLINK("http://x")'
    assert formula[col["amount_spent"]] == 50.0
    assert formula[col["orders"]] == 1
    assert isinstance(formula[col["last_order_at"]], datetime)
    for cell in book["all"].iter_rows(min_row=2):
        assert all(c.data_type != "f" for c in cell)
