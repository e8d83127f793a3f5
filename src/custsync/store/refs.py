"""Selecting rows by (account, key) pairs: per account, ``key IN (...)`` in chunks; and the
chunking of long lists of values or rows for IN lists and batched writes.

A row-value ``(account_id, key) IN (...)`` makes SQLite scan the whole index; one account at a
time with a plain ``IN`` list uses it, on every dialect.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from itertools import islice
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_

CHUNK = 500
T = TypeVar("T")


def chunks(items: Iterable[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``items`` in lists of at most ``size``, in order; never all held at once."""
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def by_account(
    pairs: Iterable[tuple[str, str]], size: int = CHUNK
) -> Iterator[tuple[str, list[str]]]:
    """(account, up to ``size`` keys of it), every pair once, in sorted order."""
    grouped: dict[str, set[str]] = {}
    for account, key in pairs:
        grouped.setdefault(account, set()).add(key)
    for account in sorted(grouped):
        keys = sorted(grouped[account])
        for start in range(0, len(keys), size):
            yield account, keys[start : start + size]


def pair_filters(
    account_column: Any, key_column: Any, pairs: Iterable[tuple[str, str]]
) -> Iterator[ColumnElement[bool]]:
    """WHERE clauses that together select exactly these (account, key) pairs."""
    for account, keys in by_account(pairs):
        yield and_(account_column == account, key_column.in_(keys))
