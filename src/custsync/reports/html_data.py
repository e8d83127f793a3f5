"""The data ``index.html`` embeds: one compact JSON array per customer, plus a meta object.

Customer array, by position: the contract columns in ``CUSTOMER_COLUMNS`` order (money as
integer cents, times as epoch seconds or ``null``, missing text as ``""``; city, state, country,
currency and seller accounts as indexes into ``meta.dict``), then ``company``, ``watch`` (``0``
or ``[added_epoch, reason]``), ``orders``: ``[order_id, account (dict), purchased_epoch,
status (dict), currency (dict), total_cents, discount_cents, units, returned_units,
returned_epoch|null, rating|null, feedback_epoch|null, "CODE;CODE"]``, oldest first, trailing
empty fields (``null``, ``""``, ``0``) after ``units`` left out.

Identity array, one per customer in the same order (a separate element, which the page reads
only when a panel opens or a search runs, so that opening the page costs nothing more):
``buyers``: ``[account (dict), buyer_key]`` with a third element ``1`` for a weak key, then
``links`` (left out when empty): ``[a, b, rule (dict), score, sure (0 or 1), evidence...]``
with ``a`` and ``b`` indexes into ``buyers`` and each evidence field as ``[field (dict), part
(dict)...]`` (the parts of its finding).

Embedded text is raw (the page shows it through ``textContent``; its CSV export escapes
formulas like ``cells.text_cell``); ``<`` is written as ``\\u003c`` so no value can close the
``<script>`` element that holds the JSON.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from custsync.reports.detail import ordered_evidence
from custsync.store.queries import (
    CUSTOMER_COLUMNS,
    FeedBuyer,
    FeedCustomer,
    FeedLink,
    FeedOrder,
    Tab,
)

DICT_COLUMNS = frozenset({"city", "state", "country", "currency", "seller_accounts"})
MONEY_COLUMNS = frozenset({"amount_spent", "discount_received"})
TIME_COLUMNS = frozenset({"first_order_at", "last_order_at"})
INT_COLUMNS = frozenset(
    {"orders", "units", "promo_codes_used", "negative_feedbacks", "returned_units"}
)
LABELS = {
    "customer_id": "Customer ID",
    "name": "Name",
    "email": "Email",
    "phone": "Phone",
    "address": "Address",
    "zip": "ZIP",
    "city": "City",
    "state": "State/Province",
    "country": "Country",
    "orders": "Orders",
    "units": "Units",
    "amount_spent": "Amount spent",
    "currency": "Currency",
    "discount_received": "Discount",
    "promo_codes_used": "Promo codes",
    "negative_feedbacks": "Negative feedbacks",
    "returned_units": "Returned units",
    "seller_accounts": "Seller accounts",
    "first_order_at": "First order",
    "last_order_at": "Last order",
}
DEFAULT_HIDDEN = ("customer_id", "currency", "first_order_at")
# label, the column that must be > 0 to be in the tab ("watch": watched), the sort (desc).
TAB_VIEWS: dict[Tab, tuple[str, str | None, str]] = {
    Tab.ALL: ("All", None, "last_order_at"),
    Tab.HIGHEST_VALUE: ("Highest value", None, "amount_spent"),
    Tab.MOST_ORDERS: ("Most orders", None, "orders"),
    Tab.MOST_RETURNS: ("Most returned units", "returned_units", "returned_units"),
    Tab.PROMO_CODES: ("Promo codes", "promo_codes_used", "discount_received"),
    Tab.WATCHLIST: ("Watchlist", "watch", "watch"),
}

ORDER_REQUIRED = 8  # order fields up to units are always written

Json = str | int | float | list["Json"] | dict[str, "Json"] | None


def to_json(value: Json) -> str:
    """Compact JSON that is safe inside a ``<script>`` element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c")


def cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def epoch(moment: datetime | None) -> int | None:
    return None if moment is None else int(moment.timestamp())


class Interner:
    """Repeated strings stored once: each value becomes its index in ``values``."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self.values: list[Json] = []

    def __call__(self, value: str | None) -> int:
        text = value or ""
        found = self._index.get(text)
        if found is None:
            found = self._index[text] = len(self.values)
            self.values.append(text)
        return found


@dataclass(slots=True)
class ClientStats:
    """The figures on top of the report (money in cents of the base currency)."""

    customers: int = 0
    buying_customers: int = 0
    repeat_customers: int = 0
    orders: int = 0
    revenue_cents: int = 0
    currencies: set[str] = field(default_factory=set)

    def add(self, orders: int, spent_cents: int, currency: str) -> None:
        self.customers += 1
        self.buying_customers += orders >= 1
        self.repeat_customers += orders >= 2
        self.orders += orders
        self.revenue_cents += spent_cents
        self.currencies.add(currency)

    @property
    def repeat_rate(self) -> float:
        """Share of buying customers (≥ 1 order) with two or more orders."""
        return self.repeat_customers / self.buying_customers if self.buying_customers else 0.0

    @property
    def aov_cents(self) -> int:
        return round(self.revenue_cents / self.orders) if self.orders else 0

    def as_json(self) -> dict[str, Json]:
        return {
            "customers": self.customers,
            "buying_customers": self.buying_customers,
            "repeat_customers": self.repeat_customers,
            "repeat_rate": round(self.repeat_rate, 4),
            "orders": self.orders,
            "revenue_cents": self.revenue_cents,
            "aov_cents": self.aov_cents,
            "currency": ",".join(sorted(self.currencies)),
        }


class FeedEncoder:
    """Encodes customers one at a time; ``meta`` is complete once every customer is encoded."""

    def __init__(self) -> None:
        self.strings = Interner()
        self.stats = ClientStats()

    def encode(self, customer: FeedCustomer) -> str:
        row = customer.row
        values: list[Json] = [self._cell(name, getattr(row, name)) for name in CUSTOMER_COLUMNS]
        watch: Json = 0
        if customer.watched_at is not None:
            watch = [epoch(customer.watched_at), customer.watch_reason or ""]
        values += [customer.company or "", watch, [self._order(o) for o in customer.orders]]
        self.stats.add(row.orders, cents(row.amount_spent), row.currency)
        return to_json(values)

    def identity(self, customer: FeedCustomer) -> str:
        """The customer's identity array: its buyers and the links between them."""
        values: list[Json] = [[self._buyer(b) for b in customer.buyers]]
        if customer.links:
            at = {b.ref_text: n for n, b in enumerate(customer.buyers)}
            values.append([self._link(link, at) for link in customer.links])
        return to_json(values)

    def meta(self, *, generated_at: datetime) -> dict[str, Json]:
        columns: list[Json] = [
            {"id": name, "label": LABELS[name], "kind": _kind(name)} for name in CUSTOMER_COLUMNS
        ]
        tabs: list[Json] = [
            {"id": tab.value, "label": label, "where": where, "sort": sort}
            for tab, (label, where, sort) in TAB_VIEWS.items()
        ]
        return {
            "version": 1,
            "generated_at": generated_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "columns": columns,
            "default_hidden": list(DEFAULT_HIDDEN),
            "tabs": tabs,
            "stats": self.stats.as_json(),
            "dict": self.strings.values,
        }

    def _cell(self, name: str, value: object) -> Json:
        if name in DICT_COLUMNS:
            return self.strings(str(value) if value is not None else None)
        if name in MONEY_COLUMNS and isinstance(value, Decimal):
            return cents(value)
        if name in TIME_COLUMNS:
            return epoch(value) if isinstance(value, datetime) else None
        if name in INT_COLUMNS and isinstance(value, int):
            return value
        return "" if value is None else str(value)

    def _order(self, order: FeedOrder) -> Json:
        values: list[Json] = [
            order.order_id,
            self.strings(order.account_id),
            epoch(order.purchased_at),
            self.strings(order.status),
            self.strings(order.currency),
            cents(order.total),
            cents(order.discount),
            order.units,
            order.returned_units,
            epoch(order.returned_at),
            order.rating,
            epoch(order.feedback_at),
            ";".join(order.promo_codes),
        ]
        while len(values) > ORDER_REQUIRED and values[-1] in (None, "", 0):
            values.pop()  # trailing empty fields are left out: the page reads them as absent
        return values

    def _buyer(self, buyer: FeedBuyer) -> Json:
        values: list[Json] = [self.strings(buyer.account_id), buyer.buyer_key]
        return [*values, 1] if buyer.is_weak_key else values

    def _link(self, link: FeedLink, at: dict[str, int]) -> Json:
        values: list[Json] = [at[link.buyer_a], at[link.buyer_b], self.strings(link.rule)]
        values += [round(link.score, 2), int(link.is_sure)]
        found = json.loads(link.evidence) if link.evidence else {}
        for name, text in ordered_evidence(found, link.rule):
            field: list[Json] = [self.strings(name)]
            values.append(field + [self.strings(part) for part in text.split(PART)])
        return values


PART = "; "  # between the parts of one field's finding ("same postal code …; same street")


def _kind(name: str) -> str:
    if name in DICT_COLUMNS:
        return "dict"
    if name in MONEY_COLUMNS:
        return "money"
    if name in TIME_COLUMNS:
        return "time"
    if name in INT_COLUMNS:
        return "int"
    return "text"
