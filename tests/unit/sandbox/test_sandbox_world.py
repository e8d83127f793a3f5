"""The world: deterministic, realistic in the ways identity resolution finds hard."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from custsync.sandbox import World
from custsync.sandbox.catalog import ACCOUNTS
from custsync.sandbox.names import HOSTILE_NAMES, NICKNAMES
from custsync.sandbox.orders import Exposure, SimOrder, Status
from custsync.sandbox.people import Trait, ascii_fold
from custsync.sandbox.presentation import format_phone, profile_name, ship_to, vary_name


def _fingerprint(order: SimOrder) -> tuple[object, ...]:
    return (
        order.order_id,
        order.person.person_id,
        order.account.id,
        order.marketplace.id,
        order.history,
        order.lines,
        order.exposure,
        order.buyer_key,
        order.returns,
        order.feedback,
    )


def test_same_seed_gives_the_same_world() -> None:
    first = [_fingerprint(order) for order in World(11, 800).iter_orders()]
    again = [_fingerprint(order) for order in World(11, 800).iter_orders()]
    assert first == again


def test_another_seed_gives_another_world() -> None:
    first = [order.order_id for order in World(11, 300).iter_orders()]
    other = [order.order_id for order in World(12, 300).iter_orders()]
    assert first != other


def test_orders_fall_in_the_date_range_and_never_update_after_its_end() -> None:
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC)
    orders = list(World(3, 500, start=start, end=end).iter_orders())
    assert len(orders) == 500
    created = [order.created_at_s for order in orders]
    assert created == sorted(created)
    assert start.timestamp() <= created[0]
    assert created[-1] < end.timestamp()
    for order in orders:
        times = [change.at_s for change in order.history]
        assert times == sorted(times)
        assert times[-1] <= end.timestamp()


def test_order_ids_are_unique_and_amazon_shaped(world: World) -> None:
    orders = list(world.iter_orders())
    assert len({order.order_id for order in orders}) == len(orders)
    for order in orders:
        if order.account.id.startswith("amazon"):
            parts = order.order_id.split("-")
            assert [len(part) for part in parts] == [3, 7, 7]


def test_every_account_sells_and_statuses_progress(world: World) -> None:
    orders = list(world.iter_orders())
    assert {order.account.id for order in orders} == {account.id for account in ACCOUNTS}
    finals = Counter(order.final.status for order in orders)
    assert finals[Status.SHIPPED] > finals[Status.CANCELLED] > 0
    assert any(order.final.at_s > order.created_at_s for order in orders)
    for order in orders:
        assert order.history[0].status is Status.PENDING
        if order.is_cancelled:
            assert not order.returns
            assert order.feedback is None


def test_money_adds_up_in_the_marketplace_currency(world: World) -> None:
    for order in world.iter_orders():
        items = sum(line.unit_price_minor * line.qty for line in order.lines)
        extra = sum(
            line.shipping_minor + line.tax_minor - line.discount_minor for line in order.lines
        )
        assert order.total_minor == items + extra
        assert order.total.as_tuple().exponent == -2
        assert order.total == Decimal(order.total_minor) / 100
        assert order.currency == order.marketplace.currency
        assert 1 <= len(order.lines) <= 4


def test_returns_and_feedback_follow_the_purchase(world: World) -> None:
    orders = list(World(5, 3000).iter_orders())
    returned = [order for order in orders if order.returns]
    rated = [order for order in orders if order.feedback]
    assert returned
    assert rated
    for order in returned:
        ordered = {line.product.sku: line.qty for line in order.lines}
        for item in order.returns:
            assert 1 <= item.qty <= ordered[item.sku]
            assert item.returned_at_s > order.created_at_s
    for order in rated:
        assert order.feedback is not None
        assert 1 <= order.feedback.rating <= 5
        assert order.feedback.left_at_s > order.created_at_s


def test_serial_returners_and_critics_are_few_but_weigh_heavily() -> None:
    orders = list(World(5, 5000).iter_orders())
    people = {order.person.index: order.person for order in orders}
    for trait, counts in (
        (Trait.SERIAL_RETURNER, Counter(o.person.index for o in orders for _ in o.returns)),
        (
            Trait.GRUMPY,
            Counter(o.person.index for o in orders if o.feedback and o.feedback.is_negative),
        ),
    ):
        holders = {index for index, person in people.items() if person.has(trait)}
        assert len(holders) < 0.06 * len(people)
        assert sum(counts[index] for index in holders) > 0.3 * sum(counts.values())


def _is_negative(order: SimOrder) -> bool:
    return order.feedback is not None and order.feedback.is_negative


def test_amazon_keys_are_per_marketplace_and_hidden_where_amazon_hides_them() -> None:
    keys_by_person: dict[int, set[tuple[str, str]]] = defaultdict(set)
    for order in World(9, 4000).iter_orders():
        if order.account.id not in ("amazon-na", "amazon-eu"):
            continue
        if order.is_fulfilled_by_amazon or order.exposure is not Exposure.FULL:
            assert order.buyer_key is None
            continue
        assert order.buyer_key is not None
        assert order.buyer_key.endswith("@" + order.marketplace.email_domain)
        keys_by_person[order.person.index].add((order.marketplace.id, order.buyer_key))
    for keys in keys_by_person.values():
        assert len({marketplace for marketplace, _ in keys}) == len(keys)  # stable per market
    assert any(len(keys) > 1 for keys in keys_by_person.values())  # cross-border buyers
    aliases = [key for keys in keys_by_person.values() for _, key in keys]
    assert len(aliases) == len(set(aliases))


def test_households_and_namesakes_exist_even_in_a_small_world() -> None:
    people = World(1, 100).people()
    by_index = {person.index: person for person in people.values()}
    households = [p for p in people.values() if p.household_of is not None]
    namesakes = [p for p in people.values() if p.namesake_of is not None]
    assert households
    assert namesakes
    for member in households:
        assert member.household_of is not None
        partner = by_index[member.household_of]
        assert member.address == partner.address
        assert member.first != partner.first
    for twin in namesakes:
        assert twin.namesake_of is not None
        other = by_index[twin.namesake_of]
        assert twin.full_name == other.full_name
        assert twin.address.city != other.address.city


def test_hostile_names_occur_among_buyers() -> None:
    names = {(p.first, p.last) for p in World(1, 100).people().values() if p.is_hostile}
    assert len(names) == len(HOSTILE_NAMES)
    full = {f"{first} {last}" for first, last in names}
    assert any(name.startswith(("=", "+", "-", "@")) for name in full)
    assert any("\n" in name for name in full)
    assert any("," in name for name in full)
    assert any(len(name) == 300 for name in full)


def test_a_person_is_written_differently_across_orders() -> None:
    world = World(2, 3000)
    spellings: dict[int, set[str]] = defaultdict(set)
    for order in world.iter_orders():
        spellings[order.person.index].add(ship_to(world.seed, order).name)
    assert max(len(names) for names in spellings.values()) >= 3


def test_name_variations_cover_the_usual_suspects() -> None:
    import random

    rng = random.Random(0)
    seen = {vary_name(rng, "Robert", "Müller") for _ in range(2000)}
    assert {"Robert Müller", "Müller, Robert", "Robert Muller", " Robert  Müller "} <= seen
    assert any(name.split()[0] in NICKNAMES["Robert"] for name in seen)
    assert ascii_fold("José") == "Jose"


def test_phone_formats_vary_but_keep_the_number() -> None:
    import random

    rng = random.Random(0)
    formats = {format_phone(rng, "US", "4155550100") for _ in range(200)}
    assert {"+1 415-555-0100", "(415) 555 0100", "4155550100"} <= formats
    assert {"".join(ch for ch in text if ch.isdigit())[-10:] for text in formats} == {"4155550100"}


def test_profile_name_is_stable_per_account(world: World) -> None:
    order = next(iter(world.iter_orders()))
    first = profile_name(world.seed, order.person, order.account)
    assert first == profile_name(world.seed, order.person, order.account)


@pytest.mark.parametrize("orders", [100_000])
def test_a_hundred_thousand_orders_stream(orders: int) -> None:
    count = sum(1 for _ in World(8, orders).iter_orders())
    assert count == orders
