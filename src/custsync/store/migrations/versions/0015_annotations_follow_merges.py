"""annotations follow merges: notes and watchlist entries left on customers that were merged
into others move to the customer each now points to (at the end of a chain of merges), as a
merge now moves them itself. A watched customer merged into a watched one leaves its reason
beside the other's.

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

HOPS = 16


def upgrade() -> None:
    conn = op.get_bind()
    tombstones = "SELECT customer_id, merged_into FROM customers WHERE merged_into IS NOT NULL"
    merged: dict[str, str] = {old: new for old, new in conn.execute(sa.text(tombstones))}
    annotated = conn.execute(
        sa.text("SELECT customer_id FROM customer_notes UNION SELECT customer_id FROM watchlist")
    ).scalars()
    for old in sorted(set(annotated) & merged.keys()):
        _move(conn, old, _end(old, merged))


def downgrade() -> None:
    """Nothing to undo: where a note or entry stood before is not kept."""


def _end(old: str, merged: dict[str, str]) -> str:
    current = merged[old]
    for _ in range(HOPS):
        if current not in merged:
            break
        current = merged[current]
    return current


def _move(conn: sa.Connection, old: str, new: str) -> None:
    ids = {"old": old, "new": new}
    renamed = "UPDATE {} SET customer_id = :new WHERE customer_id = :old"
    conn.execute(sa.text(renamed.format("customer_notes")), ids)
    reason = "SELECT reason FROM watchlist WHERE customer_id = :id"
    moved = conn.execute(sa.text(reason), {"id": old}).first()
    if moved is None:
        return
    kept = conn.execute(sa.text(reason), {"id": new}).first()
    if kept is None:
        conn.execute(sa.text(renamed.format("watchlist")), ids)
        return
    reasons = "; ".join(dict.fromkeys(r for r in (kept[0], moved[0]) if r)) or None
    conn.execute(sa.text("DELETE FROM watchlist WHERE customer_id = :old"), ids)
    conn.execute(
        sa.text("UPDATE watchlist SET reason = :reason WHERE customer_id = :new"),
        {"reason": reasons, "new": new},
    )
