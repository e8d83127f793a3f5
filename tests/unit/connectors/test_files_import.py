from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import String, select

from custsync.connectors.contact_fields import facebook_url, instagram_handle, split_full_name
from custsync.connectors.files import MAX_KEY_CHARS, parse_mapping, read_contacts
from custsync.curation import import_contacts
from custsync.errors import ConfigError, UsageError
from custsync.records import AccountId
from custsync.store import schema
from custsync.store.db import Store

NOW = datetime(2026, 3, 1, tzinfo=UTC)
LIST = AccountId("fair-2025")

CSV_TEXT = """\
Customer ID,First Name,Last Name,E-mail,Phone,Street Address,Apt,Town,State,Zip,Country,IG,Notes
A1,Ann,Lee,Ann.Lee@Web.de,(206) 555-0142,12 Oak Avenue,,Seattle,WA,98101,US,@ann.lee,VIP
A2,,,,,1 Main St,,Austin,TX,78701,US,,no name here
A3,Bob,Kay,,,5 Pine Street,Apt 4,Austin,TX,78701,US,https://www.instagram.com/bob.k/,
,,,,,,,,,,,,
"""


def _write(tmp_path: Path, text: str = CSV_TEXT, name: str = "list.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_common_headers_map_to_fields_and_rows_become_contacts(tmp_path: Path) -> None:
    result = read_contacts(_write(tmp_path), LIST)
    assert result.mapping == {
        "Customer ID": "external_id",
        "First Name": "first_name",
        "Last Name": "last_name",
        "E-mail": "email",
        "Phone": "phone",
        "Street Address": "address_line1",
        "Apt": "address_line2",
        "Town": "city",
        "State": "state",
        "Zip": "postal_code",
        "Country": "country_code",
        "IG": "instagram",
        "Notes": "notes",
    }
    ann, bob = result.contacts
    assert (ann.buyer_key, ann.row_number, ann.buyer.name) == ("A1", 2, "Ann Lee")
    assert (ann.instagram, ann.notes, ann.buyer.postal_code) == ("ann.lee", "VIP", "98101")
    assert (bob.instagram, bob.buyer.address_line2) == ("bob.k", "Apt 4")
    assert dict(result.skipped) == {"no name": 1, "empty row": 1}


def test_unnamed_rows_come_in_only_when_asked_and_only_with_an_email_or_phone(
    tmp_path: Path,
) -> None:
    text = CSV_TEXT + "A4,,,,+1 512 555 0100,,,,,,,,\nA5,,,Kay@Example.com,,,,,,,,,\n"
    path = _write(tmp_path, text)
    assert [c.buyer_key for c in read_contacts(path, LIST).contacts] == ["A1", "A3"]
    skipped = read_contacts(path, LIST)
    assert (dict(skipped.skipped), skipped.unnamed_reachable) == ({"no name": 3, "empty row": 1}, 2)
    result = read_contacts(path, LIST, unnamed=True)
    assert [c.buyer_key for c in result.contacts] == ["A1", "A3", "A4", "A5"]
    phone_only, email_only = result.contacts[2:]
    assert (phone_only.buyer.name, phone_only.first_name, phone_only.buyer.phone) == (
        None,
        None,
        "+1 512 555 0100",
    )
    assert (email_only.buyer.name, email_only.buyer.email) == (None, "Kay@Example.com")
    assert dict(result.skipped) == {"no name, e-mail or phone": 1, "empty row": 1}
    assert result.unnamed_reachable == 0


def test_map_overrides_and_full_names_are_split(tmp_path: Path) -> None:
    text = (
        "rec_id,name,account,city\nrec-1-org,Smith, Robert,a,Boston\nrec-2,Maria de la Cruz,a,X\n"
    )
    text = text.replace("Smith, Robert", '"Smith, Robert"')
    result = read_contacts(_write(tmp_path, text), LIST, parse_mapping(["REC_ID=external_id"]))
    assert result.mapping == {"rec_id": "external_id", "name": "full_name", "city": "city"}
    assert result.ignored_columns == ["account"]
    first, second = result.contacts
    assert (first.buyer_key, first.first_name, first.last_name) == ("rec-1-org", "Robert", "Smith")
    assert (second.first_name, second.last_name) == ("Maria", "de la Cruz")


def test_without_an_external_id_the_row_number_is_the_key(tmp_path: Path) -> None:
    result = read_contacts(_write(tmp_path, "Name;Zip\nAnn Lee;98101\nBob Kay;78701\n"), LIST)
    assert [c.buyer_key for c in result.contacts] == ["2", "3"]


def test_xlsx_lists_read_like_csv(tmp_path: Path) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["Full Name", "Postcode", "Facebook"])
    sheet.append(["Ann Lee", 2134, "facebook.com/ann.lee"])
    sheet.append([None, None, None])
    path = tmp_path / "list.xlsx"
    book.save(path)
    result = read_contacts(path, LIST)
    (ann,) = result.contacts
    assert (ann.buyer.postal_code, ann.facebook) == ("2134", "https://facebook.com/ann.lee")


def test_bad_maps_are_refused_with_the_reason(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="unknown field 'zipcode'"):
        parse_mapping(["Zip=zipcode"])
    with pytest.raises(UsageError, match="no column 'Cust'"):
        read_contacts(_write(tmp_path), LIST, {"Cust": "external_id"})


def test_names_and_handles_normalize() -> None:
    assert split_full_name("Mary Ann Smith") == ("Mary Ann", "Smith")
    assert split_full_name("Cher") == ("Cher", None)
    assert split_full_name("Smith, Mary") == ("Mary", "Smith")
    assert split_full_name("Maria de la Cruz") == ("Maria", "de la Cruz")
    assert split_full_name("Ahmed bin Zayed") == ("Ahmed", "bin Zayed")  # the shared particles
    assert instagram_handle("@Jane.Doe") == "jane.doe"
    assert instagram_handle("instagram.com/jane_doe?hl=en") == "jane_doe"
    assert instagram_handle("not a handle!") is None
    assert facebook_url("www.facebook.com/jane") == "https://www.facebook.com/jane"
    assert facebook_url("http://fb.com/x") == "http://fb.com/x"
    assert facebook_url("jane.doe") == "https://www.facebook.com/jane.doe"


def test_imported_people_are_customers_and_reimport_changes_nothing(
    store: Store, tmp_path: Path
) -> None:
    path = _write(tmp_path)
    first = import_contacts(store, path, LIST, {}, base_currency="USD", now=NOW)
    assert (first.imported, first.inserted, first.customers_refreshed) == (2, 2, 2)
    with store.engine.connect() as conn:
        customers = conn.execute(select(schema.customers).order_by("name")).all()
        buyers = conn.execute(select(schema.buyers.c.marketplace, schema.buyers.c.buyer_key)).all()
    assert [(c.name, c.orders, c.email) for c in customers] == [
        ("Ann Lee", 0, "Ann.Lee@Web.de"),
        ("Bob Kay", 0, None),
    ]
    assert sorted(buyers) == [("file", "A1"), ("file", "A3")]
    again = import_contacts(store, path, LIST, {}, base_currency="USD", now=NOW)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    with store.engine.connect() as conn:
        assert conn.execute(select(schema.customers).order_by("name")).all() == customers


def test_skipped_rows_are_counted_with_the_first_rows_of_each_reason(tmp_path: Path) -> None:
    lines = ["Name,Email"] + [f",n{i}@example.com" if i % 2 else f"P{i} Q,{i}" for i in range(14)]
    result = read_contacts(_write(tmp_path, "\n".join(lines) + "\n"), LIST)
    assert result.skipped == {"no name": 7}
    assert result.skipped_rows == {"no name": [3, 5, 7, 9, 11]}  # the header is line 1
    assert result.unnamed_reachable == 7


def test_a_list_with_no_name_column_is_refused_unless_unnamed_rows_are_asked_for(
    tmp_path: Path,
) -> None:
    path = _write(tmp_path, "E-mail,Zip\nann@example.com,98101\n")
    with pytest.raises(ConfigError, match=r"no column holds a name \(columns: E-mail, Zip\)"):
        read_contacts(path, LIST)
    (ann,) = read_contacts(path, LIST, unnamed=True).contacts
    assert (ann.buyer.email, ann.buyer.name) == ("ann@example.com", None)


def test_cells_with_nul_characters_are_stored_without_them(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(b"Name,Email\nJo\x00hn Nul,j@example.com\n")
    summary = import_contacts(store, path, LIST, {}, base_currency="USD", now=NOW)
    assert summary.inserted == 1
    with store.engine.connect() as conn:
        assert conn.execute(select(schema.contacts.c.name)).scalars().all() == ["John Nul"]


def test_an_external_id_longer_than_the_store_keeps_skips_its_row(
    store: Store, tmp_path: Path
) -> None:
    key_type = schema.contacts.c.buyer_key.type
    assert isinstance(key_type, String)
    assert key_type.length == MAX_KEY_CHARS
    path = _write(tmp_path, f"id,Name\n{'X' * 256},Ann Lee\nB2,Bob Kay\n")
    summary = import_contacts(store, path, LIST, {}, base_currency="USD", now=NOW)
    assert (summary.imported, dict(summary.skipped)) == (
        1,
        {"external_id longer than 255 characters": 1},
    )
    assert summary.skipped_rows == {"external_id longer than 255 characters": [2]}
