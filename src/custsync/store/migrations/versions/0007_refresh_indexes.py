"""refresh indexes: changes by the time they were stored, buyers by their last refresh

Revision ID: 0007
Revises: 0004, 0005, 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = ("0004", "0005", "0006")
branch_labels = None
depends_on = None

INDEXES = (
    ("orders", "ix_orders_ingested_at", "ingested_at"),
    ("returns", "ix_returns_ingested_at", "ingested_at"),
    ("feedback", "ix_feedback_ingested_at", "ingested_at"),
    ("promo_uses", "ix_promo_uses_ingested_at", "ingested_at"),
    ("contacts", "ix_contacts_imported_at", "imported_at"),
    ("buyers", "ix_buyers_updated_at", "updated_at"),
)


def upgrade() -> None:
    for table, name, column in INDEXES:
        op.create_index(name, table, [column], unique=False)


def downgrade() -> None:
    for table, name, _ in INDEXES:
        op.drop_index(name, table_name=table)
