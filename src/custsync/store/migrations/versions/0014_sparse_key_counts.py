"""sparse key counts: only keys held by two buyers or more keep a count row (a key without
one is held by the one buyer its key row names, or by nobody), and the index of keys by
buyer goes (a buyer's keys are those of its stored profile). A sync of new buyers then
writes neither a count nor an index entry for most of their keys.

At a million orders: 2.1M of 3.65M count rows and 10M index entries go.

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEX = "ix_identity_keys_buyer"


def upgrade() -> None:
    op.drop_index(INDEX, table_name="identity_keys")
    op.execute("DELETE FROM identity_key_counts WHERE holders < 2")


def downgrade() -> None:
    op.execute(
        "INSERT INTO identity_key_counts (key, holders)"
        " SELECT key, 1 FROM identity_keys k"
        " WHERE NOT EXISTS (SELECT 1 FROM identity_key_counts c WHERE c.key = k.key)"
    )
    op.create_index(INDEX, "identity_keys", ["account_id", "buyer_key"])
