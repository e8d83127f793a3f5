"""Issue 4 acceptance at scale: a 12-month world with ~50,000 orders on one Amazon account.

Published quotas (``time_scale=1``) on a virtual clock shared by the sandbox and custsync, so
every quota wait and report poll is counted but nobody sleeps. Prints, per phase, the requests
per operation, the API time the published quotas impose, the virtual elapsed time, and then
whether the store matches the world exactly.

Usage: python benchmarks/amazon_backfill.py [ORDERS_IN_WORLD] [--faults PROFILE]
(``CUSTSYNC_BENCH_DATABASE_URL`` picks the database; default a SQLite file in a temp folder.)
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from custsync.logging import configure_logging
from custsync.records import StreamName
from tests.support.amazon_acceptance import ACCOUNT, Acceptance, Phase

WORLD_ORDERS = 94_000  # about 50,000 of them on amazon-na (the rest: other accounts)
SEED = 4
# The backfill runs this long before the world's last change; the buyer enrichment then takes
# about 30 (virtual) hours of scheduled runs, and the orders changed in the remaining ~2.5 days
# (about 500 of them) are what the "updates" run picks up.
BACKFILL_BEFORE_END = timedelta(days=3, hours=18)


def show(phase: Phase) -> None:
    ops = ", ".join(f"{op} {n}" for op, n in sorted(phase.requests.items()))
    print(
        f"{phase.name:<11} runs {len(phase.runs):3d} | api time {phase.api_time_s / 60:6.1f} min"
        f" | virtual elapsed "
        f"{phase.elapsed_s / 3600:6.2f} h | 429s {phase.rate_limited} | "
        f"stored +{phase.counted('inserted')} ~{phase.counted('updated')} "
        f"rejected {phase.counted('rejected')} | {ops}"
    )
    for error in phase.errors:
        print(f"            error: {error}")


def main(argv: list[str]) -> int:
    configure_logging("console", "warning")  # the summary lines are the output
    orders = int(argv[0]) if argv and argv[0].isdigit() else WORLD_ORDERS
    faults = argv[argv.index("--faults") + 1] if "--faults" in argv else None
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        url = os.environ.get("CUSTSYNC_BENCH_DATABASE_URL") or f"sqlite:///{tmp}/bench.db"
        run = Acceptance(
            seed=SEED,
            order_count=orders,
            db_url=url,
            work_dir=Path(tmp),
            backfill_before_end=BACKFILL_BEFORE_END,
            faults=faults,
        )
        try:
            in_account = sum(1 for _ in run._orders())
            print(f"world: {orders} orders, {in_account} on {ACCOUNT}, faults {faults or 'none'}")
            show(run.run("backfill"))
            show(run.run_scheduled_orders("enrichment", until_enriched=True, max_runs=2000))
            since = run.clock.now()
            run.clock.set(run.world.end + timedelta(hours=2))
            changed = run.orders_changed_between(since - timedelta(hours=1), run.clock.now())
            print(f"updates: {changed} orders changed since the last run")
            show(run.run("updates", [StreamName.ORDERS], enrich=False))
            show(run.run_scheduled_orders("buyers", until_enriched=True, max_runs=200))
            show(run.run("final", [StreamName.RETURNS, StreamName.FEEDBACK]))
            problems = run.compare()
            for kind, found in problems.items():
                print(f"match {kind:<10} {'exact' if not found else 'MISMATCH'}")
                for line in found:
                    print(f"            {line}")
            print(f"identity: {run.identity()}")
        finally:
            run.close()
    print(f"wall time {time.perf_counter() - started:.0f} s")
    return 0 if not any(problems.values()) else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
