"""``customers show``: one customer as text lines or as a JSON-ready dict.

The per-order summary: revenue is what the buyer paid (0 for a cancelled order); refunds are
estimated as revenue × returned units / units, since marketplaces report returns as units;
net = revenue − refunds. Amounts are in the order's currency; metrics in the base currency.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal

from custsync.pipeline.normalize import normalize_phone
from custsync.reports.cells import money_cell, time_cell
from custsync.store.queries import CustomerDetail, LinkDetail, OrderDetail
from custsync.wording import many

CENT = Decimal("0.01")
Plain = str | int | float | bool | list["Plain"] | dict[str, "Plain"] | None


@dataclass(frozen=True, slots=True)
class OrderSummary:
    revenue: Decimal
    discount: Decimal
    returned_units: int
    refunds_estimated: Decimal
    net: Decimal


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    at: datetime
    kind: str  # order | return | feedback | watchlist | note
    order_id: str | None
    text: str


def order_summary(order: OrderDetail) -> OrderSummary:
    revenue = Decimal(0) if order.status == "cancelled" else order.total
    returned = sum(r.qty for r in order.returns)
    share = Decimal(min(returned, order.units)) / order.units if order.units else Decimal(0)
    refunds = (revenue * share).quantize(CENT, rounding=ROUND_HALF_EVEN)
    return OrderSummary(revenue, order.discount, returned, refunds, revenue - refunds)


def timeline(detail: CustomerDetail) -> list[TimelineEvent]:
    """Orders with their status, returns, feedback, notes and the watchlist, newest first."""
    events: list[TimelineEvent] = []
    for o in detail.orders:
        total = f"{money_cell(o.total)} {o.currency}"
        events.append(TimelineEvent(o.purchased_at, "order", o.order_id, f"{o.status}, {total}"))
        for r in o.returns:
            what = f"{r.qty} × {r.sku or 'item'}" + (f" ({r.reason})" if r.reason else "")
            events.append(TimelineEvent(r.returned_at, "return", o.order_id, what))
        if o.feedback is not None:
            f = o.feedback
            text = f"{f.rating}/5" + (f": {f.comment}" if f.comment else "")
            events.append(TimelineEvent(f.left_at, "feedback", o.order_id, text))
    for note in detail.notes:
        events.append(TimelineEvent(note.created_at, "note", None, note.body))
    if detail.watch is not None:
        text = detail.watch.reason or "added"
        events.append(TimelineEvent(detail.watch.added_at, "watchlist", None, text))
    return sorted(events, key=lambda e: (e.at, e.kind, e.order_id or ""), reverse=True)


def detail_json(detail: CustomerDetail, *, why: bool = False) -> dict[str, Plain]:
    row = detail.row
    body: dict[str, Plain] = {
        "customer_id": row.customer_id,
        "asked_id": detail.asked_id,
        "contact": _plain({k: getattr(row, k) for k in _CONTACT}),
        "alternates": _plain(replace(detail.alternates, phones=_phones(detail))),
        "seller_accounts": _plain(list(detail.accounts)),
        "buyers": _plain(list(detail.buyers)),
        "metrics": _plain({k: getattr(row, k) for k in _METRICS}),
        "timeline": _plain(timeline(detail)),
        "orders": [_order_plain(o) for o in detail.orders],
        "notes": _plain(list(detail.notes)),
        "watchlist": _plain(detail.watch),
    }
    if why:
        body["identity_links"] = _plain(list(detail.links))
    return body


def _phones(detail: CustomerDetail) -> tuple[str, ...]:
    """The customer's phones for the JSON view: every number once, the one shown first."""
    row = detail.row
    return _distinct_phones(detail.alternates.phones, row.phone, row.country)


def _order_plain(order: OrderDetail) -> Plain:
    body = _plain(order)
    if not isinstance(body, dict):
        raise TypeError("an order renders as a mapping")
    body["summary"] = _plain(order_summary(order))
    return body


_CONTACT = ("name", "email", "phone", "address", "zip", "city", "state", "country")
_METRICS = (
    "orders",
    "units",
    "amount_spent",
    "currency",
    "discount_received",
    "promo_codes_used",
    "negative_feedbacks",
    "returned_units",
    "seller_accounts",
    "first_order_at",
    "last_order_at",
)


def _plain(value: object) -> Plain:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Decimal):
        return money_cell(value)
    if isinstance(value, datetime):
        return time_cell(value)
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    slots = getattr(type(value), "__slots__", None)
    if slots is not None:
        return {name: _plain(getattr(value, name)) for name in slots}
    raise TypeError(f"cannot render {type(value).__name__}")


def detail_lines(detail: CustomerDetail, *, why: bool = False) -> list[str]:
    """The text ``customers show`` prints."""
    lines = _head(detail)
    lines += ["", "Timeline (newest first)"]
    lines += [
        f"  {_when(e.at)}  {e.kind:<9} {e.order_id or '':<22} {e.text}" for e in timeline(detail)
    ]
    lines += ["", f"Orders ({len(detail.orders)})"]
    for order in reversed(detail.orders):
        lines += _order_lines(order)
    lines += ["", f"Notes ({len(detail.notes)}, newest first)"]
    lines += [f"  #{n.note_id} {_when(n.created_at)}  {n.body}" for n in detail.notes]
    if why:
        lines += ["", f"Identity links ({len(detail.links)})"]
        for link in detail.links:
            lines.append(
                f"  {link.buyer_a} {'↔' if link.is_link else '≠'} {link.buyer_b}  rule "
                f"{link.rule}, score {link.score:.2f}" + ("" if link.is_link else ", kept apart")
            )
            lines += [f"      {field}: {found}" for field, found in _evidence(link)]
        lines += [] if detail.links else ["  none: this customer is a single buyer"]
        nearest = f"custsync customers compare {detail.row.customer_id}"
        lines += ["", f"Other records of this person? The customers nearest it: {nearest}"]
    return lines


_EVIDENCE_ORDER = ("name", "address", "email", "phone")


def _evidence(link: LinkDetail) -> list[tuple[str, str]]:
    """What a link found, field by field (stored as a JSON object)."""
    return ordered_evidence(json.loads(link.evidence) if link.evidence else {}, link.rule)


def ordered_evidence(found: Mapping[str, str], rule: str | None) -> list[tuple[str, str]]:
    """Evidence field by field: the field of its ``rule`` first (a shared e-mail or phone),
    then name, address and the rest; empty findings left out."""
    order = {field: n for n, field in enumerate(_EVIDENCE_ORDER)}
    fields = sorted(found, key=lambda f: (f != rule, order.get(f, len(order)), f))
    return [(field, found[field]) for field in fields if found[field]]


def _head(detail: CustomerDetail) -> list[str]:
    row = detail.row
    lines = [f"Customer {row.customer_id}  {row.name or '(no name)'}"]
    if detail.asked_id != row.customer_id:
        lines.append(f"  ({detail.asked_id} was merged into this customer)")
    watch = detail.watch
    lines.append(
        f"  Watchlist: yes, since {_when(watch.added_at)}"
        + (f": {watch.reason}" if watch.reason else "")
        if watch
        else "  Watchlist: no"
    )
    lines += _contact_lines(detail)
    accounts = [
        f"{a.account_id} ({a.kind}{', ' + a.name if a.name else ''})" for a in detail.accounts
    ]
    lines.append(f"  Seller accounts: {'; '.join(accounts) or '-'}")
    weak = {True: " (weak key)", False: ""}
    lines += [
        f"  Buyer: {b.account_id} {b.marketplace} {b.buyer_key}{weak[b.is_weak_key]}"
        for b in detail.buyers
    ]
    lines += [
        "",
        f"Metrics ({row.currency}): {many(row.orders, 'order')}, {many(row.units, 'unit')}, "
        f"spent {money_cell(row.amount_spent)}, discount {money_cell(row.discount_received)}, "
        f"{many(row.promo_codes_used, 'promo code')}, "
        f"{many(row.negative_feedbacks, 'negative feedback')}, "
        f"{many(row.returned_units, 'returned unit')}; first order {_when(row.first_order_at)}, "
        f"last {_when(row.last_order_at)}",
    ]
    return lines


def _contact_lines(detail: CustomerDetail) -> list[str]:
    """E-mail, phone, names, companies and addresses: the one shown first, then the others
    (placeholder e-mails on a line of their own: they are nobody's)."""
    row, alt = detail.row, detail.alternates
    place = ", ".join(p for p in (row.address, row.zip, row.city, row.state, row.country) if p)
    lines = [f"  Email:    {row.email or '-'}" + _also(alt.emails, row.email)]
    if alt.placeholder_emails:
        shown = ", ".join(alt.placeholder_emails)
        lines.append(f"  Placeholder e-mails (identify no one, never matched): {shown}")
    lines += [
        f"  Phone:    {row.phone or '-'}" + _also_phones(alt.phones, row.phone, row.country),
        f"  Name(s):  {'; '.join(alt.names) or '-'}",
        f"  Company:  {'; '.join(alt.companies) or '-'}",
        f"  Address:  {place or '-'}",
    ]
    return lines + [f"  Also at:  {a}" for a in alt.addresses if a != place]


def _order_lines(order: OrderDetail) -> list[str]:
    s = order_summary(order)
    cur = order.currency
    lines = [
        f"  {order.order_id}  {_when(order.purchased_at)}  {order.account_id}  {order.status}  "
        f"total {money_cell(order.total)} {cur}"
        + (f"  codes {', '.join(order.promo_codes)}" if order.promo_codes else "")
    ]
    lines += [
        f"      {line.qty} × {line.sku or '-'} {line.title or ''} @ {money_cell(line.unit_price)}"
        + (f" (promo −{money_cell(line.promo_discount)})" if line.promo_discount else "")
        for line in order.lines
    ]
    lines.append(
        f"      revenue {money_cell(s.revenue)}, discount {money_cell(s.discount)}, returned "
        f"{s.returned_units} units, refunds (est.) {money_cell(s.refunds_estimated)}, "
        f"net {money_cell(s.net)} {cur}"
    )
    if order.feedback is not None:
        lines.append(
            f"      feedback {order.feedback.rating}/5 {order.feedback.comment or ''}".rstrip()
        )
    return lines


def _also(values: Iterable[str], main: str | None) -> str:
    others = [v for v in values if v != main]
    return f"  (also: {', '.join(others)})" if others else ""


def _also_phones(values: tuple[str, ...], main: str | None, country: str | None) -> str:
    """The other phones, each number once however it was written."""
    found = _distinct_phones(values, main, country)
    return _also(found[1:] if main else found, None)


def _distinct_phones(
    values: tuple[str, ...], main: str | None, country: str | None
) -> tuple[str, ...]:
    """Each number once however it was written (``0294…`` and ``+44294…`` in Britain are one
    number): the ``main`` phone first as it is shown, then one spelling of each other."""
    found = {normalize_phone(main, country) or main: main} if main else {}
    for value in values:
        found.setdefault(normalize_phone(value, country) or value, value)
    return tuple(found.values())


def _when(moment: datetime | None) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%MZ") if moment else "-"
