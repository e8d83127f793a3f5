"""promo lines covered: the index of order lines with a promo code holds the codes, so the
metrics read them without the line rows

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

HAS_PROMO = sa.text("promo_codes <> ''")


def upgrade() -> None:
    _promo_index(["account_id", "order_id", "promo_codes"])


def downgrade() -> None:
    _promo_index(["account_id", "order_id"])


def _promo_index(columns: list[str]) -> None:
    op.drop_index("ix_order_lines_promo", table_name="order_lines")
    op.create_index(
        "ix_order_lines_promo",
        "order_lines",
        columns,
        sqlite_where=HAS_PROMO,
        postgresql_where=HAS_PROMO,
    )
