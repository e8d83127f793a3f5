"""reports: the export log

Revision ID: 0006
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import custsync.store.types

revision = "0006"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "export_log",
        sa.Column("export_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("exported_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("exported_by", sa.String(length=128), nullable=False),
        sa.Column("tab", sa.String(length=32), nullable=False),
        sa.Column("filters", sa.Text(), nullable=False),
        sa.Column("columns", sa.Text(), nullable=False),
        sa.Column("row_count", sa.Integer(), nullable=False),
        sa.Column("file", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("export_id", name=op.f("pk_export_log")),
    )
    with op.batch_alter_table("export_log", schema=None) as batch_op:
        batch_op.create_index("ix_export_log_exported_at", ["exported_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("export_log", schema=None) as batch_op:
        batch_op.drop_index("ix_export_log_exported_at")
    op.drop_table("export_log")
