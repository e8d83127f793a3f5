"""Ground truth of a world: who is who, which order is whose, and each person's metrics.

``write_truth(world, out_dir)`` streams the orders once and writes (UTF-8, ``\\n`` line ends):

- ``people.csv``  ``person_id,account_id,marketplace,buyer_key``: every key an API exposes
  (Amazon e-mail alias per marketplace id, Shopify customer id, eBay user name); never the
  Amazon Business no-reply address, never derived keys.
- ``orders.csv``  ``order_id,account_id,person_id``: every order, in creation order.
- ``metrics.csv`` one row per person, account and currency that has any order, by the
  definitions of ARCHITECTURE.md "Identity and metrics" (cancelled = final status).

Memory is bounded by the number of people, not orders. Same world → same bytes.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from custsync.collector import collector_paused
from custsync.sandbox.catalog import to_money
from custsync.sandbox.orders import SimOrder, Status
from custsync.sandbox.people import person_id
from custsync.sandbox.world import World

PEOPLE_HEADER = ("person_id", "account_id", "marketplace", "buyer_key")
ORDERS_HEADER = ("order_id", "account_id", "person_id")
METRICS_HEADER = (
    "person_id",
    "account_id",
    "currency",
    "orders",
    "units",
    "amount_spent",
    "discount_received",
    "promo_codes",
    "negative_feedbacks",
    "returned_units",
)

MetricsKey = tuple[int, str, str]  # person index, account id, currency


@dataclass(slots=True)
class PersonMetrics:
    """What one person did in one account and currency (money in minor units)."""

    orders: int = 0
    units: int = 0
    spent_minor: int = 0
    discount_minor: int = 0
    promo_codes: set[str] | None = None  # most buyers never use one: no empty sets
    negative_feedbacks: int = 0
    returned_units: int = 0

    def add(self, order: SimOrder) -> None:
        if order.history[-1].status is not Status.CANCELLED:
            self.orders += 1
            for line in order.lines:
                qty = line.qty
                self.units += qty
                discount = line.discount_minor
                self.spent_minor += (
                    line.unit_price_minor * qty + line.shipping_minor + line.tax_minor - discount
                )
                self.discount_minor += discount
                if line.promo_code:
                    if self.promo_codes is None:
                        self.promo_codes = set()
                    self.promo_codes.add(line.promo_code)
        feedback = order.feedback
        if feedback is not None and feedback.rating <= 2:
            self.negative_feedbacks += 1
        for item in order.returns:
            self.returned_units += item.qty


@dataclass(slots=True)
class Truth:
    """Accumulates the truth while the orders stream past."""

    keys: set[tuple[int, str, str, str]] = field(default_factory=set)  # person index first
    metrics: dict[MetricsKey, PersonMetrics] = field(default_factory=dict)

    def add(self, order: SimOrder) -> None:
        person, account_id, marketplace = order.person.index, order.account.id, order.marketplace
        if order.buyer_key is not None:
            self.keys.add((person, account_id, marketplace.id, order.buyer_key))
        key = (person, account_id, marketplace.currency)
        entry = self.metrics.get(key)
        if entry is None:
            entry = self.metrics[key] = PersonMetrics()
        entry.add(order)

    def people_rows(self) -> Iterator[tuple[str, ...]]:
        for person, account_id, marketplace, buyer_key in sorted(self.keys):
            yield person_id(person), account_id, marketplace, buyer_key

    def metrics_rows(self) -> Iterable[tuple[str | int, ...]]:
        for (person, account_id, currency), entry in sorted(self.metrics.items()):
            yield (
                person_id(person),
                account_id,
                currency,
                entry.orders,
                entry.units,
                str(to_money(entry.spent_minor, currency)),
                str(to_money(entry.discount_minor, currency)),
                ";".join(sorted(entry.promo_codes or ())),
                entry.negative_feedbacks,
                entry.returned_units,
            )


def write_truth(world: World, out_dir: Path) -> None:
    """Write ``people.csv``, ``orders.csv`` and ``metrics.csv`` into ``out_dir`` (created)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    truth = Truth()
    with collector_paused():
        _write_csv(out_dir / "orders.csv", ORDERS_HEADER, _order_rows(world, truth))
        _write_csv(out_dir / "people.csv", PEOPLE_HEADER, truth.people_rows())
        _write_csv(out_dir / "metrics.csv", METRICS_HEADER, truth.metrics_rows())


def _order_rows(world: World, truth: Truth) -> Iterator[tuple[str, str, str]]:
    for order in world.iter_orders():
        truth.add(order)
        yield order.order_id, order.account.id, order.person.person_id


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
    with path.open("w", encoding="utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
