"""Customer lists from CSV or XLSX files: rows → ``ImportedContact`` records.

Contract ("Import contract" in ARCHITECTURE.md): common header names map to fields on their
own ("First Name", "E-mail", "Zip", "Street Address", "Name", ...), ``--map COLUMN=FIELD``
overrides; a full name is split into first and last; Instagram handles and Facebook links are
normalized; rows without a name are skipped and counted by reason (``unnamed=True`` keeps
those that still carry an e-mail or a phone: a newsletter list, say). The buyer key is the
external id, else the row number. Reading only: storing is the store's job.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from custsync.connectors.contact_fields import (
    FIELDS,
    auto_field,
    facebook_url,
    instagram_handle,
    split_full_name,
)
from custsync.errors import ConfigError, UsageError
from custsync.records import AccountId, BuyerInfo, BuyerKey, ImportedContact

Row = Mapping[str, str]


@dataclass(slots=True)
class ImportResult:
    contacts: list[ImportedContact] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)  # reason → rows
    unnamed_reachable: int = 0  # rows skipped for no name that have an e-mail or a phone
    mapping: dict[str, str] = field(default_factory=dict)  # column → field
    ignored_columns: list[str] = field(default_factory=list)


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
    header, rows = _read_table(path)
    mapping = column_mapping(header, overrides or {})
    result = ImportResult(mapping=mapping, ignored_columns=[h for h in header if h not in mapping])
    seen: set[str] = set()
    for row_number, row in rows:
        values = {target: row.get(column, "").strip() for column, target in mapping.items()}
        if not any(row.values()):
            result.skipped["empty row"] += 1
            continue
        contact = to_contact(values, row, account_id, row_number, unnamed=unnamed)
        if contact is None:
            result.skipped["no name, e-mail or phone" if unnamed else "no name"] += 1
            result.unnamed_reachable += _reachable(values)
        elif contact.buyer_key in seen:
            result.skipped["external_id repeated"] += 1
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

# ---------------------------------------------------------------- files


def _read_table(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        return _read_xlsx(path)
    return _read_csv(path)


def _read_csv(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    sample = text[:4096]
    delimiter = max(",;\t", key=sample.count) if sample else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = [h.strip() for h in next(reader, [])]
    if not any(header):
        raise ConfigError(f"{path}: the first row must name the columns")

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for number, cells in enumerate(reader, start=2):
            yield number, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)}

    return header, rows()


def _read_xlsx(path: Path) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    from openpyxl import load_workbook

    book = load_workbook(path, read_only=True, data_only=True)
    sheet = book.worksheets[0]
    lines = sheet.iter_rows(values_only=True)
    header = [_cell(v).strip() for v in next(lines, ())]
    if not any(header):
        raise ConfigError(f"{path}: the first row must name the columns")

    def rows() -> Iterator[tuple[int, dict[str, str]]]:
        for number, cells in enumerate(lines, start=2):
            padded = [*cells, *([None] * (len(header) - len(cells)))]
            yield number, {h: _cell(padded[i]) for i, h in enumerate(header)}
        book.close()

    return header, rows()


_INTEGRAL = re.compile(r"^-?\d+\.0+$")


def _cell(value: object) -> str:
    """A spreadsheet cell as text: ``12345.0`` → ``12345``, ``None`` → ``""``."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, float) and _INTEGRAL.match(text):
        return text.split(".", maxsplit=1)[0]
    return text
