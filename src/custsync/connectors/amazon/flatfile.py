"""Amazon flat-file reports: tab-separated text, a header row, no quoting.

Header names differ in style between reports (``amazon-order-id``, ``Order ID``,
``order_id``): they are normalized to lower-case words joined by ``-`` so mappings name each
column once. Fields keep their text as given (stripped); quotes are data (product titles).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

_SEPARATORS = re.compile(r"[\s_]+")


def normalize_header(name: str) -> str:
    return _SEPARATORS.sub("-", name.strip().casefold()).strip("-")


@dataclass(frozen=True, slots=True)
class Row:
    """One data row: its 1-based line number in the file and its fields by column."""

    line: int
    fields: Mapping[str, str]

    def get(self, column: str) -> str:
        return self.fields.get(column, "").strip()

    def has(self, column: str) -> bool:
        return column in self.fields


def parse_rows(text: str) -> Iterator[Row]:
    """Rows of a flat file; blank lines skipped, short rows padded with empty fields."""
    lines = text.splitlines()
    if not lines:
        return
    header = [normalize_header(name) for name in lines[0].split("\t")]
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        values = line.split("\t")
        values += [""] * (len(header) - len(values))
        yield Row(number, dict(zip(header, values, strict=False)))
