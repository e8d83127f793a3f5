"""Identity quality on the sandbox world: ``custsync demo`` end to end, scored on its truth.

Runs the demo (default seed 7, 3000 orders, both Amazon accounts synced through the sandbox
server), then scores buyer → person: each buyer's person is the one behind its orders in the
world's ``orders.csv``; pairwise precision and recall over buyers, and every household or
namesake pair that ended up in one customer.

    python benchmarks/identity_sandbox.py [--seed 7] [--orders 3000]
"""

from __future__ import annotations

import argparse
import csv
import tempfile
from collections import Counter, defaultdict
from itertools import combinations
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import select

from custsync.demo import run_demo
from custsync.logging import configure_logging
from custsync.sandbox.people import Person
from custsync.sandbox.truth import write_truth
from custsync.sandbox.world import World
from custsync.settings import load_settings
from custsync.store import schema
from custsync.store.db import Store, open_store


def pairs(sizes: object) -> int:
    return sum(n * (n - 1) // 2 for n in sizes)  # type: ignore[attr-defined]


class Quality(NamedTuple):
    buyers: int
    people: int
    precision: float
    recall: float
    households: int  # household pairs merged into one customer
    namesakes: int  # namesake pairs merged into one customer


def buyer_quality(
    store: Store, person_of_order: dict[tuple[str, str], str], people: dict[str, Person]
) -> Quality:
    """Buyer → person scored against the world's truth: each stored buyer's person is the
    one behind most of its orders (``person_of_order``: account and order id → person id)."""
    o, b = schema.orders, schema.buyers
    with store.engine.connect() as conn:
        votes: dict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        for account, order_id, key in conn.execute(
            select(o.c.account_id, o.c.order_id, o.c.buyer_key)
        ):
            if key is not None:
                votes[(account, key)][person_of_order[(account, order_id)]] += 1
        customer = {
            (a, k): c
            for a, k, c in conn.execute(select(b.c.account_id, b.c.buyer_key, b.c.customer_id))
        }
    person = {ref: count.most_common(1)[0][0] for ref, count in votes.items()}
    joint = Counter((customer[ref], person[ref]) for ref in person)
    tp = pairs(joint.values())
    predicted = pairs(Counter(customer[ref] for ref in person).values())
    true = pairs(Counter(person.values()).values())
    households, namesakes = _wrong_merges(people, customer, person)
    return Quality(
        len(person), len(set(person.values())), tp / predicted, tp / true, households, namesakes
    )


def score(seed: int, orders: int, work: Path) -> None:
    world = World(seed=seed, order_count=orders)
    write_truth(world, work / "truth")
    with (work / "truth" / "orders.csv").open(encoding="utf-8") as handle:
        person_of_order = {
            (r["account_id"], r["order_id"]): r["person_id"] for r in csv.DictReader(handle)
        }
    url = f"sqlite:///{work / 'demo.db'}"
    result = run_demo(load_settings(database_url=url), seed=seed, orders=orders, out_dir=work)
    people = {p.person_id: p for p in world.people().values()}
    found = buyer_quality(open_store(url), person_of_order, people)
    print(
        f"sandbox seed {seed}, {orders} orders: {found.buyers} buyers, "
        f"{found.people} people, {result.customers} customers, "
        f"demo {result.seconds:.1f} s"
    )
    print(f"  buyer→person pairwise precision {found.precision:.4f} recall {found.recall:.4f}")
    print(f"  households merged: {found.households}, namesakes merged: {found.namesakes}")


def _wrong_merges(
    people: dict[str, Person],
    customer: dict[tuple[str, str], str],
    person: dict[tuple[str, str], str],
) -> tuple[int, int]:
    members: dict[str, set[str]] = defaultdict(set)
    for ref, cid in customer.items():
        if ref in person:
            members[cid].add(person[ref])
    households = namesakes = 0
    for found in members.values():
        for a, b in combinations(sorted(found), 2):
            one, two = people[a], people[b]
            households += one.household_of == two.index or two.household_of == one.index
            namesakes += one.namesake_of == two.index or two.namesake_of == one.index
    return households, namesakes


def main() -> int:
    configure_logging("console", "warning")  # the summary lines are the output
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--orders", type=int, default=3000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        score(args.seed, args.orders, Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
