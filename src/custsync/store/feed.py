"""Every customer with its buyers, orders and links, in one stream: what the HTML report embeds.

One query (customers ⟕ watchlist ⟕ buyers ⟕ orders, with per-order returns, feedback and promo
codes) ordered by customer id, grouped here by consecutive customer id, and beside it the
identity links of the current customers in the same order: memory holds one customer at a
time however many there are.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import (
    ColumnElement,
    Join,
    RowMapping,
    Select,
    Subquery,
    Table,
    func,
    select,
    union_all,
)

from custsync.store import schema
from custsync.store.db import Store
from custsync.store.tabs import CUSTOMER_COLUMNS, CustomerRow

STREAM_BATCH = 2000


@dataclass(frozen=True, slots=True)
class FeedBuyer:
    account_id: str
    buyer_key: str
    is_weak_key: bool

    @property
    def ref_text(self) -> str:
        """``ACCOUNT:KEY``, as links name their buyers."""
        return f"{self.account_id}:{self.buyer_key}"


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A link the resolver found between two of the customer's buyers."""

    buyer_a: str  # ACCOUNT:KEY
    buyer_b: str
    rule: str
    score: float
    evidence: str  # JSON object: field → what was found
    is_sure: bool


@dataclass(frozen=True, slots=True)
class FeedOrder:
    order_id: str
    account_id: str
    purchased_at: datetime
    status: str
    currency: str
    total: Decimal
    discount: Decimal
    units: int
    returned_units: int
    returned_at: datetime | None
    rating: int | None
    feedback_at: datetime | None
    promo_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class FeedCustomer:
    row: CustomerRow
    company: str | None
    watched_at: datetime | None
    watch_reason: str | None
    orders: tuple[FeedOrder, ...]
    buyers: tuple[FeedBuyer, ...]  # by account and key
    links: tuple[FeedLink, ...]  # between two of ``buyers``, the strongest first


def feed_customers(store: Store) -> Iterator[FeedCustomer]:
    """All current customers by customer id, each with its buyers, its orders oldest first
    and the links between its buyers."""
    with store.read() as conn:
        streamed = conn.execution_options(yield_per=STREAM_BATCH)
        links = _LinkStream(streamed.execute(_links_query()).mappings())
        current: list[RowMapping] = []
        for row in streamed.execute(_feed_query()).mappings():
            if current and current[0]["customer_id"] != row["customer_id"]:
                yield _customer(current, links)
                current = []
            current.append(row)
        if current:
            yield _customer(current, links)


class _LinkStream:
    """The links of the current customers in customer-id order, taken one customer at a time
    (both streams are ordered by the database, so every customer id of the links comes up in
    the customers' stream in the same order)."""

    def __init__(self, rows: Iterator[RowMapping]) -> None:
        self._rows = iter(rows)
        self._next = next(self._rows, None)

    def take(self, customer_id: str) -> list[RowMapping]:
        taken: list[RowMapping] = []
        while self._next is not None and self._next["customer_id"] == customer_id:
            taken.append(self._next)
            self._next = next(self._rows, None)
        return taken


def _customer(rows: list[RowMapping], links: _LinkStream) -> FeedCustomer:
    first = rows[0]
    row = CustomerRow(**{name: first[name] for name in CUSTOMER_COLUMNS})
    company = next((str(r["company"]) for r in rows if r["company"]), None)
    buyers = _buyers(rows)
    seen: set[tuple[object, object]] = set()
    orders: list[FeedOrder] = []
    for r in rows:
        key = (r["o_account_id"], r["order_id"])
        if r["order_id"] is None or key in seen:
            continue
        seen.add(key)
        orders.append(_order(r))
    return FeedCustomer(
        row=row,
        company=company,
        watched_at=first["watched_at"],
        watch_reason=first["watch_reason"] or None,
        orders=tuple(orders),
        buyers=buyers,
        links=_links(links.take(row.customer_id), {b.ref_text for b in buyers}),
    )


def _buyers(rows: list[RowMapping]) -> tuple[FeedBuyer, ...]:
    found = {
        (r["b_account_id"], r["buyer_key"]): bool(r["is_weak_key"])
        for r in rows
        if r["buyer_key"] is not None
    }
    return tuple(FeedBuyer(a, k, weak) for (a, k), weak in sorted(found.items()))


def _links(rows: list[RowMapping], buyers: set[str]) -> tuple[FeedLink, ...]:
    """The links between two of the customer's ``buyers``, the strongest first (a link may
    reach into another customer: a buyer an operator split off, a weak link clustering
    did not follow)."""
    found = [
        FeedLink(
            buyer_a=r["buyer_a"],
            buyer_b=r["buyer_b"],
            rule=r["rule"],
            score=float(r["score"]),
            evidence=r["evidence"] or "",
            is_sure=bool(r["is_sure"]),
        )
        for r in rows
        if r["buyer_a"] in buyers and r["buyer_b"] in buyers
    ]
    return tuple(sorted(found, key=lambda x: (-x.score, x.buyer_a, x.buyer_b)))


def _links_query() -> Select[tuple[object, ...]]:
    """The links of the current customers; the pairs kept apart (``customers show --why``
    lists them) stay out: a store may hold many times more of them than of links."""
    c, t = schema.customers, schema.identity_links
    return (
        select(t.c.customer_id, t.c.buyer_a, t.c.buyer_b, t.c.rule, t.c.score, t.c.evidence)
        .add_columns(t.c.is_sure)
        .join(c, c.c.customer_id == t.c.customer_id)
        .where(c.c.merged_into.is_(None), t.c.is_link)
        .order_by(t.c.customer_id, t.c.link_id)
    )


def _order(r: RowMapping) -> FeedOrder:
    codes = str(r["codes"] or "")
    return FeedOrder(
        order_id=r["order_id"],
        account_id=r["o_account_id"],
        purchased_at=r["purchased_at"],
        status=r["status"],
        currency=r["o_currency"],
        total=r["total"],
        discount=r["discount"],
        units=r["o_units"],
        returned_units=int(r["returned_units_o"] or 0),
        returned_at=r["returned_at"],
        rating=r["rating"],
        feedback_at=r["left_at"],
        promo_codes=tuple(sorted({code for code in codes.split(";") if code})),
    )


def _feed_query() -> Select[tuple[object, ...]]:
    c, w, b, o, f = (
        schema.customers,
        schema.watchlist,
        schema.buyers,
        schema.orders,
        schema.feedback,
    )
    returned, codes = _returns_per_order(), _codes_per_order()
    return (
        select(
            *(c.c[name] for name in CUSTOMER_COLUMNS),
            b.c.company,
            b.c.account_id.label("b_account_id"),
            b.c.buyer_key,
            b.c.is_weak_key,
            w.c.added_at.label("watched_at"),
            w.c.reason.label("watch_reason"),
            o.c.order_id,
            o.c.account_id.label("o_account_id"),
            o.c.purchased_at,
            o.c.status,
            o.c.currency.label("o_currency"),
            o.c.total,
            o.c.discount,
            o.c.units.label("o_units"),
            returned.c.returned_units_o,
            returned.c.returned_at,
            f.c.rating,
            f.c.left_at,
            codes.c.codes,
        )
        .select_from(_joined(returned, codes))
        .where(c.c.merged_into.is_(None))
        .order_by(c.c.customer_id, o.c.purchased_at, o.c.account_id, o.c.order_id)
    )


def _joined(returned: Subquery, codes: Subquery) -> Join:
    """customers ⟕ watchlist ⟕ buyers ⟕ orders ⟕ (returns, feedback, promo codes per order)."""
    c, w, b, o, f = (
        schema.customers,
        schema.watchlist,
        schema.buyers,
        schema.orders,
        schema.feedback,
    )

    def same_order(t: Subquery | Table) -> ColumnElement[bool]:
        return (t.c.account_id == o.c.account_id) & (t.c.order_id == o.c.order_id)

    return (
        c.outerjoin(w, w.c.customer_id == c.c.customer_id)
        .outerjoin(b, b.c.customer_id == c.c.customer_id)
        .outerjoin(o, (o.c.account_id == b.c.account_id) & (o.c.buyer_key == b.c.buyer_key))
        .outerjoin(returned, same_order(returned))
        .outerjoin(f, same_order(f))
        .outerjoin(codes, same_order(codes))
    )


def _returns_per_order() -> Subquery:
    r = schema.returns
    return (
        select(
            r.c.account_id,
            r.c.order_id,
            func.sum(r.c.qty).label("returned_units_o"),
            func.max(r.c.returned_at).label("returned_at"),
        )
        .group_by(r.c.account_id, r.c.order_id)
        .subquery("returned")
    )


def _codes_per_order() -> Subquery:
    lines, uses = schema.order_lines, schema.promo_uses
    every = union_all(
        select(lines.c.account_id, lines.c.order_id, lines.c.promo_codes.label("code")).where(
            lines.c.promo_codes != ""
        ),
        select(uses.c.account_id, uses.c.order_id, uses.c.code.label("code")),
    ).subquery("every_code")
    return (
        select(
            every.c.account_id,
            every.c.order_id,
            func.aggregate_strings(every.c.code, ";").label("codes"),
        )
        .group_by(every.c.account_id, every.c.order_id)
        .subquery("codes")
    )
