"""Planner statistics for the tables a long rebuild fills inside its one transaction.

PostgreSQL plans from the sizes its last ANALYZE saw. A full rebuild writes every customer,
buyer and link in one transaction, so autovacuum sees none of it until the commit: a table
that was empty when last analyzed still looks empty, and a lookup of 500 buyers by key
is planned as a scan of all the rows of their account (cheap for an empty table), which
grows with every batch written. At a million orders that made each batch slower than the
one before. ``GrowthStats`` analyzes those tables (ANALYZE counts the rows the transaction
itself wrote) each time the customers written double, so the plans keep up with the sizes;
about eight times for 350,000 customers, a fraction of a second each. SQLite plans without
table sizes: nothing to do there.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

_ANALYZE = text("ANALYZE buyers, customers, customer_totals, identity_links")


class GrowthStats:
    """Call ``wrote`` with the running count of customers written."""

    def __init__(self, conn: Connection, *, enabled: bool) -> None:
        self._conn = conn
        self._enabled = enabled and conn.dialect.name == "postgresql"
        self._next = 0  # analyze once the first batch is written

    def wrote(self, written: int) -> None:
        if self._enabled and written >= self._next:
            self._conn.execute(_ANALYZE)
            self._next = 2 * written
