"""Spoiling a served record the way the ``bad-records`` fault profile asks (see ``faults``).

A record is a JSON object (API answers) or a report row (column → text). Where it is spoiled
is declared per payload shape by a ``Spoilers`` value: the path of its id, of a date, of a
quantity and of a status. A path is a tuple of keys and list indexes.
"""

from __future__ import annotations

from collections.abc import MutableMapping, MutableSequence
from dataclasses import dataclass

Path = tuple[str | int, ...]
BAD_DATE = "2026-02-30T25:61:00Z"
UNKNOWN_STATUS = "LOST_IN_SPACE"


@dataclass(frozen=True, slots=True)
class Spoilers:
    id_path: Path
    date_path: Path
    quantity_path: Path
    status_path: Path


def spoil(record: MutableMapping[str, object], variant: str, where: Spoilers) -> None:
    """Make ``record`` violate its schema in place (``variant`` from ``FaultPlan.bad_record``)."""
    if variant == "missing-id":
        _set(record, where.id_path, None, delete=True)
    elif variant == "negative-quantity":
        quantity = _get(record, where.quantity_path)
        number = int(quantity) if isinstance(quantity, int | str) and str(quantity).isdigit() else 1
        value: object = -max(number, 1)
        _set(record, where.quantity_path, str(value) if isinstance(quantity, str) else value)
    elif variant == "unknown-status" and _get(record, where.status_path) is not None:
        _set(record, where.status_path, UNKNOWN_STATUS)
    else:  # "bad-date", or a status the payload does not carry
        _set(record, where.date_path, BAD_DATE)


def spoil_row(row: dict[str, str], variant: str, where: Spoilers) -> None:
    """The same for a flat-file row (column → text; paths are one column name)."""
    column = {
        "missing-id": where.id_path,
        "negative-quantity": where.quantity_path,
        "unknown-status": where.status_path,
    }.get(variant, where.date_path)[0]
    assert isinstance(column, str)
    if variant == "missing-id":
        row[column] = ""
    elif variant == "negative-quantity":
        row[column] = f"-{row.get(column) or '1'}"
    elif variant == "unknown-status":
        row[column] = UNKNOWN_STATUS
    else:
        row[column] = BAD_DATE


def _get(node: object, path: Path) -> object:
    for step in path:
        if isinstance(node, MutableMapping) and isinstance(step, str):
            node = node.get(step)
        elif isinstance(node, MutableSequence) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            return None
    return node


def _set(
    node: MutableMapping[str, object], path: Path, value: object, *, delete: bool = False
) -> None:
    parent = _get(node, path[:-1])
    last = path[-1]
    if isinstance(parent, MutableMapping) and isinstance(last, str):
        if delete:
            parent.pop(last, None)
        else:
            parent[last] = value
    elif isinstance(parent, MutableSequence) and isinstance(last, int) and last < len(parent):
        parent[last] = "" if delete else value
