"""CSV files: one per tab, plus buyers.csv and orders.csv (contract: "Report files")."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path

from custsync.reports.cells import money_cell, text_cell, time_cell
from custsync.store.db import Store
from custsync.store.queries import (
    CUSTOMER_COLUMNS,
    BuyerRow,
    CustomerRow,
    OrderRow,
    Tab,
    buyer_rows,
    order_rows,
    tab_rows,
)

BUYER_COLUMNS = ("customer_id", "account_id", "marketplace", "buyer_key")
ORDER_COLUMNS = (
    "order_id",
    "account_id",
    "marketplace",
    "customer_id",
    "purchased_at",
    "status",
    "currency",
    "total",
    "discount",
    "units",
)


def customer_cells(row: CustomerRow) -> list[str]:
    return [
        row.customer_id,
        text_cell(row.name),
        text_cell(row.email),
        text_cell(row.phone),
        text_cell(row.address),
        text_cell(row.zip),
        text_cell(row.city),
        text_cell(row.state),
        text_cell(row.country),
        str(row.orders),
        str(row.units),
        money_cell(row.amount_spent),
        row.currency,
        money_cell(row.discount_received),
        str(row.promo_codes_used),
        str(row.negative_feedbacks),
        str(row.returned_units),
        text_cell(row.seller_accounts),
        time_cell(row.first_order_at),
        time_cell(row.last_order_at),
    ]


def _buyer_cells(row: BuyerRow) -> list[str]:
    return [row.customer_id, row.account_id, text_cell(row.marketplace), text_cell(row.buyer_key)]


def _order_cells(row: OrderRow) -> list[str]:
    return [
        text_cell(row.order_id),
        row.account_id,
        text_cell(row.marketplace),
        row.customer_id or "",
        time_cell(row.purchased_at),
        row.status,
        row.currency,
        money_cell(row.total),
        money_cell(row.discount),
        str(row.units),
    ]


def write_csv(
    path: Path, header: Iterable[str], rows: Iterator[list[str]], *, bom: bool = False
) -> int:
    """Write atomically (temp file + rename); returns the number of data rows."""
    tmp = path.with_name(path.name + ".tmp")
    count = 0
    with tmp.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(list(header))
        for row in rows:
            writer.writerow(row)
            count += 1
    tmp.replace(path)
    return count


def write_tab_csvs(store: Store, out_dir: Path, *, bom: bool = False) -> dict[str, int]:
    """Every tab file plus buyers.csv and orders.csv; returns rows written per file name."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, int] = {}
    for tab in Tab:
        name = f"{tab.value}.csv"
        rows = (customer_cells(r) for r in tab_rows(store, tab))
        written[name] = write_csv(out_dir / name, CUSTOMER_COLUMNS, rows, bom=bom)
    written["buyers.csv"] = write_csv(
        out_dir / "buyers.csv", BUYER_COLUMNS, (_buyer_cells(r) for r in buyer_rows(store)), bom=bom
    )
    written["orders.csv"] = write_csv(
        out_dir / "orders.csv", ORDER_COLUMNS, (_order_cells(r) for r in order_rows(store)), bom=bom
    )
    return written
