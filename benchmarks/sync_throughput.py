"""Sync throughput and peak memory against the sandbox, quotas effectively off.

Runs a demo-sized and a 100k-order world. The sandbox runs in its own process so the peak
memory printed is custsync's alone. Usage: python benchmarks/sync_throughput.py [N ...]
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from pace import peak_mb

SIZES = (3_000, 100_000)
TIME_SCALE = "1000000"


def _wait_for(path: Path, proc: subprocess.Popen[bytes], timeout_s: float = 300) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if proc.poll() is not None:
            raise SystemExit(f"sandbox exited early with code {proc.returncode}")
        if time.monotonic() > deadline:
            raise SystemExit("sandbox did not start in time")
        time.sleep(0.2)


def measure(orders: int) -> None:
    """Child mode: sync one world and print one result line."""
    from sqlalchemy import func, select

    from custsync import app
    from custsync.demo import load_demo_rates
    from custsync.logging import configure_logging
    from custsync.settings import load_accounts, load_settings
    from custsync.store import schema

    configure_logging("json", "warning")
    with tempfile.TemporaryDirectory() as tmp:
        accounts_file = Path(tmp) / "accounts.toml"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "custsync",
                "sandbox",
                "serve",
                "--seed",
                "1",
                "--orders",
                str(orders),
                "--time-scale",
                TIME_SCALE,
                "--accounts-out",
                str(accounts_file),
            ],
            stdout=subprocess.DEVNULL,
        )
        try:
            _wait_for(accounts_file, server)
            settings = load_settings(database_url=f"sqlite:///{tmp}/bench.db")
            store = app.open_upgraded_store(settings)
            load_demo_rates(store, settings.base_currency)
            started = time.perf_counter()
            summary = app.sync_accounts(store, settings, load_accounts(accounts_file))
            elapsed = time.perf_counter() - started
            with store.engine.connect() as conn:
                stored = conn.execute(select(func.count()).select_from(schema.orders)).scalar_one()
        finally:
            server.terminate()
            server.wait()
    for failed in summary.failures:
        print(f"  {failed.account_id} {failed.stream} failed: {failed.error}", file=sys.stderr)
    fetched = sum(r.counts.fetched for r in summary.results)
    peak = peak_mb()
    print(
        f"{orders:>8} world orders | {stored:>7} Amazon orders stored ({fetched} records "
        f"fetched) | {elapsed:7.2f} s | {stored / elapsed:6.0f} orders/s | "
        f"{summary.customers_refreshed:>6} customers | peak RSS {peak:6.0f} MB"
    )


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--child":
        measure(int(sys.argv[2]))
        return
    sizes = [int(a) for a in sys.argv[1:]] or list(SIZES)
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, SQLite store"
    )
    for size in sizes:
        subprocess.run([sys.executable, __file__, "--child", str(size)], check=True)


if __name__ == "__main__":
    main()
