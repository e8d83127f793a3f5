"""Incremental syncs into a rebuilt store, each round in a new process on a fresh copy of it.

``identity_scale.py`` times its syncs right after its full rebuild, in the process that ran
it. A scheduled worker meets the store otherwise: rebuilt long before, its log copied into
the file, the process's memory holding only what the syncs need. This benchmark times the
customer refresh of each sync that way, in rounds: each round copies the rebuilt store, then a
new process stores ``--batches`` batches of ``--new`` of the world's next Amazon orders one
after the other and refreshes the customers they touched, as ``identity_scale.py`` does. With
several ``--python`` interpreters the rounds take turns between them. Prints each refresh,
the median and range per interpreter, and the machine's pace before each round.

``--db PATH`` names a world that ``identity_scale.py --db PATH`` stored (with
``PATH.world.json`` beside it). The first run rebuilds a copy of it in full (minutes at 1M
orders) and keeps it in ``--rebuilt`` (default ``PATH.rebuilt.db``) for the runs after; a kept
store resolved under other matching rules is rebuilt again.

    python benchmarks/identity_sync.py --db PATH [--rebuilt PATH] [--rounds 3]
                                       [--batches 3] [--new 1000] [--python EXE ...]
"""

from __future__ import annotations

import argparse
import json
import pickle
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from identity_scale import DAY, NOW, amazon_orders, ingest, world_record
from pace import show_pace

from custsync.pipeline.identity import RULES_VERSION
from custsync.rebuild import rebuild_customers
from custsync.records import AccountId, BuyerKey, Order
from custsync.resolve import RULES_PARAM
from custsync.sandbox.vocabulary import vocabulary
from custsync.sandbox.world import World
from custsync.store.checkpoint import CHECKPOINTS
from custsync.store.db import open_store, upgrade
from custsync.store.identity import load_params

MARK = "refresh_seconds"  # how a round's process reports each refresh


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a world identity_scale stored")
    parser.add_argument("--rebuilt", type=Path, help="the rebuilt copy (default PATH.rebuilt.db)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per interpreter")
    parser.add_argument("--batches", type=int, default=3, help="syncs per round")
    parser.add_argument("--new", type=int, default=1000, help="new Amazon orders per sync")
    parser.add_argument("--python", nargs="+", default=[sys.executable], help="interpreters")
    parser.add_argument("--child-store", type=Path, help=argparse.SUPPRESS)  # a round's process
    parser.add_argument("--child-orders", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_store:
        return child(args.child_store, args.child_orders, args.batches, args.new)
    if not world_record(args.db).is_file():
        parser.error(f"{args.db} holds no world stored by identity_scale.py --db")
    rebuilt = args.rebuilt or args.db.with_name(f"{args.db.name}.rebuilt.db")
    ensure_rebuilt(args.db, rebuilt)
    with tempfile.TemporaryDirectory(dir=rebuilt.parent) as tmp:
        orders = Path(tmp) / "orders.pickle"
        orders.write_bytes(pickle.dumps(next_orders(args.db, args.batches * args.new)))
        times = rounds(rebuilt, orders, Path(tmp), args)
    for python, found in times.items():
        print(
            f"{python}: median {statistics.median(found):.2f} s of {len(found)} syncs"
            f" ({min(found):.2f}-{max(found):.2f} s)"
        )
    return 0


def ensure_rebuilt(world: Path, rebuilt: Path) -> None:
    """Keep in ``rebuilt`` a copy of ``world`` resolved in full under the current rules."""
    if rebuilt.is_file():
        store = open_store(f"sqlite:///{rebuilt}")
        with store.engine.connect() as conn:
            rules = load_params(conn).get(RULES_PARAM)
        store.dispose()
        if rules == RULES_VERSION:
            return
        print(f"{rebuilt} was resolved under matching rules {rules}: rebuilding it")
    shutil.copyfile(world, rebuilt)
    store = open_store(f"sqlite:///{rebuilt}")
    upgrade(store)
    started = time.perf_counter()
    rebuild_customers(store, None, base_currency="USD", now=NOW + DAY)
    CHECKPOINTS.wait(timeout=900)
    store.dispose()
    print(f"full rebuild of {world} into {rebuilt}: {time.perf_counter() - started:.1f} s")


def next_orders(world: Path, count: int) -> list[Order]:
    """The world's next ``count`` Amazon orders, as ``identity_scale.py --reuse`` makes them."""
    record = json.loads(world_record(world).read_text(encoding="utf-8"))
    if count > record["room"]:
        raise SystemExit(f"the world in {world} has room for {record['room']} new orders")
    size = record["orders"] + record["room"]
    made = World(seed=7, order_count=size, vocabulary=vocabulary(record["vocabulary"]))
    found: list[Order] = []
    for _, order in amazon_orders(made, start=record["orders"]):
        found.append(order)
        if len(found) == count:
            break
    return found


def rounds(
    rebuilt: Path, orders: Path, tmp: Path, args: argparse.Namespace
) -> dict[str, list[float]]:
    """Run the rounds, the interpreters taking turns; returns each one's refresh times."""
    times: dict[str, list[float]] = {python: [] for python in args.python}
    work = tmp / "work.db"
    for number in range(1, args.rounds + 1):
        for python in args.python:
            show_pace(f"before round {number}")
            shutil.copyfile(rebuilt, work)
            command = [python, __file__, "--db", str(args.db), "--batches", str(args.batches)]
            command += ["--new", str(args.new), "--child-store", str(work)]
            command += ["--child-orders", str(orders)]
            done = subprocess.run(command, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise SystemExit(f"round {number} under {python} failed:\n{done.stderr[-2000:]}")
            found = [float(x.split()[1]) for x in done.stdout.splitlines() if x.startswith(MARK)]
            times[python] += found
            print(f"round {number}, {python}: " + ", ".join(f"{x:.2f} s" for x in found))
    return times


def child(store_file: Path, orders_file: Path, batches: int, new: int) -> int:
    """In a round's process: store each batch of orders, then time the customer refresh."""
    orders: list[Order] = pickle.loads(orders_file.read_bytes())  # written by this run
    store = open_store(f"sqlite:///{store_file}")
    for index in range(batches):
        at = NOW + (2 + index) * DAY
        touched = ingest(store, orders[index * new : (index + 1) * new], at=at)
        refs = {(AccountId(a), BuyerKey(k)) for a, k in touched}
        CHECKPOINTS.wait(timeout=900)  # as a scheduled sync finds the store: log copied
        started = time.perf_counter()
        rebuild_customers(store, refs, base_currency="USD", now=at)
        print(f"{MARK} {time.perf_counter() - started:.4f}", flush=True)
        CHECKPOINTS.wait(timeout=900)
    store.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
