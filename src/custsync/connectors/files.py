"""Customer lists from CSV or XLSX files: rows → ``ImportedContact`` records.

Contract ("Import contract" in ARCHITECTURE.md): common header names map to fields on their
own ("First Name", "E-mail", "Zip", "Street Address", "Name", ...), ``--map COLUMN=FIELD``
overrides; a full name is split into first and last; Instagram handles and Facebook links are
normalized; rows without a name are skipped and counted by reason (``unnamed=True`` keeps
those that still carry an e-mail or a phone: a newsletter list, say). The buyer key is the
external id, else the row number. Reading only: storing is the store's job.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from custsync.connectors.contact_fields import (
    FIELDS,
    auto_field,
    facebook_url,
    instagram_handle,
    split_full_name,
)
from custsync.connectors.tables import read_table
from custsync.errors import ConfigError, UsageError
from custsync.records import AccountId, BuyerInfo, BuyerKey, ImportedContact

Row = Mapping[str, str]
SKIPPED_ROWS_SHOWN = 5  # the first rows skipped for each reason, to find them in the file
MAX_KEY_CHARS = 255  # the longest buyer key the store keeps (an external id longer: skipped)
NAME_FIELDS = ("full_name", "first_name", "last_name")


@dataclass(slots=True)
class ImportResult:
    contacts: list[ImportedContact] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # reason → rows
    unnamed_reachable: int = 0  # rows skipped for no name that have an e-mail or a phone
    skipped_rows: dict[str, list[int]] = field(default_factory=dict)  # reason → first rows
    mapping: dict[str, str] = field(default_factory=dict)  # column → field
    ignored_columns: list[str] = field(default_factory=list)
    sheet: str | None = None  # the sheet read, when the workbook has more than one

    def skip(self, reason: str, row_number: int) -> None:
        self.skipped[reason] += 1
        shown = self.skipped_rows.setdefault(reason, [])
        if len(shown) < SKIPPED_ROWS_SHOWN:
            shown.append(row_number)


def parse_mapping(pairs: Sequence[str]) -> dict[str, str]:
    """``["Cust #=external_id", ...]`` → ``{"Cust #": "external_id"}`` (fields checked)."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.rpartition("=")
        target = target.strip()
        if not sep or not column.strip():
            raise UsageError(f"--map {pair!r}: expected COLUMN=FIELD")
        if target not in FIELDS:
            raise UsageError(f"--map {pair!r}: unknown field {target!r} ({', '.join(FIELDS)})")
        mapping[column.strip()] = target
    return mapping


def read_contacts(
    path: Path,
    account_id: AccountId,
    overrides: Mapping[str, str] | None = None,
    *,
    unnamed: bool = False,
) -> ImportResult:
    """Every row of the file as a contact, or a counted reason why not; ``unnamed``: a row
    with no name is kept when it has an e-mail or a phone to be matched by."""
    table = read_table(path)
    mapping = column_mapping(table.header, overrides or {})
    if not unnamed and not set(NAME_FIELDS) & set(mapping.values()):
        raise ConfigError(
            f"{path}: no column holds a name (columns: {', '.join(h for h in table.header if h)}): "
            "name one with --map COLUMN=full_name (or first_name, last_name), or bring the "
            "rows in by e-mail or phone with --keep-unnamed"
        )
    ignored = [h for h in table.header if h and h not in mapping]
    result = ImportResult(mapping=mapping, ignored_columns=ignored, sheet=table.sheet)
    seen: set[str] = set()
    for row_number, row in table.rows:
        values = {target: row.get(column, "").strip() for column, target in mapping.items()}
        if not any(row.values()):
            result.skip("empty row", row_number)
            continue
        contact = to_contact(values, row, account_id, row_number, unnamed=unnamed)
        if contact is None:
            result.skip("no name, e-mail or phone" if unnamed else "no name", row_number)
            result.unnamed_reachable += _reachable(values)
        elif len(contact.buyer_key) > MAX_KEY_CHARS:
            result.skip(f"external_id longer than {MAX_KEY_CHARS} characters", row_number)
        elif contact.buyer_key in seen:
            result.skip("external_id repeated", row_number)
        else:
            seen.add(contact.buyer_key)
            result.contacts.append(contact)
    return result


def column_mapping(header: Sequence[str], overrides: Mapping[str, str]) -> dict[str, str]:
    """Column → field: ``overrides`` first (columns matched case-insensitively), then the
    automatic names for the fields still free."""
    by_folded = {h.strip().casefold(): h for h in header}
    mapping: dict[str, str] = {}
    for column, target in overrides.items():
        found = by_folded.get(column.strip().casefold())
        if found is None:
            raise UsageError(f"--map {column}={target}: no column {column!r} in the file")
        mapping[found] = target
    taken = set(mapping.values())
    for column in header:
        found_field = auto_field(column)
        if column not in mapping and found_field is not None and found_field not in taken:
            mapping[column] = found_field
            taken.add(found_field)
    return mapping


def to_contact(
    values: Mapping[str, str],
    row: Row,
    account_id: AccountId,
    row_number: int,
    *,
    unnamed: bool = False,
) -> ImportedContact | None:
    first, last = values.get("first_name") or None, values.get("last_name") or None
    full = values.get("full_name") or None
    if full and not (first or last):
        first, last = split_full_name(full)
    name = " ".join(p for p in (first, last) if p) or full
    if not name and not (unnamed and _reachable(values)):
        return None
    key = values.get("external_id") or str(row_number)
    return ImportedContact(
        account_id=account_id,
        buyer_key=BuyerKey(key),
        row_number=row_number,
        first_name=first,
        last_name=last,
        buyer=BuyerInfo(name=name, **{f: values.get(f) or None for f in _BUYER_FIELDS}),
        notes=values.get("notes") or None,
        instagram=instagram_handle(values.get("instagram")),
        facebook=facebook_url(values.get("facebook")),
        source=json.dumps(dict(row), ensure_ascii=False, sort_keys=True),
    )


def _reachable(values: Mapping[str, str]) -> bool:
    """Whether a row has what a nameless person can be matched by: an e-mail or a phone."""
    return bool(values.get("email") or values.get("phone"))


_BUYER_FIELDS = (
    "email",
    "phone",
    "company",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "country_code",
)
