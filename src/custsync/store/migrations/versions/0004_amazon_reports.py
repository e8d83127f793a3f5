"""amazon reports: when returns, feedback and promo uses were stored

Revision ID: 0004
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import custsync.store.types

revision = "0004"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("returns", "feedback", "promo_uses")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(
                sa.Column(
                    "ingested_at",
                    custsync.store.types.UtcDateTime(timezone=True),
                    nullable=True,
                )
            )


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("ingested_at")
