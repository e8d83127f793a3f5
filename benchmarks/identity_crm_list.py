"""Identity quality on a CRM-like customer list: colleagues share their office's phone and address.

Writes a seeded list (default 2,000 companies of 5 people each; each person has an e-mail at
the company; 40 % of the people are in the list twice, the second time without the e-mail and
half of those with one letter of the first name mistyped, which makes the account's records
noisy), brings it in as ``custsync import`` does, and scores buyer → person: pairwise
precision and recall, how many customers the people became, and the pairs of two people
joined in one customer by what they have in common.

    python benchmarks/identity_crm_list.py [--seed 3] [--companies 2000]
"""

from __future__ import annotations

import argparse
import csv
import random
import tempfile
import unicodedata
from collections import Counter, defaultdict
from datetime import UTC, datetime
from itertools import combinations
from pathlib import Path

from sqlalchemy import select

from custsync.curation import import_contacts
from custsync.logging import configure_logging
from custsync.records import AccountId
from custsync.sandbox.names import FIRST_NAMES, LAST_NAMES
from custsync.store import schema
from custsync.store.db import open_store, upgrade

STREETS = ("Oak", "Elm", "Main", "Pine", "Cedar", "Maple", "Lake", "Hill")
HEADER = ("id", "First Name", "Last Name", "Email", "Phone", "Street Address", "City", "Zip")
Row = tuple[int, str, str, str, str, str, str]  # person, first, last, e-mail, phone, street, zip


def people_rows(seed: int, companies: int) -> list[Row]:
    rng = random.Random(seed)
    firsts = sorted({n for names in FIRST_NAMES.values() for n in names})
    lasts = sorted({n for names in LAST_NAMES.values() for n in names})
    rows: list[Row] = []
    for company in range(companies):
        phone = f"+1 206 {rng.randrange(200, 999)} {rng.randrange(10_000):04d}"
        street = f"{rng.randrange(1, 9999)} {rng.choice(STREETS)} Ave"
        postal = f"98{rng.randrange(100, 200)}"
        for slot in range(5):
            person = company * 5 + slot
            first, last = rng.choice(firsts), rng.choice(lasts)
            email = f"{_ascii(first)}.{_ascii(last)}@corp{company}.com"
            rows.append((person, first, last, email, phone, street, postal))
            if rng.random() < 0.4:
                typed = _mistyped(rng, first) if rng.random() < 0.5 else first
                rows.append((person, typed, last, "", phone, street, postal))
    rng.shuffle(rows)
    return rows


def _ascii(name: str) -> str:
    """A name as an e-mail address writes it: ``Ó Súilleabháin`` → ``osuilleabhain``."""
    folded = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return "".join(c for c in folded.lower() if c.isalpha())


def _mistyped(rng: random.Random, name: str) -> str:
    at = rng.randrange(1, len(name))
    return name[:at] + rng.choice("abcdefghijklmnopqrstuvwxyz") + name[at + 1 :]


def write_list(path: Path, rows: list[Row]) -> None:
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f)
        out.writerow(HEADER)
        for number, (_, first, last, email, phone, street, postal) in enumerate(rows):
            out.writerow((number, first, last, email, phone, street, "Seattle", postal))


def score(rows: list[Row], work: Path) -> None:
    path = work / "crm.csv"
    write_list(path, rows)
    store = open_store(f"sqlite:///{work / 'crm.db'}")
    upgrade(store)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    import_contacts(store, path, AccountId("crm"), {}, base_currency="USD", now=now)
    customers: dict[str, list[Row]] = defaultdict(list)
    b = schema.buyers
    with store.engine.connect() as conn:
        for customer, key in conn.execute(select(b.c.customer_id, b.c.buyer_key)):
            customers[customer].append(rows[int(key)])
    store.dispose()
    pairs = [pair for found in customers.values() for pair in combinations(found, 2)]
    wrong = Counter(_wrong_kind(x, y) for x, y in pairs if x[0] != y[0])
    sizes = Counter(person for person, *_ in rows)
    true_pairs = sum(n * (n - 1) // 2 for n in sizes.values())
    right = len(pairs) - wrong.total()
    print(f"crm list: {len(rows)} rows, {len(sizes)} people, {len(customers)} customers")
    print(
        f"  buyer→person pairwise precision {right / max(len(pairs), 1):.4f}"
        f" recall {right / true_pairs:.4f}"
    )
    print(f"  pairs of two people in one customer: {wrong.total()}")
    for kind, count in wrong.most_common():
        print(f"    {kind}: {count}")


def _wrong_kind(x: Row, y: Row) -> str:
    """What two people joined in one customer have in common, besides the office."""
    if not x[3] or not y[3]:
        return "one of them an entry without e-mail"
    if x[3] == y[3]:
        return "namesakes given one e-mail"
    if x[1:3] == y[1:3]:
        return "namesakes, each with an e-mail"
    if x[1] == y[1]:
        return "one first name"
    return "one surname" if x[2] == y[2] else "neither name"


def main() -> int:
    configure_logging("console", "warning")  # the summary lines are the output
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--companies", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        score(people_rows(args.seed, args.companies), Path(tmp))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
