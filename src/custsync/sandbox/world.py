"""A deterministic seller world: ``World(seed, orders)`` → the same orders, byte for byte.

The world is a description, not a data set: ``iter_orders()`` generates the orders in
creation order from one random stream (people from a second one), holding only the people
met so far, so a million orders stream in bounded memory. Nothing reads the wall clock.

Who buys: order ``i`` goes to a new person with probability ``NEW_BUYER_SHARE``, otherwise to
a returning one (half the time uniformly, half the time in proportion to past orders, which
gives the heavy tail of loyal buyers). Person ids therefore follow first purchase.
"""

from __future__ import annotations

import bisect
import itertools
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from random import Random

from custsync.records import MarketplaceKind
from custsync.sandbox.catalog import ACCOUNTS, Account, Marketplace
from custsync.sandbox.orders import SimOrder
from custsync.sandbox.people import PeopleFactory, Person, Trait
from custsync.sandbox.shopping import Purchase, shop
from custsync.sandbox.vocabulary import SANDBOX, Vocabulary

DEFAULT_END = datetime(2026, 11, 1, tzinfo=UTC)
DEFAULT_START = DEFAULT_END - timedelta(days=365)
NEW_BUYER_SHARE = 0.38
_HOME_MARKETPLACE = {"US": "ATVPDKIKX0DER", "CA": "A2EUQ1WTGCTBG2", "GB": "A1F83G8C2ARO7P"}
_HOME_MARKETPLACE_DEFAULT = "A1PA6795UKMFR9"


@dataclass(frozen=True, slots=True)
class World:
    """``order_count`` orders created in ``[start, end)``; all later updates are ≤ ``end``."""

    seed: int
    order_count: int
    start: datetime = DEFAULT_START
    end: datetime = DEFAULT_END
    vocabulary: Vocabulary = SANDBOX
    accounts: tuple[Account, ...] = field(default=ACCOUNTS, init=False)

    def __post_init__(self) -> None:
        if self.order_count < 0:
            raise ValueError("order_count must be ≥ 0")
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise ValueError("start and end must be timezone-aware")
        if self.start >= self.end:
            raise ValueError("start must be before end")

    @property
    def start_s(self) -> int:
        return int(self.start.timestamp())

    @property
    def end_s(self) -> int:
        return int(self.end.timestamp())

    def iter_orders(self) -> Iterator[SimOrder]:
        """Every order, in creation order; a fresh, identical stream on every call."""
        rng = Random(f"{self.seed}:orders")
        factory = PeopleFactory(self.seed, self.start_s, self.end_s, self.vocabulary)
        people: list[Person] = []
        buyer_of_order = array("I")
        clock = _Timeline(self.start_s, self.end_s, self.order_count)
        for index in range(self.order_count):
            person = _pick_buyer(rng, factory, people, buyer_of_order)
            buyer_of_order.append(person.index)
            account, marketplace = _pick_channel(rng, person)
            created_s = clock.created_at(index, rng.random())
            purchase = Purchase(index, person, account, marketplace, created_s)
            yield shop(rng, self.seed, purchase, self.end_s)

    def people(self) -> dict[str, Person]:
        """Every person with at least one order, by person id (generates the whole world)."""
        found: dict[str, Person] = {}
        for order in self.iter_orders():
            found.setdefault(order.person.person_id, order.person)
        return found


def _pick_buyer(
    rng: Random, factory: PeopleFactory, people: list[Person], buyer_of_order: array[int]
) -> Person:
    draw = rng.random()
    if not people or draw < NEW_BUYER_SHARE:
        person = factory.create(len(people))
        people.append(person)
        return person
    if draw < (1 + NEW_BUYER_SHARE) / 2:
        return people[int(rng.random() * len(people))]
    return people[buyer_of_order[int(rng.random() * len(buyer_of_order))]]


def _pick_channel(rng: Random, person: Person) -> tuple[Account, Marketplace]:
    account = person.accounts[0]  # Amazon first when held: weight 3, the others 1
    if len(person.accounts) > 1:
        amazon_weight = 3 if account.kind is MarketplaceKind.AMAZON else 1
        slot = rng.random() * (amazon_weight + len(person.accounts) - 1) - amazon_weight
        account = person.accounts[0] if slot < 0 else person.accounts[1 + int(slot)]
    if account.kind is not MarketplaceKind.AMAZON:
        return account, account.marketplaces[0]
    home, abroad = _AMAZON_CHOICES[account.id, person.country]
    if person.traits & Trait.CROSS_BORDER and rng.random() < 0.3:
        return account, abroad
    return account, home


def _amazon_choices() -> dict[tuple[str, str], tuple[Marketplace, Marketplace]]:
    """(account, home country) → (home marketplace, the region's other marketplace)."""
    choices: dict[tuple[str, str], tuple[Marketplace, Marketplace]] = {}
    for account in ACCOUNTS:
        if account.kind is not MarketplaceKind.AMAZON:
            continue
        for country in ("US", "CA", "GB", "DE"):
            home_id = _HOME_MARKETPLACE.get(country, _HOME_MARKETPLACE_DEFAULT)
            home = next((mp for mp in account.marketplaces if mp.id == home_id), None)
            if home is not None:
                abroad = next(mp for mp in account.marketplaces if mp is not home)
                choices[account.id, country] = (home, abroad)
    return choices


_AMAZON_CHOICES = _amazon_choices()


class _Timeline:
    """Order ``i`` of ``n`` is created at the ``(i + jitter) / n`` quantile of a seasonal
    calendar (busier weekends, Black Friday week and December): monotone, no sorting needed."""

    def __init__(self, start_s: int, end_s: int, count: int) -> None:
        self._start_s, self._end_s, self._count = start_s, end_s, max(count, 1)
        day_starts = range(start_s, end_s, 86400)
        weights = [_day_weight(datetime.fromtimestamp(day, UTC)) for day in day_starts]
        lengths = [min(86400, end_s - day) for day in day_starts]
        self._day_starts = list(day_starts)
        masses = [w * length for w, length in zip(weights, lengths, strict=True)]
        self._cumulative = list(itertools.accumulate(masses))
        self._rates = weights

    def created_at(self, index: int, jitter: float) -> int:
        mass = (index + jitter) / self._count * self._cumulative[-1]
        day = min(bisect.bisect_right(self._cumulative, mass), len(self._day_starts) - 1)
        before = self._cumulative[day - 1] if day else 0.0
        offset_s = int((mass - before) / self._rates[day])
        return min(self._day_starts[day] + offset_s, self._end_s - 1)


def _day_weight(day: datetime) -> float:
    weight = 1.15 if day.weekday() >= 5 else 1.0
    if (day.month == 11 and day.day >= 24) or (day.month == 12 and day.day <= 1):
        return weight * 2.5
    if day.month == 12 and day.day <= 22:
        return weight * 1.6
    return weight
