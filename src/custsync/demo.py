"""``custsync demo``: a sandbox marketplace synced end to end, in seconds, with no credentials."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from custsync import app
from custsync.console import sync_progress
from custsync.pipeline.fx import FxRate
from custsync.sandbox.server import start_sandbox, write_accounts_file
from custsync.sandbox.world import World
from custsync.settings import Settings, load_accounts
from custsync.store.customers import set_fx_rate
from custsync.store.db import Store

# Quotas run this many times faster than published, so the demo takes seconds; the sync
# still counts requests and reports the API time they would take under the real quotas.
DEMO_TIME_SCALE = 6000.0

# Fixed exchange rates for the sandbox world (US dollars per unit).
DEMO_RATES_TO_USD = {"CAD": "0.73", "GBP": "1.27", "EUR": "1.08"}
DEMO_RATES_FROM = date(2020, 1, 1)


@dataclass(frozen=True, slots=True)
class DemoResult:
    accounts: int
    orders: int  # stored, as ``orders.csv`` lists them
    records: int  # fetched from the sandbox: orders (by the API and by report), returns, feedback
    customers: int
    failures: list[str]
    files: dict[str, int]
    seconds: float


def load_demo_rates(store: Store, base_currency: str) -> None:
    """Sandbox rates into ``fx_rates``, expressed in ``base_currency``."""
    to_usd = {code: Decimal(rate) for code, rate in DEMO_RATES_TO_USD.items()} | {"USD": Decimal(1)}
    if base_currency not in to_usd:
        return
    for code, rate in to_usd.items():
        if code != base_currency:
            converted = (rate / to_usd[base_currency]).quantize(Decimal("0.000001"))
            set_fx_rate(store, FxRate(code, base_currency, DEMO_RATES_FROM, converted))


def run_demo(settings: Settings, *, seed: int, orders: int, out_dir: Path) -> DemoResult:
    started = time.perf_counter()
    out_dir.mkdir(parents=True, exist_ok=True)
    world = World(seed=seed, order_count=orders)
    store = app.open_upgraded_store(settings)
    load_demo_rates(store, settings.base_currency)
    accounts_path = out_dir / "sandbox-accounts.toml"
    with start_sandbox(world, time_scale=DEMO_TIME_SCALE) as sandbox:
        write_accounts_file(sandbox, accounts_path)
        accounts = load_accounts(accounts_path)
        with sync_progress() as progress:
            summary = app.sync_accounts(store, settings, accounts, progress=progress)
    files = app.write_reports(store, out_dir)
    return DemoResult(
        accounts=len(accounts),
        orders=files["orders.csv"],
        records=sum(r.counts.fetched for r in summary.results),
        customers=files["all.csv"],
        failures=[f"{r.account_id} {r.stream.value}: {r.error}" for r in summary.failures],
        files=files,
        seconds=time.perf_counter() - started,
    )
