"""A customer list file as a header and rows: CSV text or an XLSX workbook's first sheet.

What the file is comes from its first bytes, not its name (lists get renamed): a zip archive is
read as XLSX; an old Excel file, a password-protected workbook or a PDF is refused with what to
do instead; anything else is CSV text in UTF-8, UTF-16 (with its byte-order mark, as Excel's
"Unicode Text" writes it, or without) or Windows-1252, separated by commas, semicolons or tabs.

Every way a file can be unreadable ends in a ``ConfigError`` naming the file and, where there
is one, the line or row. The rows are read before anything is stored, so nothing is stored
from a file that cannot be read whole. NUL characters are dropped from cells (PostgreSQL
cannot store them); a header cell repeated is read once, under its name, and again as
``NAME (column N)``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from custsync.errors import ConfigError, first_line

Rows = Iterator[tuple[int, dict[str, str]]]  # (row number, the header's being 1; column → cell)

_ZIP = b"PK\x03\x04"
_OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, or a workbook saved with a password
_PDF = b"%PDF"
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SAMPLE = 4096
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
_BINARY_SHARE = 0.05  # control characters in the sample beyond this: not text


@dataclass(frozen=True, slots=True)
class Table:
    header: list[str]
    rows: Rows
    sheet: str | None = None  # the sheet read, when the workbook has more than one


def read_table(path: Path) -> Table:
    """The header and rows of ``path`` (CSV or XLSX, told apart by content)."""
    if path.is_dir():
        raise ConfigError(f"{path}: a folder, not a file")
    if not path.is_file():
        raise ConfigError(f"{path}: no such file")
    raw = path.read_bytes()
    if raw.startswith(_ZIP):
        return _read_xlsx(path, raw)
    if raw.startswith(_OLE2):
        raise ConfigError(
            f"{path}: an old-format Excel file (.xls) or a workbook saved with a password: "
            "save it as .xlsx without a password, or as CSV"
        )
    if raw.startswith(_PDF):
        raise ConfigError(f"{path}: a PDF, not a table: export the list as CSV or XLSX")
    return _read_csv(path, _decode(path, raw))


def _decode(path: Path, raw: bytes) -> str:
    if raw.startswith(_UTF16_BOMS):
        text = raw.decode("utf-16", errors="replace")
    elif utf16 := _utf16_without_bom(raw):
        text = raw.decode(utf16, errors="replace")
    else:
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
    sample = text[:_SAMPLE]
    if sample and len(_CONTROL.findall(sample)) > _BINARY_SHARE * len(sample):
        raise ConfigError(f"{path}: neither a CSV text file nor an XLSX workbook")
    return text.replace("\x00", "")


def _utf16_without_bom(raw: bytes) -> str | None:
    """UTF-16 written without its byte-order mark, told by the zero byte beside each Latin
    letter: on the odd bytes (little-endian) or on the even ones (big-endian)."""
    head = raw[:_SAMPLE]
    pairs = len(head) // 2
    even, odd = head[0::2].count(0), head[1::2].count(0)
    if pairs >= 2 and even == 0 and odd >= pairs // 2:
        return "utf-16-le"
    if pairs >= 2 and odd == 0 and even >= pairs // 2:
        return "utf-16-be"
    return None


def _read_csv(path: Path, text: str) -> Table:
    sample = text[:_SAMPLE]
    delimiter = max(",;\t", key=sample.count) if sample else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = _unique(cell.strip() for cell in _next_row(path, reader) or [])
    if not any(header):
        raise ConfigError(f"{path}: the first row must name the columns")

    def rows() -> Rows:  # numbered as a spreadsheet shows them: a cell's line breaks stay in
        number = 1
        while (cells := _next_row(path, reader)) is not None:
            number += 1
            yield number, {h: (cells[i] if i < len(cells) else "") for i, h in enumerate(header)}

    return Table(header, rows())


def _next_row(path: Path, reader: Any) -> list[str] | None:
    """The next row of ``reader`` (``None`` at the end), or where the CSV stopped making sense."""
    try:
        return next(reader, None)
    except csv.Error as exc:
        hint = " (a quote left open?)" if "field limit" in str(exc) else ""
        raise ConfigError(f"{path}, line {reader.line_num}: {exc}{hint}") from exc


def _read_xlsx(path: Path, raw: bytes) -> Table:
    from openpyxl import load_workbook

    try:  # from the bytes: openpyxl would refuse a workbook by the name of its file
        book = load_workbook(io.BytesIO(raw), read_only=True, data_only=True)
        sheet = book.worksheets[0]
        lines = sheet.iter_rows(values_only=True)
        header = _unique(_cell(v).strip() for v in next(lines, ()))
    except Exception as exc:  # a damaged or foreign archive fails in many ways
        raise ConfigError(f"{path}: not a readable XLSX workbook ({first_line(exc)})") from exc
    if not any(header):
        raise ConfigError(f"{path}: the first row must name the columns")
    shown = sheet.title if len(book.worksheets) > 1 else None

    def rows() -> Rows:
        number = 1
        try:
            for number, cells in enumerate(lines, start=2):
                padded = [*cells, *([None] * (len(header) - len(cells)))]
                yield number, {h: _cell(padded[i]) for i, h in enumerate(header)}
        except Exception as exc:
            raise ConfigError(f"{path}, row {number + 1}: unreadable ({first_line(exc)})") from exc
        finally:
            book.close()

    return Table(header, rows(), shown)


def _unique(cells: Iterable[str]) -> list[str]:
    """Header cells, a repeated one (but empty ones) as ``NAME (column N)`` after the first."""
    header: list[str] = []
    for number, cell in enumerate(cells, start=1):
        header.append(f"{cell} (column {number})" if cell and cell in header else cell)
    return header


_INTEGRAL = re.compile(r"^-?\d+\.0+$")


def _cell(value: object) -> str:
    """A spreadsheet cell as text: ``12345.0`` → ``12345``, ``None`` → ``""``."""
    if value is None:
        return ""
    text = str(value)
    if isinstance(value, float) and _INTEGRAL.match(text):
        return text.split(".", maxsplit=1)[0]
    return text.replace("\x00", "")
