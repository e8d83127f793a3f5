"""metrics indexes: orders covered for the per-buyer sums, order lines with a promo code,
buyers covered for their customer

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

BUYER_TOTALS = [
    "account_id", "buyer_key", "currency", "purchased_at", "status", "total", "discount", "units"
]  # fmt: skip
HAS_PROMO = sa.text("promo_codes <> ''")


def upgrade() -> None:
    op.create_index("ix_orders_buyer_totals", "orders", BUYER_TOTALS, unique=False)
    op.drop_index("ix_orders_buyer", table_name="orders")
    op.create_index(
        "ix_order_lines_promo",
        "order_lines",
        ["account_id", "order_id"],
        sqlite_where=HAS_PROMO,
        postgresql_where=HAS_PROMO,
    )
    op.drop_index("ix_buyers_customer", table_name="buyers")
    op.create_index("ix_buyers_customer", "buyers", ["customer_id", "account_id", "buyer_key"])


def downgrade() -> None:
    op.drop_index("ix_buyers_customer", table_name="buyers")
    op.create_index("ix_buyers_customer", "buyers", ["customer_id"])
    op.drop_index("ix_order_lines_promo", table_name="order_lines")
    op.create_index("ix_orders_buyer", "orders", ["account_id", "buyer_key"], unique=False)
    op.drop_index("ix_orders_buyer_totals", table_name="orders")
