"""Report writing at scale: time, peak memory and file sizes for N customers.

Builds a synthetic store once per size (through the real ingest path: ``write_page`` with
canonical orders, returns, feedback and promo uses, then ``rebuild_customers``), cached under
``$TMPDIR/custsync-bench``. Each report format is then written in a fresh process, so the peak
RSS printed belongs to that step alone. With ``--browser`` the 100k page is also timed in
headless Chromium (load, search, sort, tab switch).

Usage: python benchmarks/reports_scale.py [--browser] [N ...]   (default: 10000 100000)
"""

from __future__ import annotations

import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from pace import peak_mb

SIZES = (10_000, 100_000)
CACHE = Path(tempfile.gettempdir()) / "custsync-bench"
NOW = datetime(2026, 3, 1, tzinfo=UTC)
# fmt: off
FIRST = ["Ann", "Björn", "Chloé", "Dmitri", "Élodie", "Fatima", "George", "Hana", "Ivan",
         "Jürgen", "Kenji", "Łukasz", "María", "Noah", "Olga", "Priya", "Quentin", "Rosa", "Søren",
         "Tariq"]
LAST = ["Smith", "Müller", "García", "Nguyen", "Kowalski", "Rossi", "Dubois", "Tanaka", "Öztürk",
        "Johnson", "Brown", "Schmidt", "Novak", "Silva", "Jensen", "Khan", "O'Brien", "Lee"]
CITIES = [("New York", "NY", "10001", "US"), ("Austin", "TX", "73301", "US"),
          ("Toronto", "ON", "M5H 2N2", "CA"), ("London", "England", "SW1A 1AA", "GB"),
          ("München", "Bayern", "80331", "DE"), ("Seattle", "WA", "98101", "US")]
# fmt: on
ACCOUNTS = ("amazon-na", "amazon-eu")


def build(n: int, path: Path) -> None:
    """Child mode: a store with ``n`` customers (about 2 orders each)."""
    from sqlalchemy import create_engine

    from custsync.rebuild import rebuild_customers
    from custsync.records import AccountId
    from custsync.store.annotations import watch
    from custsync.store.db import Store, open_store, upgrade
    from custsync.store.state import register_account

    store = open_store(f"sqlite:///{path}")
    upgrade(store)
    for account in ACCOUNTS:
        register_account(store, AccountId(account), "amazon", account, now=NOW)
    started = time.perf_counter()
    _ingest(store, n)
    # rebuild_customers streams facts on one connection while it saves on another; on SQLite
    # the store's BEGIN IMMEDIATE would make that wait on itself, so use default transactions.
    plain = Store(create_engine(f"sqlite:///{path}", connect_args={"timeout": 60}))
    rebuild_customers(plain, None, base_currency="USD", now=NOW)
    plain.dispose()
    for customer_id in _some_customer_ids(store, 200):
        watch(store, customer_id, "benchmark watch", now=NOW)
    store.dispose()
    print(f"built {n} customers in {time.perf_counter() - started:.0f} s", file=sys.stderr)


def _ingest(store: Any, n: int) -> None:
    """Canonical records for ``n`` buyers, written page by page through ``write_page``."""
    from custsync.connectors.base import Cursor, Page
    from custsync.records import AccountId, StreamName
    from custsync.store.ingest import write_page

    rng = random.Random(n)
    page: list[Any] = []
    for i in range(n):
        buyer = _buyer(rng, i)
        for k in range(rng.choice((1, 1, 2, 2, 3, 4))):
            page += _order_records(rng, ACCOUNTS[i % 2], f"buyer-{i}", f"{i:07d}-{k}", buyer)
        if len(page) >= 5000 or i == n - 1:
            for account in ACCOUNTS:
                records = [r for r in page if r.account_id == account]
                chunk = Page(records, [], Cursor())
                write_page(store, AccountId(account), StreamName.ORDERS, chunk, run_id="b", now=NOW)
            page = []


def _buyer(rng: random.Random, i: int) -> Any:
    from custsync.records import BuyerInfo

    first, last = rng.choice(FIRST), rng.choice(LAST)
    city, state, postal, country = rng.choice(CITIES)
    return BuyerInfo(
        name=f"{first} {last}",
        email=f"{first.lower()}.{i}@example.com",
        phone=f"+1 555 {i % 1000:03d} {i % 10000:04d}",
        company="ACME Ltd" if i % 17 == 0 else None,
        address_line1=f"{i % 900 + 1} Main Street",
        city=city,
        state=state,
        postal_code=postal,
        country_code=country,
    )


def _order_records(
    rng: random.Random, account: str, buyer_key: str, order_id: str, buyer: Any
) -> list[Any]:
    """One order, and sometimes a return, a feedback and a promo use for it."""
    from custsync.records import (
        AccountId,
        BuyerKey,
        Feedback,
        Order,
        OrderLine,
        OrderStatus,
        PromoUse,
        Return,
    )

    acct = AccountId(account)
    at = NOW - timedelta(days=rng.randrange(1, 700), seconds=rng.randrange(86400))
    qty, price = rng.randrange(1, 4), Decimal(rng.randrange(500, 20000)) / 100
    codes = ("SAVE10",) if rng.random() < 0.1 else ()
    discount = Decimal("1.00") if codes else Decimal(0)
    status = OrderStatus.CANCELLED if rng.random() < 0.05 else OrderStatus.SHIPPED
    line = OrderLine("L1", f"SKU-{rng.randrange(50)}", "Thing", qty, price, discount, codes)
    records: list[Any] = [
        Order(acct, "ATVPDKIKX0DER", order_id, BuyerKey(buyer_key), status, at, at, "USD",
              price * qty - discount, (line,), buyer, f'{{"id": "{order_id}"}}')
    ]  # fmt: skip
    if rng.random() < 0.05:
        later = at + timedelta(days=9)
        records.append(Return(acct, f"R{order_id}", order_id, line.sku, 1, "defective", later))
    if rng.random() < 0.03:
        rating = rng.choice((1, 2, 5))
        records.append(Feedback(acct, order_id, rating, "meh", at + timedelta(days=12)))
    if codes:
        records.append(PromoUse(acct, order_id, "SAVE10", discount, "USD"))
    return records


def _some_customer_ids(store: object, count: int) -> list[str]:
    from custsync.store.queries import Tab, tab_rows

    ids = []
    for row in tab_rows(store, Tab.HIGHEST_VALUE):  # type: ignore[arg-type]
        ids.append(row.customer_id)
        if len(ids) >= count:
            break
    return ids


def write(path: Path, formats: str) -> None:
    """Child mode: write the reports in ``formats`` and print time and peak RSS."""
    from custsync.reports.files import write_report_files
    from custsync.store.db import open_store

    out = path.parent / f"{path.stem}-out"
    store = open_store(f"sqlite:///{path}")
    started = time.perf_counter()
    written = write_report_files(store, out, formats.split(","), now=NOW)
    elapsed = time.perf_counter() - started
    peak = peak_mb()
    sizes = {name: (out / name).stat().st_size for name in written}
    size_text = ", ".join(
        f"{name} {size / 1e6:.1f} MB"
        for name, size in sizes.items()
        if name.endswith((".html", ".xlsx")) or name == "all.csv"
    )
    print(f"  {formats:<13} {elapsed:7.1f} s   peak RSS {peak:5.0f} MB   {size_text}")


def browse(path: Path) -> None:
    """Child mode: time the HTML report in headless Chromium."""
    from playwright.sync_api import sync_playwright

    args = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
    ]
    html = path.parent / f"{path.stem}-out" / "index.html"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=args)
        page = browser.new_page()
        started = time.perf_counter()
        page.goto(html.as_uri())
        page.wait_for_selector("body[data-ready=true]", timeout=120_000)
        loaded = time.perf_counter() - started
        timings = {"load": loaded}
        steps: tuple[tuple[str, Callable[[], None]], ...] = (
            ("search", lambda: page.fill("#cs-search", "müller")),
            ("sort by name", lambda: page.click("th[data-col=name] button")),
            ("tab highest-value", lambda: page.click("[data-tab=highest-value]")),
            ("next page", lambda: page.click("[data-page=next]")),
        )
        for name, action in steps:
            page.evaluate("document.body.dataset.ready = 'false'")
            started = time.perf_counter()
            action()
            page.wait_for_selector("body[data-ready=true]")
            timings[name] = time.perf_counter() - started
        browser.close()
    print(
        "  chromium: "
        + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in timings.items())
        + " (search includes a 120 ms debounce)"
    )


def main() -> None:
    if len(sys.argv) >= 3 and sys.argv[1].startswith("--child-"):
        mode, target = sys.argv[1], Path(sys.argv[2])
        if mode == "--child-build":
            build(int(sys.argv[3]), target)
        elif mode == "--child-write":
            write(target, sys.argv[3])
        else:
            browse(target)
        return
    with_browser = "--browser" in sys.argv
    sizes = [int(a) for a in sys.argv[1:] if a.isdigit()] or list(SIZES)
    CACHE.mkdir(parents=True, exist_ok=True)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite store"
    )
    for n in sizes:
        db = CACHE / f"reports-{n}.db"
        if not db.exists():
            tmp = db.with_name(db.name + ".building")
            tmp.unlink(missing_ok=True)
            subprocess.run(
                [sys.executable, __file__, "--child-build", str(tmp), str(n)], check=True
            )
            tmp.rename(db)
        print(f"{n} customers:")
        for formats in ("csv", "html", "xlsx", "csv,html"):
            subprocess.run(
                [sys.executable, __file__, "--child-write", str(db), formats], check=True
            )
        if with_browser:
            subprocess.run([sys.executable, __file__, "--child-browse", str(db)], check=True)


if __name__ == "__main__":
    main()
