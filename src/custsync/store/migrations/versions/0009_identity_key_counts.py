"""identity counts: how many buyers hold each identity key; an index of the resolved buyers

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

PROFILED = sa.text("profile IS NOT NULL")


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
    op.create_index(
        "ix_buyers_profiled",
        "buyers",
        ["account_id"],
        sqlite_where=PROFILED,
        postgresql_where=PROFILED,
    )


def downgrade() -> None:
    op.drop_index("ix_buyers_profiled", table_name="buyers")
    op.drop_table("identity_key_counts")
