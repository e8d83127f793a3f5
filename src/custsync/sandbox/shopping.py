"""One purchase: what a person bought, what it cost, what happened to it afterwards."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import NamedTuple

from custsync.records import MarketplaceKind
from custsync.sandbox import keys
from custsync.sandbox.catalog import (
    ACCOUNTS,
    PRODUCTS,
    PROMOTIONS,
    Account,
    Marketplace,
    Promotion,
)
from custsync.sandbox.dice import between, pick
from custsync.sandbox.orders import (
    Exposure,
    Feedback,
    Line,
    Return,
    SimOrder,
    Status,
    StatusChange,
)
from custsync.sandbox.people import Person, Trait

MINUTE, HOUR, DAY = 60, 3600, 86400
CANCEL_SHARE = 0.04
FBA_SHARE = 0.35
HIDDEN_SHARE = 0.02  # Amazon orders showing neither buyer nor recipient
GUEST_SHARE = 0.06  # Shopify guest checkouts: no customer id
BUSINESS_RELAY_SHARE = 0.6  # of a business buyer's Amazon orders
RETURN_REASONS = (
    "DEFECTIVE",
    "NOT_AS_DESCRIBED",
    "NO_LONGER_NEEDED",
    "WRONG_ITEM",
    "ARRIVED_LATE",
    "ORDERED_BY_MISTAKE",
)
COMMENTS = {
    1: ("Never arrived.", "Broken on arrival, seller ignored me.", None),
    2: ("Slow shipping.", "Not as pictured.", None),
    3: ("OK.", None),
    4: ("Good product.", None),
    5: ("Great seller, fast shipping!", "Perfect. 😀", None),
}


class Purchase(NamedTuple):
    """Who buys where and when; ``shop`` turns it into an order."""

    number: int  # the order's position in the world
    person: Person
    account: Account
    marketplace: Marketplace
    created_at_s: int


def shop(rng: Random, seed: int, purchase: Purchase, end_s: int) -> SimOrder:
    """The order of ``purchase`` (draws from ``rng`` in a fixed order: the world depends on it)."""
    person, account, marketplace = purchase.person, purchase.account, purchase.marketplace
    kind = account.kind
    fba = kind is MarketplaceKind.AMAZON and rng.random() < FBA_SHARE
    history = _history(rng, purchase.created_at_s, end_s, fba=fba)
    lines = _lines(rng, seed, purchase, fba=fba)
    exposure = _exposure(rng, person, account, fba=fba)
    last = history[-1]
    shipped = last.at_s if last.status is Status.SHIPPED else None
    returns = _returns(rng, purchase, lines, shipped, end_s)
    feedback = _feedback(rng, person, shipped, end_s)
    if kind is MarketplaceKind.SHOPIFY:
        feedback = None  # drawn all the same (the world stays put), but Shopify has no ratings
    buyer_key = None
    if exposure is Exposure.FULL:
        buyer_key = keys.buyer_key(seed, person, account, marketplace)
    return SimOrder(
        purchase.number,
        keys.order_id(purchase.number, seed, account, marketplace),
        account,
        marketplace,
        person,
        history,
        lines,
        fba,
        exposure,
        buyer_key,
        returns,
        feedback,
    )


def _history(rng: Random, created_s: int, end_s: int, *, fba: bool) -> tuple[StatusChange, ...]:
    created = StatusChange(Status.PENDING, created_s)
    steps: tuple[StatusChange, ...]
    if rng.random() < CANCEL_SHARE:
        at_s = created_s + between(rng, 10 * MINUTE, 6 * HOUR)
        if not fba and rng.random() < 0.5:
            unshipped_s = created_s + between(rng, MINUTE, 5 * MINUTE)
            steps = (created, StatusChange(Status.UNSHIPPED, unshipped_s))
        else:
            steps = (created,)
        steps += (StatusChange(Status.CANCELLED, at_s),)
    elif fba:
        shipped_s = created_s + between(rng, 2 * HOUR, 36 * HOUR)
        steps = (created, StatusChange(Status.SHIPPED, shipped_s))
    else:
        unshipped_s = created_s + between(rng, 5 * MINUTE, 2 * HOUR)
        shipped_s = unshipped_s + between(rng, 4 * HOUR, 72 * HOUR)
        steps = (
            created,
            StatusChange(Status.UNSHIPPED, unshipped_s),
            StatusChange(Status.SHIPPED, shipped_s),
        )
    if steps[-1].at_s <= end_s:
        return steps
    return tuple(step for step in steps if step.at_s <= end_s)


@dataclass(frozen=True, slots=True)
class _PriceList:
    """Shelf prices, free-shipping threshold and tax rate of one marketplace, in minor units."""

    prices: tuple[int, ...]
    free_shipping_from: int
    shipping_fees: tuple[int, ...]
    tax_basis_points: int


def _price_list(marketplace: Marketplace) -> _PriceList:
    fx = marketplace.fx_from_usd
    return _PriceList(
        prices=tuple(_price(product.price_usd_cents, fx) for product in PRODUCTS),
        free_shipping_from=_price(3500, fx),
        shipping_fees=(499, 599),
        tax_basis_points=round(marketplace.tax_rate_pct * 100),
    )


def _lines(rng: Random, seed: int, purchase: Purchase, *, fba: bool) -> tuple[Line, ...]:
    prices = _PRICE_LISTS[purchase.marketplace.id]
    shelf = prices.prices
    draw = rng.random()
    count = 1 if draw < 0.6 else 2 if draw < 0.85 else 3 if draw < 0.95 else 4
    picked = _distinct_products(rng, count)
    traits = purchase.person.traits
    quantities = [_quantity(rng, traits) for _ in picked]
    promo = _promotion(rng, traits)
    items_minor = 0
    for product, qty in zip(picked, quantities, strict=True):
        items_minor += shelf[product] * qty
    shipping = 0
    if not fba and items_minor < prices.free_shipping_from:
        shipping = pick(rng, prices.shipping_fees)
    item_base = keys.order_item_base(purchase.number, seed)
    code = promo.code if promo else None
    tax_bp = prices.tax_basis_points
    lines = []
    for number, product in enumerate(picked):
        qty, price = quantities[number], shelf[product]
        line_shipping = 0 if number else shipping
        discount = _discount(promo, price * qty, line_shipping)
        tax = ((price * qty + line_shipping - discount) * tax_bp + 5000) // 10000
        item_id = f"{item_base}{number + 1:02d}"
        lines.append(
            Line(item_id, PRODUCTS[product], qty, price, line_shipping, tax, discount, code)
        )
    return tuple(lines)


def _distinct_products(rng: Random, count: int) -> list[int]:
    picked: list[int] = []
    while len(picked) < count:
        product = int(rng.random() * len(PRODUCTS))
        if product not in picked:
            picked.append(product)
    return picked


def _price(usd_cents: int, fx: float) -> int:
    """Converted, then ending in .99 like a shelf price."""
    converted = round(usd_cents * fx)
    return converted // 100 * 100 + 99 if converted >= 100 else converted


_PRICE_LISTS = {mp.id: _price_list(mp) for account in ACCOUNTS for mp in account.marketplaces}


def _quantity(rng: Random, traits: int) -> int:
    if traits & Trait.BUSINESS:
        return between(rng, 1, 10)
    draw = rng.random()
    return 1 if draw < 0.72 else 2 if draw < 0.92 else between(rng, 3, 5)


def _promotion(rng: Random, traits: int) -> Promotion | None:
    odds = 0.55 if traits & Trait.PROMO_HUNTER else 0.07
    return pick(rng, PROMOTIONS) if rng.random() < odds else None


def _discount(promo: Promotion | None, items_minor: int, shipping_minor: int) -> int:
    if promo is None:
        return 0
    if promo.percent_off == 0:  # free shipping
        return shipping_minor
    return (items_minor * promo.percent_off + 50) // 100


def _exposure(rng: Random, person: Person, account: Account, *, fba: bool) -> Exposure:
    draw = rng.random()
    if account.kind is MarketplaceKind.SHOPIFY:
        return Exposure.HIDDEN if draw < GUEST_SHARE else Exposure.FULL
    if account.kind is not MarketplaceKind.AMAZON:
        return Exposure.FULL
    if draw < HIDDEN_SHARE:
        return Exposure.HIDDEN
    if fba:
        return Exposure.NO_EMAIL
    if person.traits & Trait.BUSINESS and rng.random() < BUSINESS_RELAY_SHARE:
        return Exposure.BUSINESS_RELAY
    return Exposure.FULL


def _returns(
    rng: Random, purchase: Purchase, lines: tuple[Line, ...], shipped_s: int | None, end_s: int
) -> tuple[Return, ...]:
    odds = 0.6 if purchase.person.traits & Trait.SERIAL_RETURNER else 0.03
    if shipped_s is None or rng.random() >= odds:
        return ()
    at_s = shipped_s + between(rng, 2 * DAY, 30 * DAY)
    if at_s > end_s:
        return ()
    returned = [line for n, line in enumerate(lines) if n == 0 or rng.random() < 0.5]
    return tuple(
        Return(
            f"R{purchase.number:09d}-{n}",
            line.product.sku,
            between(rng, 1, line.qty),
            pick(rng, RETURN_REASONS),
            at_s,
        )
        for n, line in enumerate(returned, start=1)
    )


def _feedback(rng: Random, person: Person, shipped_s: int | None, end_s: int) -> Feedback | None:
    grumpy = person.traits & Trait.GRUMPY
    if shipped_s is None or rng.random() >= (0.5 if grumpy else 0.12):
        return None
    at_s = shipped_s + between(rng, DAY, 20 * DAY)
    if at_s > end_s:
        return None
    weights = (45, 30, 10, 10, 5) if grumpy else (3, 4, 8, 25, 60)
    rating = rng.choices((1, 2, 3, 4, 5), weights)[0]
    return Feedback(rating, rng.choice(COMMENTS[rating]), at_s)
