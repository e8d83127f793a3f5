"""What identity resolution stored, read so that two stores can be compared: every link with
its rule, score and flags, every key count, and which buyers form each customer (customer ids
left out: a full rebuild and incremental syncs need not name them alike). For
``identity_scale.py --check``.
"""

from __future__ import annotations

from collections.abc import Callable

from custsync.store.db import Store


def _rows(query: str) -> Callable[[Store], set[tuple[object, ...]]]:
    def read(store: Store) -> set[tuple[object, ...]]:
        with store.engine.connect() as conn:
            return {tuple(row) for row in conn.exec_driver_sql(query)}

    return read


def _customers(store: Store) -> set[tuple[object, ...]]:
    """Which buyers form each customer (customer ids left out: they need not match)."""
    groups: dict[str, list[str]] = {}
    with store.engine.connect() as conn:
        query = "SELECT customer_id, account_id, buyer_key FROM buyers"
        for cid, account, key in conn.exec_driver_sql(query):
            groups.setdefault(cid, []).append(f"{account}:{key}")
    return {tuple(sorted(group)) for group in groups.values()}


CHECKED = {
    "links": _rows(
        "SELECT buyer_a, buyer_b, rule, score, is_link, names_conflict, is_sure, has_typos"
        " FROM identity_links"
    ),
    "key counts": _rows("SELECT key, holders FROM identity_key_counts"),
    "customers": _customers,
}
