"""One customer in full: contacts and alternates, buyers, accounts, orders with lines, promo
codes, returns and feedback, notes, watchlist state and the identity links that joined it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TypeVar

from sqlalchemy import Connection, RowMapping, Table, select, true

from custsync.lexicon import BUSINESSES_OF_RECORD
from custsync.pipeline.normalize import EmailKind, email_kind, fold
from custsync.store import schema
from custsync.store.annotations import Note, WatchEntry, notes_for, resolve_customer, watch_entry
from custsync.store.db import Store
from custsync.store.refs import by_account, one_of, pair_filters
from custsync.store.tabs import CUSTOMER_COLUMNS, CustomerRow

OrderKey = tuple[str, str]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class BuyerInfoRow:
    account_id: str
    marketplace: str
    buyer_key: str
    is_weak_key: bool


@dataclass(frozen=True, slots=True)
class AccountInfo:
    account_id: str
    kind: str
    name: str | None


@dataclass(frozen=True, slots=True)
class Alternates:
    """Every distinct value seen on the customer's orders and imported contact rows, golden
    value included; the e-mails that identify no one (``placeholder_emails``: a shared
    sentinel such as Amazon Business's no-reply address, a placeholder domain) apart, and the
    business an Amazon Business order names instead of its buyer left out."""

    names: tuple[str, ...]
    emails: tuple[str, ...]
    phones: tuple[str, ...]
    companies: tuple[str, ...]
    addresses: tuple[str, ...]
    placeholder_emails: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class LineDetail:
    sku: str | None
    title: str | None
    qty: int
    unit_price: Decimal
    promo_discount: Decimal
    promo_codes: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ReturnDetail:
    account_id: str
    return_id: str
    order_id: str
    sku: str | None
    qty: int
    reason: str | None
    returned_at: datetime


@dataclass(frozen=True, slots=True)
class FeedbackDetail:
    account_id: str
    order_id: str
    rating: int
    comment: str | None
    left_at: datetime


@dataclass(frozen=True, slots=True)
class OrderDetail:
    account_id: str
    order_id: str
    marketplace: str
    purchased_at: datetime
    updated_at: datetime
    status: str
    currency: str
    total: Decimal
    discount: Decimal
    units: int
    lines: tuple[LineDetail, ...]
    promo_codes: tuple[str, ...]
    returns: tuple[ReturnDetail, ...]
    feedback: FeedbackDetail | None


@dataclass(frozen=True, slots=True)
class LinkDetail:
    buyer_a: str
    buyer_b: str
    rule: str
    score: float
    evidence: str
    created_at: datetime
    is_link: bool = True  # False: the resolver compared these buyers and kept them apart


@dataclass(frozen=True, slots=True)
class CustomerDetail:
    asked_id: str
    row: CustomerRow
    buyers: tuple[BuyerInfoRow, ...]
    accounts: tuple[AccountInfo, ...]
    alternates: Alternates
    orders: tuple[OrderDetail, ...]
    notes: tuple[Note, ...]
    watch: WatchEntry | None
    links: tuple[LinkDetail, ...]


def customer_detail(store: Store, customer_id: str) -> CustomerDetail:
    """Everything about one customer (a merged-away id shows the customer it went into)."""
    with store.read() as conn:
        current = resolve_customer(conn, customer_id)
        c = schema.customers
        row = conn.execute(
            select(*(c.c[n] for n in CUSTOMER_COLUMNS)).where(c.c.customer_id == current)
        ).one()
        buyers = _buyers(conn, current)
        orders, order_rows = _orders(conn, current)
        contacts = _contact_rows(conn, [(b.account_id, b.buyer_key) for b in buyers])
        alternates = _alternates([(order_rows, "buyer_"), (contacts, "")])
        return CustomerDetail(
            asked_id=customer_id,
            row=CustomerRow(**row._mapping),
            buyers=buyers,
            accounts=_accounts(conn, {b.account_id for b in buyers}),
            alternates=alternates,
            orders=orders,
            notes=tuple(notes_for(conn, current)),
            watch=watch_entry(conn, current),
            links=identity_links(conn, current),
        )


def identity_links(conn: Connection, customer_id: str) -> tuple[LinkDetail, ...]:
    """The stored links of the customer (read here until ``store.identity`` offers its own);
    pairs the resolver kept apart (``is_link`` false, where the schema has it) come too."""
    links = schema.identity_links
    is_link = links.c.get("is_link")
    query = (
        select(links.c.buyer_a, links.c.buyer_b, links.c.rule, links.c.score)
        .add_columns(links.c.evidence, links.c.created_at)
        .add_columns((is_link if is_link is not None else true()).label("is_link"))
        .where(links.c.customer_id == customer_id)
        .order_by(links.c.link_id)
    )
    return tuple(
        LinkDetail(**{**r._mapping, "is_link": bool(r.is_link)}) for r in conn.execute(query)
    )


def _buyers(conn: Connection, customer_id: str) -> tuple[BuyerInfoRow, ...]:
    b = schema.buyers
    query = (
        select(b.c.account_id, b.c.marketplace, b.c.buyer_key, b.c.is_weak_key)
        .where(b.c.customer_id == customer_id)
        .order_by(b.c.account_id, b.c.buyer_key)
    )
    return tuple(BuyerInfoRow(**r._mapping) for r in conn.execute(query))


def _accounts(conn: Connection, ids: set[str]) -> tuple[AccountInfo, ...]:
    a = schema.accounts
    query = (
        select(a.c.account_id, a.c.kind, a.c.name)
        .where(one_of(a.c.account_id, sorted(ids)))
        .order_by(a.c.account_id)
    )
    return tuple(AccountInfo(**r._mapping) for r in conn.execute(query))


def _contact_rows(conn: Connection, buyers: Iterable[tuple[str, str]]) -> list[RowMapping]:
    """The imported contact rows of ``buyers`` (those from customer lists have one)."""
    c = schema.contacts
    fields = [c.c[name] for name in (*_TEXT_PARTS, *_ADDRESS_PARTS)]
    return [
        r
        for where in pair_filters(c.c.account_id, c.c.buyer_key, buyers)
        for r in conn.execute(select(*fields).where(where)).mappings()
    ]


def _orders(
    conn: Connection, customer_id: str
) -> tuple[tuple[OrderDetail, ...], Sequence[RowMapping]]:
    o = schema.orders
    query = (
        select(o)
        .where(o.c.customer_id == customer_id)
        .order_by(o.c.purchased_at, o.c.account_id, o.c.order_id)
    )
    rows = conn.execute(query).mappings().all()
    keys = [(r["account_id"], r["order_id"]) for r in rows]
    lines, codes = _lines(conn, keys)
    returns = _per_order(conn, schema.returns, keys, ReturnDetail, "returned_at")
    feedback = _per_order(conn, schema.feedback, keys, FeedbackDetail, "left_at")
    orders = tuple(
        OrderDetail(
            **{name: r[name] for name in _ORDER_FIELDS},
            lines=tuple(lines.get(key, ())),
            promo_codes=tuple(sorted(codes.get(key, set()))),
            returns=tuple(returns.get(key, ())),
            feedback=next(iter(feedback.get(key, ())), None),
        )
        for r, key in zip(rows, keys, strict=True)
    )
    return orders, rows


_ORDER_FIELDS = (
    "account_id",
    "order_id",
    "marketplace",
    "purchased_at",
    "updated_at",
    "status",
    "currency",
    "total",
    "discount",
    "units",
)


def _lines(
    conn: Connection, keys: list[OrderKey]
) -> tuple[dict[OrderKey, list[LineDetail]], dict[OrderKey, set[str]]]:
    ln, uses = schema.order_lines, schema.promo_uses
    lines: dict[OrderKey, list[LineDetail]] = defaultdict(list)
    codes: dict[OrderKey, set[str]] = defaultdict(set)
    for account, order_ids in by_account(keys):
        query = (
            select(ln)
            .where(ln.c.account_id == account, one_of(ln.c.order_id, order_ids))
            .order_by(ln.c.account_id, ln.c.order_id, ln.c.line_id)
        )
        for r in conn.execute(query):
            line_codes = tuple(code for code in r.promo_codes.split(";") if code)
            lines[(r.account_id, r.order_id)].append(
                LineDetail(r.sku, r.title, r.qty, r.unit_price, r.promo_discount, line_codes)
            )
            codes[(r.account_id, r.order_id)].update(line_codes)
        query = select(uses.c.account_id, uses.c.order_id, uses.c.code).where(
            uses.c.account_id == account, one_of(uses.c.order_id, order_ids)
        )
        for account_id, order_id, code in conn.execute(query):
            codes[(account_id, order_id)].add(code)
    return lines, codes


_BOOKKEEPING = frozenset({"source", "source_hash", "ingested_at"})


def _per_order(
    conn: Connection, table: Table, keys: list[OrderKey], kind: Callable[..., T], last: str
) -> dict[OrderKey, list[T]]:
    """Rows of ``table`` for the orders ``keys``, as ``kind``, by order then ``last``."""
    fields: tuple[str, ...] = kind.__slots__  # type: ignore[attr-defined]
    found: dict[OrderKey, list[T]] = defaultdict(list)
    for where in pair_filters(table.c.account_id, table.c.order_id, keys):
        query = (
            select(*(table.c[name] for name in fields))
            .where(where)
            .order_by(table.c.account_id, table.c.order_id, table.c[last])
        )
        for r in conn.execute(query).mappings():
            found[(r["account_id"], r["order_id"])].append(kind(**r))
    return found


# in the order a customer's own address is shown: street lines, postal code, city, state, country
_ADDRESS_PARTS = ("address_line1", "address_line2", "postal_code", "city", "state", "country_code")
_TEXT_PARTS = ("name", "email", "phone", "company")


def _alternates(sources: Iterable[tuple[Iterable[RowMapping], str]]) -> Alternates:
    """The distinct values of rows whose columns are the buyer fields behind a prefix."""
    seen: dict[str, set[str]] = defaultdict(set)
    for rows, prefix in sources:
        for r in rows:
            for field in _TEXT_PARTS:
                value = r[f"{prefix}{field}"]
                if value and value.strip() and (kind := _kind_of(field, value.strip())):
                    seen[kind].add(value.strip())
            parts = [r[f"{prefix}{name}"] for name in _ADDRESS_PARTS]
            address = ", ".join(p.strip() for p in parts if p and p.strip())
            if address:
                seen["address"].add(address)
    return Alternates(
        names=tuple(sorted(seen["name"])),
        emails=tuple(sorted(seen["email"])),
        phones=tuple(sorted(seen["phone"])),
        companies=tuple(sorted(seen["company"])),
        addresses=tuple(sorted(seen["address"])),
        placeholder_emails=tuple(sorted(seen["placeholder_email"])),
    )


def _kind_of(field: str, value: str) -> str | None:
    """Which alternates a value of ``field`` goes to (``None``: a business of record, which
    goes nowhere)."""
    if field == "email" and email_kind(value) is EmailKind.JUNK:
        return "placeholder_email"
    if field in ("name", "company") and fold(value) in BUSINESSES_OF_RECORD:
        return None
    return field
