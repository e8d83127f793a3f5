"""Customer list files as tables: what a file is comes from its bytes, and every unreadable
file ends in one error naming it (and the line, where there is one)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from custsync.connectors.tables import read_table
from custsync.errors import ConfigError


def _rows(path: Path) -> list[tuple[int, dict[str, str]]]:
    return list(read_table(path).rows)


def test_excel_unicode_text_is_read_as_utf16_with_tabs(tmp_path: Path) -> None:
    path = tmp_path / "list.txt"
    path.write_text("Name\tE-mail\nJürgen Weiß\tj@example.de\n", encoding="utf-16")
    table = read_table(path)
    assert table.header == ["Name", "E-mail"]
    assert list(table.rows) == [(2, {"Name": "Jürgen Weiß", "E-mail": "j@example.de"})]


@pytest.mark.parametrize("encoding", ["utf-16-le", "utf-16-be"])
def test_utf16_without_its_byte_order_mark_is_read_too(tmp_path: Path, encoding: str) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes("Name,E-mail\nZoë Weiß,z@example.de\n".encode(encoding))
    assert _rows(path) == [(2, {"Name": "Zoë Weiß", "E-mail": "z@example.de"})]


def test_windows_1252_text_and_rows_numbered_as_a_spreadsheet_shows_them(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes('Name,Street\n"Zoë Ørsted","1 Rue\nBât. 2"\nAnn,3 Way\n'.encode("cp1252"))
    assert _rows(path) == [  # a cell's line break does not start a row (nor move the keys)
        (2, {"Name": "Zoë Ørsted", "Street": "1 Rue\nBât. 2"}),
        (3, {"Name": "Ann", "Street": "3 Way"}),
    ]


def test_nul_characters_are_dropped_from_cells(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(b"Name,Email\nJo\x00hn Nul,j@example.com\n")
    assert _rows(path) == [(2, {"Name": "John Nul", "Email": "j@example.com"})]


def test_a_repeated_header_keeps_its_first_column_and_names_the_others(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text("Name,Email,Email,,\nAnn,a@x.org,b@x.org,,\n", encoding="utf-8")
    table = read_table(path)
    assert table.header == ["Name", "Email", "Email (column 3)", "", ""]
    (row,) = table.rows
    assert (row[1]["Email"], row[1]["Email (column 3)"]) == ("a@x.org", "b@x.org")


def test_a_cell_running_past_the_limit_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    path.write_text('Name,Notes\nAnn,ok\nBob,"' + "x" * 200_000 + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"list\.csv, line 3: field larger .* quote left open"):
        _rows(path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), r"old-format Excel file \(\.xls\)"),
        (b"%PDF-1.7\n" + bytes(64), "a PDF, not a table"),
        (bytes(range(32)) * 20, "neither a CSV text file nor an XLSX workbook"),
        (b"", "the first row must name the columns"),
    ],
)
def test_files_that_are_no_list_are_refused_with_what_to_do(
    tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "list.csv"
    path.write_bytes(content)
    with pytest.raises(ConfigError, match=message):
        read_table(path)


def test_a_zip_that_is_no_workbook_is_refused_whatever_its_name(tmp_path: Path) -> None:
    path = tmp_path / "list.csv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("notes.txt", "hello")
    with pytest.raises(ConfigError, match=r"list\.csv: not a readable XLSX workbook \(KeyError"):
        read_table(path)
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(b"PK\x03\x04" + bytes(100))
    with pytest.raises(ConfigError, match="not a readable XLSX workbook"):
        read_table(damaged)


def test_a_workbook_is_read_by_its_content_and_names_its_sheet_when_it_has_several(
    tmp_path: Path,
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "Customers"
    sheet.append(["Name", "Phone"])
    sheet.append(["Ann Lee", 2065550142])
    book.create_sheet("Notes")
    path = tmp_path / "export.csv"  # renamed: the bytes tell
    book.save(path)
    table = read_table(path)
    assert (table.header, table.sheet) == (["Name", "Phone"], "Customers")
    assert list(table.rows) == [(2, {"Name": "Ann Lee", "Phone": "2065550142"})]


def test_a_folder_or_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="a folder, not a file"):
        read_table(tmp_path)
    with pytest.raises(ConfigError, match="no such file"):
        read_table(tmp_path / "missing.csv")
