"""What operators do to customers: merge, split, import customer lists, set exchange rates.

Use cases behind ``custsync customers merge|split``, ``custsync import`` and ``custsync fx``.
Overrides are stored (``identity_overrides``) before the affected customers are rebuilt, so they
hold through every later sync, resync and full rebuild.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from custsync.connectors.files import read_contacts
from custsync.errors import StoreError, UsageError
from custsync.pipeline.facts import BuyerRef
from custsync.pipeline.fx import FxRate
from custsync.pipeline.normalize import EmailKind, email_kind, normalize_phone
from custsync.rebuild import rebuild_customers, refresh_metrics
from custsync.records import AccountId, ImportedContact
from custsync.store.annotations import resolve_customer
from custsync.store.contacts import write_contacts
from custsync.store.customers import buyers_of, customer_ids_of, set_fx_rate
from custsync.store.db import Store
from custsync.store.identity import parse_ref, ref_text
from custsync.store.overrides import add_override


def merge_customers(
    store: Store, first: str, second: str, *, base_currency: str, now: datetime
) -> str:
    """Make two customers one (for good); returns the id that stands for both."""
    with store.engine.connect() as conn:
        a, b = resolve_customer(conn, first), resolve_customer(conn, second)
        buyers = buyers_of(conn, {a, b})
    if a != b:
        add_override(store, "merge", buyers, customer_a=a, customer_b=b, now=now)
        rebuild_customers(store, buyers, base_currency=base_currency, now=now)
    return _customer_of(store, buyers[0])


def split_buyer(
    store: Store, customer_id: str, buyer: str, *, base_currency: str, now: datetime
) -> str:
    """Take one buyer (``ACCOUNT:KEY``) out of a customer, for good; returns its new id."""
    try:
        ref = parse_ref(buyer)
    except StoreError as exc:
        raise UsageError(f"--buyer: {exc}") from None
    with store.engine.connect() as conn:
        current = resolve_customer(conn, customer_id)
        buyers = buyers_of(conn, {current})
    if ref not in buyers:
        known = ", ".join(ref_text(r) for r in buyers)
        raise UsageError(f"--buyer {buyer}: not a buyer of customer {current} ({known})")
    if len(buyers) == 1:
        raise UsageError(f"customer {current} has only this buyer: nothing to split")
    add_override(store, "split", [ref], customer_a=current, customer_b=None, now=now)
    rebuild_customers(store, buyers, base_currency=base_currency, now=now)
    return _customer_of(store, ref)


def _customer_of(store: Store, ref: BuyerRef) -> str:
    with store.engine.connect() as conn:
        return customer_ids_of(conn, [ref])[ref]


@dataclass(frozen=True, slots=True)
class ImportSummary:
    imported: int
    inserted: int
    updated: int
    unchanged: int
    skipped: Counter[str] = field(default_factory=Counter)
    skipped_rows: Mapping[str, list[int]] = field(default_factory=dict)  # the first of each
    unnamed_reachable: int = 0  # skipped for no name, with an e-mail or a phone
    mapping: Mapping[str, str] = field(default_factory=dict)
    ignored_columns: tuple[str, ...] = ()
    sheet: str | None = None  # the sheet read, when the workbook has more than one
    customers_refreshed: int = 0
    unusable: Mapping[str, list[int]] = field(default_factory=dict)  # what → rows, in order


def import_contacts(
    store: Store,
    path: Path,
    account_id: AccountId,
    mapping: Mapping[str, str],
    *,
    base_currency: str,
    now: datetime,
    unnamed: bool = False,
) -> ImportSummary:
    """Bring a customer list in as account ``account_id`` (marketplace ``file``) and resolve
    its people against every other buyer (``unnamed``: see ``read_contacts``)."""
    result = read_contacts(path, account_id, mapping, unnamed=unnamed)
    counts = write_contacts(store, account_id, result.contacts, account_name=path.name, now=now)
    refreshed = rebuild_customers(store, counts.touched, base_currency=base_currency, now=now)
    return ImportSummary(
        imported=len(result.contacts),
        inserted=counts.inserted,
        updated=counts.updated,
        unchanged=counts.unchanged,
        skipped=result.skipped,
        skipped_rows=result.skipped_rows,
        unnamed_reachable=result.unnamed_reachable,
        mapping=result.mapping,
        ignored_columns=tuple(result.ignored_columns),
        sheet=result.sheet,
        customers_refreshed=refreshed,
        unusable=unusable_values(result.contacts),
    )


def unusable_values(contacts: Iterable[ImportedContact]) -> dict[str, list[int]]:
    """The rows whose e-mail or phone is given but identifies no one (not an address, a
    placeholder such as ``n/a`` or ``…@example.com``, too few digits, or a national number
    with no country to read it by): kept as written, never matched on."""
    found: dict[str, list[int]] = {}
    for contact in contacts:
        buyer = contact.buyer
        if buyer.email and email_kind(buyer.email) is EmailKind.JUNK:
            found.setdefault("e-mail", []).append(contact.row_number)
        if buyer.phone and normalize_phone(buyer.phone, buyer.country_code) is None:
            found.setdefault("phone", []).append(contact.row_number)
    return found


def set_rates(store: Store, rates: Iterable[FxRate], *, base_currency: str, now: datetime) -> int:
    """Store exchange rates, then recompute every customer's money; returns how many rates."""
    stored = 0
    for rate in rates:
        set_fx_rate(store, rate)
        stored += 1
    if stored:
        refresh_metrics(store, base_currency=base_currency, now=now)
    return stored
