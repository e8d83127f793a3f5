"""Ground-truth files: the contract columns, complete, consistent, byte-stable."""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from custsync.sandbox import World, write_truth
from custsync.sandbox.truth import METRICS_HEADER


@dataclass
class _Tally:
    """One metrics row, summed order by order."""

    orders: int = 0
    units: int = 0
    spent: Decimal = Decimal("0.00")
    discount: Decimal = Decimal("0.00")
    codes: set[str] = field(default_factory=set)
    negatives: int = 0
    returned: int = 0


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_same_seed_writes_byte_identical_files(tmp_path: Path) -> None:
    write_truth(World(4, 700), tmp_path / "a")
    write_truth(World(4, 700), tmp_path / "b")
    for name in ("people.csv", "orders.csv", "metrics.csv"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes()


def test_headers_are_the_contract(truth_dir: Path) -> None:
    def header(name: str) -> str:
        return (truth_dir / name).read_text(encoding="utf-8").splitlines()[0]

    assert header("people.csv") == "person_id,account_id,marketplace,buyer_key"
    assert header("orders.csv") == "order_id,account_id,person_id"
    assert header("metrics.csv") == ",".join(METRICS_HEADER)
    assert header("metrics.csv") == (
        "person_id,account_id,currency,orders,units,amount_spent,discount_received,"
        "promo_codes,negative_feedbacks,returned_units"
    )


def test_orders_csv_lists_every_order_with_its_person(world: World, truth_dir: Path) -> None:
    rows = _rows(truth_dir / "orders.csv")
    expected = [(o.order_id, o.account.id, o.person.person_id) for o in world.iter_orders()]
    assert [(r["order_id"], r["account_id"], r["person_id"]) for r in rows] == expected


def test_people_csv_holds_exactly_the_exposed_keys(world: World, truth_dir: Path) -> None:
    exposed = {
        (o.person.person_id, o.account.id, o.marketplace.id, o.buyer_key)
        for o in world.iter_orders()
        if o.buyer_key is not None
    }
    rows = _rows(truth_dir / "people.csv")
    listed = [(r["person_id"], r["account_id"], r["marketplace"], r["buyer_key"]) for r in rows]
    assert listed == sorted(exposed)
    assert {r["marketplace"] for r in rows} == {
        "ATVPDKIKX0DER",
        "A2EUQ1WTGCTBG2",
        "A1F83G8C2ARO7P",
        "A1PA6795UKMFR9",
        "shopify",
        "EBAY_US",
    }
    owners = defaultdict(set)
    for row in rows:
        owners[(row["account_id"], row["marketplace"], row["buyer_key"])].add(row["person_id"])
        assert not row["buyer_key"].startswith("no-reply")
    assert all(len(people) == 1 for people in owners.values())


def test_metrics_match_the_world_order_by_order(world: World, truth_dir: Path) -> None:
    expected: dict[tuple[str, str, str], _Tally] = {}
    for order in world.iter_orders():
        key: tuple[str, str, str] = (order.person.person_id, order.account.id, order.currency)
        tally = expected.setdefault(key, _Tally())
        if not order.is_cancelled:
            tally.orders += 1
            tally.units += order.units
            tally.spent += order.total
            tally.discount += order.discount
            tally.codes |= order.promo_codes
        tally.negatives += int(order.feedback is not None and order.feedback.rating <= 2)
        tally.returned += order.returned_units
    rows = _rows(truth_dir / "metrics.csv")
    keys = [(r["person_id"], r["account_id"], r["currency"]) for r in rows]
    assert keys == sorted(expected)
    for row, key in zip(rows, keys, strict=True):
        tally = expected[key]
        assert int(row["orders"]) == tally.orders
        assert int(row["units"]) == tally.units
        assert Decimal(row["amount_spent"]) == tally.spent
        assert row["amount_spent"] == f"{tally.spent:.2f}"
        assert Decimal(row["discount_received"]) == tally.discount
        assert row["promo_codes"] == ";".join(sorted(tally.codes))
        assert int(row["negative_feedbacks"]) == tally.negatives
        assert int(row["returned_units"]) == tally.returned


def test_truth_covers_hidden_buyers_and_heavy_promo_users(truth_dir: Path) -> None:
    people_with_keys = {r["person_id"] for r in _rows(truth_dir / "people.csv")}
    ordering_people = {r["person_id"] for r in _rows(truth_dir / "orders.csv")}
    assert people_with_keys < ordering_people  # some buy only where the API hides them
    metrics = _rows(truth_dir / "metrics.csv")
    assert max(len(r["promo_codes"].split(";")) for r in metrics) >= 3
    assert any(int(r["negative_feedbacks"]) > 0 for r in metrics)
    assert any(int(r["returned_units"]) > 0 for r in metrics)
