"""Planner statistics for the tables a long rebuild fills inside its one transaction.

PostgreSQL plans from the sizes its last ANALYZE saw. A full rebuild writes every customer,
buyer and link in one transaction, so autovacuum sees none of it until the commit: a table
that was empty when last analyzed still looks empty, and a lookup of 500 buyers by key
is planned as a scan of all the rows of their account (cheap for an empty table), which
grows with every batch written. At a million orders that made each batch slower than the
one before. ``GrowthStats`` analyzes those tables (ANALYZE counts the rows the transaction
itself wrote) each time the customers written double, so the plans keep up with the sizes;
about eight times for 350,000 customers, a fraction of a second each. ``analyze_keys`` does
the same once for the identity keys a full run loads: without statistics, PostgreSQL takes a
sync's lookup of thousands of keys at once for a read of all ten million rows. SQLite plans
without table sizes: nothing to do there.
"""

from __future__ import annotations

from sqlalchemy import Connection, text

_ANALYZE = text("ANALYZE buyers, customers, customer_totals, identity_links")
_ANALYZE_KEYS = text("ANALYZE identity_keys, identity_key_counts")


def analyze_keys(conn: Connection) -> None:
    """Statistics for the identity keys just loaded (PostgreSQL)."""
    if conn.dialect.name == "postgresql":
        conn.execute(_ANALYZE_KEYS)


class GrowthStats:
    """Call ``wrote`` with the running count of customers written, ``finish`` at the end."""

    def __init__(self, conn: Connection, *, enabled: bool) -> None:
        self._conn = conn
        self._enabled = enabled and conn.dialect.name == "postgresql"
        self._next = 0  # analyze once the first batch is written

    def wrote(self, written: int) -> None:
        if self._enabled and written >= self._next:
            self._conn.execute(_ANALYZE)
            self._next = 2 * written

    def finish(self) -> None:
        """Once every row is written (links have their customers now, where the last
        ANALYZE saw them all without): what the next run plans with."""
        if self._enabled:
            self._conn.execute(_ANALYZE)
