"""Customer metrics as the store keeps them: counts, money in integer cents in the base
currency, promo codes joined by ``;``, and per original currency the orders and cents.

The set-based refresh (``metrics_sql``) builds one ``Figures`` per customer and compares it
with the stored row as it is, so a million customers never become Decimals and datetimes;
``Computed`` turns one into ``pipeline.metrics``'s ``Metrics`` only when it is read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

from custsync.pipeline.metrics import CurrencyTotal, Metrics
from custsync.records import AccountId
from custsync.store.types import as_utc, from_cents

FIGURES = (
    "orders",
    "units",
    "amount_spent",
    "discount_received",
    "promo_codes_used",
    "promo_codes",
    "negative_feedbacks",
    "returned_units",
)  # the customer columns a refresh recomputes, in the order of ``Figures.stored``
MONEY = frozenset({"amount_spent", "discount_received"})
Rates = Mapping[str, list[tuple[date, Decimal]]]
Total = tuple[str, int, int, int]  # currency, orders, cents, discount cents


# One customer's metrics as stored (the values of ``FIGURES``, money in cents), its totals
# per original currency (sorted by currency), and what a refresh does not write: its seller
# accounts and its first and last order times, as the driver returns them. A plain tuple:
# the refresh builds one per customer of the store.
Figures = tuple[tuple[Any, ...], tuple[Total, ...], tuple[str, ...], Any, Any]
Events = tuple[int, int, set[str] | None]  # a customer's returned units, negative feedbacks, codes
_NO_EVENTS = (0, "", 0, 0)  # promo codes used, the codes, negative feedbacks, returned units


class Computed(Mapping[str, tuple[Metrics, tuple[CurrencyTotal, ...]]]):
    """Every customer's figures; reading one customer gives its metrics and its totals per
    original currency."""

    __slots__ = ("base", "figures")

    def __init__(self, figures: dict[str, Figures], base: str) -> None:
        self.figures = figures
        self.base = base

    def __getitem__(self, cid: str) -> tuple[Metrics, tuple[CurrencyTotal, ...]]:
        stored, money_by, accounts, first, last = self.figures[cid]
        orders, units, spent, discount, _, codes, negative, returned = stored
        metrics = Metrics(
            orders,
            units,
            from_cents(spent),
            self.base,
            from_cents(discount),
            tuple(codes.split(";")) if codes else (),
            negative,
            returned,
            cast(tuple[AccountId, ...], accounts),
            moment(first),
            moment(last),
        )
        totals = tuple(CurrencyTotal(c, n, from_cents(a), from_cents(d)) for c, n, a, d in money_by)
        return metrics, totals

    def __iter__(self) -> Iterator[str]:
        return iter(self.figures)

    def __len__(self) -> int:
        return len(self.figures)


class Prices:
    """The exchange rates as integers over one common power of ten, so that converting a
    customer's cents is exact integer arithmetic (the same result as multiplying Decimals,
    at a fraction of the cost)."""

    __slots__ = ("rates", "scale")

    def __init__(self, rates: Rates) -> None:
        places = [_places(rate) for found in rates.values() for _, rate in found]
        self.scale: int = 10 ** max([0, *places])
        self.rates = {
            (currency, period): int(rate * self.scale)
            for currency, found in rates.items()
            for period, (_, rate) in enumerate(found)
        }  # (currency, rate period) → rate × scale

    def whole(self, scaled: int) -> int:
        """``scaled`` / scale rounded half to even, as ``Decimal.quantize`` rounds
        ``pipeline.metrics``'s sums."""
        quotient, rest = divmod(scaled, self.scale)
        if 2 * rest > self.scale or (2 * rest == self.scale and quotient & 1):
            return quotient + 1
        return quotient


def _places(rate: Decimal) -> int:
    """Digits after the point (rates are finite: `custsync fx` refuses the rest)."""
    exponent = rate.as_tuple().exponent
    return -exponent if isinstance(exponent, int) else 0


def moment(value: Any) -> datetime:
    """A stored time as aware UTC, from SQLite's text (naive UTC) or PostgreSQL's datetime."""
    found: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return as_utc(found)


def single_figures(row: tuple[Any, ...], base: str, prices: Prices) -> Figures:
    """The figures of a customer whose orders are one row of the totals query (one currency,
    one rate period, some orders not cancelled): most customers. Without returns, feedback
    and promo codes (``with_events``: most customers have none)."""
    _, currency, period, orders, units, cents, off, _, first, last, accounts = row
    spent, discount = cents, off
    if currency != base:
        rate = prices.rates[(currency, period)]
        spent = prices.whole(cents * rate)
        discount = prices.whole(off * rate) if off else 0
    stored = (orders, units, spent, discount, *_NO_EVENTS)
    return stored, ((currency, orders, cents, off),), _accounts(accounts), first, last


def merged_figures(rows: list[tuple[Any, ...]], base: str, prices: Prices) -> Figures:
    """The figures of a customer with several rows (currencies, rate periods) or with only
    cancelled orders (a row without orders gives times and seller accounts only). Money in
    other currencies is summed in cents × scale (the base currency's at a rate of one) and
    rounded once; a customer with orders in the base currency only (most) needs no scaling
    at all. Without returns, feedback and promo codes, as ``single_figures``."""
    orders = units = cents_in_base = off_in_base = scaled = scaled_off = 0
    first, last = rows[0][8], rows[0][9]
    accounts: set[str] = set()
    totals: dict[str, list[int]] = {}  # currency → orders, cents, discount cents
    for _, currency, period, count, pieces, cents, off, _, since, until, held in rows:
        accounts.update(held.split(","))
        first, last = min(first, since), max(last, until)
        if not count:
            continue
        orders += count
        units += pieces
        total = totals.get(currency)
        if total is None:
            totals[currency] = [count, cents, off]
        else:
            total[0] += count
            total[1] += cents
            total[2] += off
        if currency == base:
            cents_in_base += cents
            off_in_base += off
        else:
            rate = prices.rates[(currency, period)]
            scaled += cents * rate
            scaled_off += off * rate
    spent, discount = cents_in_base, off_in_base
    if scaled or scaled_off:
        spent = prices.whole(cents_in_base * prices.scale + scaled)
        discount = prices.whole(off_in_base * prices.scale + scaled_off)
    stored = (orders, units, spent, discount, *_NO_EVENTS)
    money_by = tuple((currency, *found) for currency, found in sorted(totals.items()))
    return stored, cast(tuple[Total, ...], money_by), tuple(sorted(accounts)), first, last


def _accounts(joined: str) -> tuple[str, ...]:
    """Seller accounts as the totals query joins them (``,``: account ids have none), sorted."""
    return tuple(sorted(joined.split(","))) if "," in joined else (joined,)


def with_events(figures: Figures, events: Events) -> Figures:
    """``figures`` with these returned units, negative feedbacks and promo codes."""
    stored, money_by, accounts, first, last = figures
    returned, negative, codes = events
    own = (*stored[:4], *_codes(codes), negative, returned)
    return own, money_by, accounts, first, last


def _codes(codes: set[str] | None) -> tuple[int, str]:
    return (len(codes), ";".join(sorted(codes))) if codes else (0, "")
