"""order owner index: each order's buyer and status by its id, and order lines with a promo
code covered, so that returns, feedback and promo codes reach their buyer without the wide
order rows

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
    op.create_index("ix_orders_owner", "orders", ["account_id", "order_id", "buyer_key", "status"])
    _promo_index(["account_id", "order_id", "promo_codes"])


def downgrade() -> None:
    _promo_index(["account_id", "order_id"])
    op.drop_index("ix_orders_owner", table_name="orders")


def _promo_index(columns: list[str]) -> None:
    op.drop_index("ix_order_lines_promo", table_name="order_lines")
    op.create_index(
        "ix_order_lines_promo",
        "order_lines",
        columns,
        sqlite_where=HAS_PROMO,
        postgresql_where=HAS_PROMO,
    )
