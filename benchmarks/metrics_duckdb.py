"""Metrics of every customer, set-based in the store, against DuckDB's same aggregation over
the same rows, for ``identity_scale.py``: in the benchmark's process (whose heap a rebuild has
left in pieces), then both again in a new process, as ``custsync fx set`` computes them.
Prints each side's best run, every run, and the ratio.
"""

from __future__ import annotations

import csv
import multiprocessing
import time
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pace import peak_mb

from custsync.pipeline.fx import FxTable
from custsync.store.customers import load_fx_rates
from custsync.store.db import Store, open_store
from custsync.store.metrics_sql import customer_metrics

METRIC_ROUNDS = 3  # runs of each side of the metrics comparison, taking turns


def compare_metrics(store: Store, tmp: Path) -> None:
    """The metrics of every customer against DuckDB's same aggregation, in this process
    (whose heap the rebuild has left in pieces), then both again in a new process, as
    ``custsync fx set`` computes them. Each side runs ``METRIC_ROUNDS`` times, taking turns,
    and its best time counts: this machine's speed wanders by tens of percent within
    minutes, and turns put both sides through the same moments."""
    db = "SQLite" if store.engine.dialect.name == "sqlite" else "PostgreSQL"
    ours, duck, customers = metrics_against_duckdb(store, tmp, show=True)
    print(f"{f'metrics set-based in {db} ({customers} customers)':<48} {_best(ours)}")
    print(f"{'same aggregation in DuckDB (in memory)':<48} {_best(duck)}")
    print(f"{f'ratio {db} / DuckDB (best against best)':<48} {min(ours) / min(duck):8.2f}")
    print(f"{'peak memory of the process':<48} {peak_mb():8.0f} MB")
    url = store.engine.url.render_as_string(hide_password=False)
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn")) as pool:
        ours, duck, _ = pool.submit(_fresh_metrics, url, tmp).result()
    print(f"{f'in a new process: {db}':<48} {_best(ours)}")
    print(f"{'in a new process: DuckDB':<48} {_best(duck)}")
    print(f"{f'ratio {db} / DuckDB in a new process':<48} {min(ours) / min(duck):8.2f}")


def _best(times: list[float]) -> str:
    """The best of ``times`` and all of them, in seconds."""
    return f"{min(times):8.2f} s (runs {', '.join(f'{t:.2f}' for t in times)})"


def _fresh_metrics(url: str, tmp: Path) -> tuple[list[float], list[float], int]:
    store = open_store(url)
    try:
        return metrics_against_duckdb(store, tmp, show=False)
    finally:
        store.dispose()


def metrics_against_duckdb(
    store: Store, tmp: Path, *, show: bool
) -> tuple[list[float], list[float], int]:
    """Seconds of each run of the metrics of every customer and of DuckDB's same
    aggregation (after a first run of ours that warms the store's cache, as DuckDB's rows
    are in memory), and the customers."""
    fx = FxTable.from_rates("USD", load_fx_rates(store))
    db = "SQLite" if store.engine.dialect.name == "sqlite" else "PostgreSQL"
    duck = duckdb_tables(store, tmp)
    ours: list[float] = []
    theirs: list[float] = []
    with store.engine.connect() as conn:
        started = time.perf_counter()
        customers = len(customer_metrics(conn, fx))
        if show:
            cold = time.perf_counter() - started
            print(f"{f'metrics set-based in {db}, first run (cache)':<48} {cold:8.2f} s")
        for _ in range(METRIC_ROUNDS):
            started = time.perf_counter()
            customer_metrics(conn, fx)
            ours.append(time.perf_counter() - started)
            theirs.append(duckdb_metrics(duck, fx))
    return ours, theirs, customers


def duckdb_tables(store: Store, tmp: Path) -> Any:
    """An in-memory DuckDB database holding the store's rows that the metrics read."""
    import duckdb

    tables = {
        "orders": "account_id VARCHAR, order_id VARCHAR, buyer_key VARCHAR, status VARCHAR, "
        "currency VARCHAR, total BIGINT, discount BIGINT, units INTEGER, purchased_at TIMESTAMP",
        "buyers": "account_id VARCHAR, buyer_key VARCHAR, customer_id VARCHAR",
        "order_lines": "account_id VARCHAR, order_id VARCHAR, promo_codes VARCHAR",
        "returns": "account_id VARCHAR, order_id VARCHAR, qty INTEGER",
        "feedback": "account_id VARCHAR, order_id VARCHAR, rating INTEGER",
        "promo_uses": "account_id VARCHAR, order_id VARCHAR, code VARCHAR",
    }
    db = duckdb.connect()
    with store.engine.connect() as conn:
        for name, typed in tables.items():
            columns = ", ".join(part.split()[0] for part in typed.split(", "))
            path = tmp / f"{name}.csv"
            rows = conn.exec_driver_sql(f"SELECT {columns} FROM {name}").all()
            with path.open("w", newline="", encoding="utf-8") as handle:
                csv.writer(handle).writerows(map(_naive_utc, rows))
            db.execute(f"CREATE TABLE {name} ({typed})")
            if rows:
                db.execute(f"COPY {name} FROM '{path}' (HEADER false)")
    return db


def duckdb_metrics(db: Any, fx: FxTable) -> float:
    """Seconds for DuckDB's aggregation, every row fetched."""
    started = time.perf_counter()
    for query in (_money_query(fx), *DUCK_QUERIES):
        db.execute(query).fetchall()
    return time.perf_counter() - started


def _naive_utc(row: Sequence[object]) -> list[object]:
    """A row for DuckDB's TIMESTAMP columns: PostgreSQL's aware times as naive UTC."""
    return [
        x.astimezone(UTC).replace(tzinfo=None) if isinstance(x, datetime) and x.tzinfo else x
        for x in row
    ]


_JOIN = "orders o JOIN buyers b ON b.account_id = o.account_id AND b.buyer_key = o.buyer_key"


def _money_query(fx: FxTable) -> str:
    """The money aggregation, with the rate period chosen as ``metrics_sql`` does."""
    whens = " ".join(
        f"WHEN o.currency = '{currency}' AND o.purchased_at >= TIMESTAMP '{start}' THEN {index}"
        for currency, found in sorted(fx.schedule().items())
        for index, (start, _) in reversed(list(enumerate(found)))
    )
    period = f"CASE {whens} ELSE -1 END" if whens else "-1"
    kept = "o.status <> 'cancelled'"
    return f"""SELECT b.customer_id, o.currency, {period} AS period,
        SUM(CASE WHEN {kept} THEN 1 ELSE 0 END), SUM(CASE WHEN {kept} THEN o.units ELSE 0 END),
        SUM(CASE WHEN {kept} THEN o.total ELSE 0 END),
        SUM(CASE WHEN {kept} THEN o.discount ELSE 0 END),
        MIN(CASE WHEN {kept} THEN o.purchased_at END), MIN(o.purchased_at), MAX(o.purchased_at)
        FROM {_JOIN} GROUP BY 1, 2, 3"""


DUCK_QUERIES = (
    f"""SELECT b.customer_id, SUM(r.qty) FROM {_JOIN}
        JOIN returns r ON r.account_id = o.account_id AND r.order_id = o.order_id GROUP BY 1""",
    f"""SELECT b.customer_id, COUNT(*) FROM {_JOIN} JOIN feedback f ON f.account_id =
        o.account_id AND f.order_id = o.order_id WHERE f.rating <= 2 GROUP BY 1""",
    f"SELECT DISTINCT b.customer_id, o.account_id FROM {_JOIN}",
    f"""SELECT DISTINCT b.customer_id, l.promo_codes FROM {_JOIN} JOIN order_lines l ON
        l.account_id = o.account_id AND l.order_id = o.order_id
        WHERE o.status <> 'cancelled' AND l.promo_codes <> ''""",
    f"""SELECT DISTINCT b.customer_id, u.code FROM {_JOIN} JOIN promo_uses u ON
        u.account_id = o.account_id AND u.order_id = o.order_id WHERE o.status <> 'cancelled'""",
)
