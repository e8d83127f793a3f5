"""Identity and metrics at scale: a full rebuild of a 1M-order world, incremental syncs of 1,000
new orders each into it (``--batches``, one after the other: a batch costs more when a common
name or place crosses a power of two and its weight moves), the metrics aggregation against
DuckDB on the same rows (in this process, then in a new one, as ``custsync fx set`` computes
them), and repricing every customer after a new rate.

The world's Amazon orders (the world's Shopify and eBay orders have no connector yet and are
left out) are rendered in the Orders API shape and mapped by the Amazon connector (no server:
quotas are not what is measured), stored page by page into SQLite, then resolved. The new orders
are the world's next Amazon orders. Prints time and peak memory of each step and the
SQLite/DuckDB ratio (the best of three runs of each side, taken in turns), and the machine's
pace at the start and at the end (``pace.py``: how fast a plain loop and random lookups run that
day). ``--db PATH`` keeps the stored orders (and nothing else) in PATH, so that ``--reuse``
starts the next run from the same state without storing them again; the rebuilds run on a copy.
``--check`` rebuilds a copy of the synced store in full and compares the links, customers and
key counts with what the incremental syncs stored (they must be equal). ``--pg URL`` runs the
rebuilds on PostgreSQL instead: the stored world is copied into a new database next to the one
``URL`` names (a role that may create databases), dropped at the end. On SQLite each sync
starts once the write-ahead log of what came before (the rebuild's: a few GB; a sync's: about
100 MB) has been copied into the database file, as a scheduled sync, minutes after the last,
finds the store (each wait is printed: the copy runs in the background); a sync run while such
a copy is going on is slower. The run ends by scoring buyer → person against the world's truth.
The world's people draw their names and places from the sandbox's wide vocabulary
(``--vocabulary sandbox``: the served world's short tables). Beside ``--db PATH`` the run
keeps ``PATH.world.json`` (the world's orders, vocabulary and room for new orders, whose number
sets the world's timeline):
``--reuse`` makes the same world again from it, and refuses other ``--orders`` or
``--vocabulary``, or more new orders than the room holds.

    python benchmarks/identity_scale.py [--orders 1000000] [--new 1000] [--batches 3]
                                        [--vocabulary wide|sandbox] [--db PATH [--reuse]]
                                        [--check] [--pg URL]
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pg_copy
from identity_sandbox import buyer_quality
from identity_state import CHECKED
from metrics_duckdb import compare_metrics
from pace import peak_mb, show_pace

from custsync.connectors.amazon.mapping import map_order
from custsync.connectors.base import Cursor, Page
from custsync.curation import set_rates
from custsync.demo import load_demo_rates
from custsync.pipeline.fx import FxRate
from custsync.rebuild import rebuild_customers
from custsync.records import AccountId, BuyerKey, MarketplaceKind, Order, StreamName
from custsync.sandbox.amazon_payloads import INCLUDED_DATA, render_order
from custsync.sandbox.people import Person
from custsync.sandbox.vocabulary import NAMES, Vocabulary, vocabulary
from custsync.sandbox.world import World
from custsync.store.checkpoint import CHECKPOINTS
from custsync.store.db import Store, open_store, upgrade
from custsync.store.ingest import write_page
from custsync.store.state import register_account

NOW = datetime(2026, 11, 2, tzinfo=UTC)  # when the world's orders were stored
DAY = timedelta(days=1)
PAGE = 2000
T = TypeVar("T")


def amazon_orders(world: World, start: int = 0) -> Iterator[tuple[int, Order]]:
    """(world index, order) of every Amazon order from ``start`` on, as the connector maps it."""
    for index, sim in enumerate(world.iter_orders()):
        if index >= start and sim.account.kind is MarketplaceKind.AMAZON:
            raw = render_order(world.seed, sim, sim.final, INCLUDED_DATA)
            mapped = map_order(
                raw, account_id=sim.account.id, marketplace_ids=sim.account.marketplace_ids
            )
            if isinstance(mapped, Order):
                yield index, mapped


def ingest(store: Store, orders: Iterable[Order], at: datetime = NOW) -> set[tuple[str, str]]:
    """Store ``orders`` page by page per account at time ``at``, as a sync does (streamed);
    returns the buyers the pages touched."""
    touched: set[tuple[str, str]] = set()
    pages: dict[str, list[Order]] = {}
    for order in orders:
        page = pages.setdefault(order.account_id, [])
        page.append(order)
        if len(page) >= PAGE:
            touched |= _write(store, page, at)
            page.clear()
    for page in pages.values():
        if page:
            touched |= _write(store, page, at)
    return touched


def _write(store: Store, orders: list[Order], at: datetime) -> set[tuple[str, str]]:
    account = orders[0].account_id
    register_account(store, account, "amazon", None, now=at)
    page = Page(list(orders), [], Cursor())
    counts = write_page(store, account, StreamName.ORDERS, page, run_id="b", now=at)
    return set(counts.touched_buyers)


def timed(label: str, step: Callable[[], T]) -> T:
    started = time.perf_counter()
    result = step()
    print(f"{label:<48} {time.perf_counter() - started:8.2f} s   peak {peak_mb():7.0f} MB")
    sys.stdout.flush()
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=1_000_000, help="orders in the world")
    parser.add_argument("--new", type=int, default=1000, help="new Amazon orders per sync")
    parser.add_argument("--batches", type=int, default=3, help="syncs of --new orders each")
    parser.add_argument(
        "--vocabulary",
        choices=NAMES,
        default="wide",
        help="names and places of the world's people (default: wide, a real population's tail)",
    )
    parser.add_argument("--db", type=Path, default=None, help="SQLite file (default: temp)")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="--db holds the world's orders from an earlier run: skip storing them",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="after the syncs, rebuild a copy in full and compare (another full rebuild's time)",
    )
    parser.add_argument(
        "--pg",
        metavar="URL",
        default=None,
        help="run the rebuilds on PostgreSQL, in databases created beside the one URL names",
    )
    args = parser.parse_args()
    if args.reuse and (args.db is None or not args.db.is_file()):
        parser.error("--reuse needs --db naming a file an earlier run stored")
    with tempfile.TemporaryDirectory(dir=args.db.parent if args.db else None) as tmp:
        run(
            args.orders,
            [args.new] * args.batches,
            args.db or Path(tmp) / "world.db",
            Target(args.pg, Path(tmp)),
            reuse=args.reuse,
            check=args.check,
            vocabulary=vocabulary(args.vocabulary),
        )
    return 0


class Target:
    """Where the rebuilds run: copies of the stored world in SQLite files under ``tmp``, or
    in PostgreSQL databases beside the one ``pg`` names (dropped when the run ends)."""

    def __init__(self, pg: str | None, tmp: Path) -> None:
        self.pg = pg
        self.tmp = tmp
        self.made: list[str] = []

    def copy(self, world: Path, name: str) -> Store:
        """A copy of the stored ``world``, upgraded to the newest schema."""
        shutil.copyfile(world, self.tmp / f"{name}.db")
        local = open_store(f"sqlite:///{self.tmp / name}.db")
        upgrade(local)  # a kept --db may predate the newest migration
        if self.pg is None:
            return local
        url = pg_copy.fresh_database(self.pg, f"custsync_bench_{name}")
        self.made.append(f"custsync_bench_{name}")
        started = time.perf_counter()
        store = pg_copy.copy_store(local, url)
        print(f"  copied into PostgreSQL in {time.perf_counter() - started:.1f} s")
        local.dispose()
        return store

    def clone(self, store: Store, name: str) -> Store:
        """A copy of the rebuilt ``store`` (SQLite: its file; PostgreSQL: a template copy)."""
        store.dispose()  # on SQLite, once its checkpoints have run: the file alone is whole
        if self.pg is None:
            source = Path(str(store.engine.url.database))
            shutil.copyfile(source, self.tmp / f"{name}.db")
            return open_store(f"sqlite:///{self.tmp / name}.db")
        template = str(store.engine.url.database)
        url = pg_copy.fresh_database(self.pg, f"custsync_bench_{name}", template=template)
        self.made.append(f"custsync_bench_{name}")
        return open_store(url)

    def close(self) -> None:
        for name in self.made:
            pg_copy.drop_database(self.pg or "", name)


def run(
    count: int,
    batches: list[int],
    db: Path,
    target: Target,
    *,
    reuse: bool,
    check: bool,
    vocabulary: Vocabulary,
) -> None:
    """``db`` keeps the world's stored orders and nothing else (so ``--reuse`` starts from the
    same state, given the same ``vocabulary``); the rebuilds run on a copy of it."""
    new = sum(batches)
    show_pace("at the start")
    print(f"  a {count}-order world, {vocabulary.name} vocabulary of names and places")
    # room for ``new`` Amazon orders (the world's size sets its timeline: a reused world
    # is made again with the room it was stored with)
    room = stored_room(db, count, vocabulary, new) if reuse else 2 * new
    world = World(seed=7, order_count=count + room, vocabulary=vocabulary)
    fresh: list[Order] = []

    def old_orders() -> Iterator[Order]:
        for index, order in amazon_orders(world, start=count if reuse else 0):
            if index < count:
                yield order
            elif len(fresh) < new:
                fresh.append(order)
            else:
                return

    if reuse:
        all(False for _ in old_orders())  # only collects the new orders
    else:
        store_world(db, count, old_orders())
        record = {"orders": count, "room": room, "vocabulary": vocabulary.name}
        world_record(db).write_text(json.dumps(record), encoding="utf-8")
    if len(fresh) < new:
        raise SystemExit(
            f"the world in {db} has room for {len(fresh)} new Amazon orders, not {new}: "
            "store it again (without --reuse)"
        )
    try:
        _rebuilds(db, target, fresh, batches, check=check, world=world)
    finally:
        target.close()
    show_pace("at the end")


def _rebuilds(
    db: Path, target: Target, fresh: list[Order], batches: list[int], *, check: bool, world: World
) -> None:
    store = target.copy(db, "work")
    buyers = "(SELECT DISTINCT account_id, buyer_key FROM orders) AS held"
    print(f"  {_count(store, 'orders')} Amazon orders stored, {_count(store, buyers)} buyers")
    timed(
        "full rebuild: identities and customers",
        lambda: rebuild_customers(store, None, base_currency="USD", now=NOW + DAY),
    )
    quiet(store, "the rebuild's log copied into the file")
    start = 0
    for number, size in enumerate(batches, start=1):
        sync_batch(store, fresh[start : start + size], number, at=NOW + (1 + number) * DAY)
        quiet(store, f"sync {number}: its log copied into the file")
        start += size
    if check:
        store = check_against_full(store, target)
    compare_metrics(store, target.tmp)
    reprice(store)
    timed("buyer → person against the world's truth", lambda: score_buyers(store, world))


def quiet(store: Store, label: str) -> None:
    """On SQLite, wait for the background checkpoints (syncs as a scheduled one finds the
    store: the last one's log copied long before)."""
    if store.engine.dialect.name == "sqlite":
        timed(label, lambda: CHECKPOINTS.wait(timeout=900))


def score_buyers(store: Store, world: World) -> None:
    """Pairwise precision and recall of buyer → person, from one more pass over the world
    (who is behind each Amazon order), and the households and namesakes merged."""
    person_of_order: dict[tuple[str, str], str] = {}
    people: dict[str, Person] = {}
    for sim in world.iter_orders():
        if sim.account.kind is MarketplaceKind.AMAZON:
            person_of_order[(sim.account.id, sim.order_id)] = sim.person.person_id
            people.setdefault(sim.person.person_id, sim.person)
    found = buyer_quality(store, person_of_order, people)
    print(
        f"  {found.buyers} buyers of {found.people} people: pairwise precision"
        f" {found.precision:.4f}, recall {found.recall:.4f}; households merged"
        f" {found.households}, namesakes merged {found.namesakes}"
    )


def world_record(db: Path) -> Path:
    """Beside a stored world: how it was made (orders, room for new ones, vocabulary)."""
    return db.with_name(f"{db.name}.world.json")


def stored_room(db: Path, count: int, vocabulary: Vocabulary, new: int) -> int:
    """The room for new orders the world in ``db`` was stored with; refuses a run that asks
    for another world (other --orders or --vocabulary)."""
    record = world_record(db)
    if not record.is_file():  # stored before the record was kept
        print(f"  no {record.name}: assuming the world was stored with this --new and --batches")
        return 2 * new
    stored = json.loads(record.read_text(encoding="utf-8"))
    asked = {"orders": count, "vocabulary": vocabulary.name}
    wrong = [
        f"{k} {stored.get(k)} there, {v} asked" for k, v in asked.items() if stored.get(k) != v
    ]
    if wrong:
        raise SystemExit(f"{db} holds another world: {', '.join(wrong)}")
    return int(stored["room"])


def store_world(db: Path, count: int, orders: Iterable[Order]) -> None:
    db.unlink(missing_ok=True)
    base = open_store(f"sqlite:///{db}")
    upgrade(base)
    load_demo_rates(base, "USD")
    timed(f"generate, map and store a {count}-order world", lambda: ingest(base, orders))
    base.dispose()


def check_against_full(synced: Store, target: Target) -> Store:
    """Rebuild a copy of the synced store in full and compare what identity resolution
    stored: links (rule, score, flags), which buyers form each customer, key counts.
    Returns the synced store (opened anew)."""
    full = target.clone(synced, "full")
    timed(
        "check: full rebuild of the synced store",
        lambda: rebuild_customers(full, None, base_currency="USD", now=NOW + 9 * DAY),
    )
    synced = open_store(synced.engine.url.render_as_string(hide_password=False))
    for name, read in CHECKED.items():
        mine, theirs = read(synced), read(full)
        verdict = "equal" if mine == theirs else f"{len(mine ^ theirs)} differ"
        print(f"  incremental vs full, {name}: {len(mine)} / {len(theirs)}, {verdict}")
    full.dispose()
    return synced


def reprice(store: Store) -> None:
    """A new EUR rate (the demo's moves), as ``custsync fx set`` stores it: every customer is
    repriced, those with EUR orders rewritten."""
    eur = FxRate("EUR", "USD", date(2020, 1, 1), Decimal("1.2345"))
    timed(
        "a new EUR rate: reprice and store (fx set)",
        lambda: set_rates(store, [eur], base_currency="USD", now=NOW + 9 * DAY),
    )


def sync_batch(store: Store, orders: list[Order], number: int, *, at: datetime) -> None:
    """One day's sync: store ``orders``, then refresh the customers they touched."""
    touched = timed(
        f"sync {number}, {len(orders)} new orders: store the pages",
        lambda: ingest(store, orders, at=at),
    )
    refs = {(AccountId(a), BuyerKey(k)) for a, k in touched}
    timed(
        f"sync {number}, {len(orders)} new orders: incremental rebuild",
        lambda: rebuild_customers(store, refs, base_currency="USD", now=at),
    )


def _count(store: Store, table: str) -> int:
    with store.engine.connect() as conn:
        return int(conn.exec_driver_sql(f"SELECT COUNT(*) FROM {table}").scalar_one())


if __name__ == "__main__":
    raise SystemExit(main())
