"""identity key counts: how many buyers hold each identity key

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_key_counts",
        sa.Column("key", sa.String(255), nullable=False),
        sa.Column("holders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_identity_key_counts"),
    )
    op.execute(
        "INSERT INTO identity_key_counts (key, holders) "
        "SELECT key, COUNT(*) FROM identity_keys GROUP BY key"
    )


def downgrade() -> None:
    op.drop_table("identity_key_counts")
