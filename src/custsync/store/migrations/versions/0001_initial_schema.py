"""initial schema

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import custsync.store.types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=True),
        sa.Column("created_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_id", name=op.f("pk_accounts")),
    )
    op.create_table(
        "customer_notes",
        sa.Column("note_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("note_id", name=op.f("pk_customer_notes")),
    )
    with op.batch_alter_table("customer_notes", schema=None) as batch_op:
        batch_op.create_index("ix_customer_notes_customer", ["customer_id"], unique=False)

    op.create_table(
        "customers",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("address", sa.Text(), nullable=True),
        sa.Column("zip", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("country", sa.Text(), nullable=True),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("amount_spent", custsync.store.types.Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("discount_received", custsync.store.types.Money(), nullable=False),
        sa.Column("promo_codes_used", sa.Integer(), nullable=False),
        sa.Column("promo_codes", sa.Text(), nullable=False),
        sa.Column("negative_feedbacks", sa.Integer(), nullable=False),
        sa.Column("returned_units", sa.Integer(), nullable=False),
        sa.Column("seller_accounts", sa.Text(), nullable=False),
        sa.Column("first_order_at", custsync.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("last_order_at", custsync.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("merged_into", sa.String(length=64), nullable=True),
        sa.Column("updated_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_customers")),
    )
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.create_index("ix_customers_last_order", ["last_order_at"], unique=False)

    op.create_table(
        "fx_rates",
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("base_currency", sa.String(length=3), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("rate", custsync.store.types.ExactDecimal(length=40), nullable=False),
        sa.PrimaryKeyConstraint(
            "currency", "base_currency", "valid_from", name=op.f("pk_fx_rates")
        ),
    )
    op.create_table(
        "identity_links",
        sa.Column("link_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("buyer_a", sa.Text(), nullable=False),
        sa.Column("buyer_b", sa.Text(), nullable=False),
        sa.Column("rule", sa.String(length=32), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("evidence", sa.Text(), nullable=False),
        sa.Column("created_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("link_id", name=op.f("pk_identity_links")),
    )
    with op.batch_alter_table("identity_links", schema=None) as batch_op:
        batch_op.create_index("ix_identity_links_customer", ["customer_id"], unique=False)

    op.create_table(
        "identity_overrides",
        sa.Column("override_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("customer_a", sa.String(length=64), nullable=True),
        sa.Column("customer_b", sa.String(length=64), nullable=True),
        sa.Column("buyer", sa.Text(), nullable=True),
        sa.Column("created_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("override_id", name=op.f("pk_identity_overrides")),
    )
    op.create_table(
        "order_lines",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=255), nullable=False),
        sa.Column("line_id", sa.String(length=255), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("title", sa.Text(), nullable=True),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("unit_price", custsync.store.types.Money(), nullable=False),
        sa.Column("promo_discount", custsync.store.types.Money(), nullable=False),
        sa.Column("promo_codes", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "order_id", "line_id", name=op.f("pk_order_lines")),
    )
    op.create_table(
        "rejects",
        sa.Column("reject_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=True),
        sa.Column("source_id", sa.String(length=255), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("created_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("reject_id", name=op.f("pk_rejects")),
    )
    op.create_table(
        "watchlist",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("added_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_watchlist")),
    )
    op.create_table(
        "buyers",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("buyer_key", sa.String(length=255), nullable=False),
        sa.Column("marketplace", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("is_weak_key", sa.Boolean(), nullable=False),
        sa.Column("name", sa.Text(), nullable=True),
        sa.Column("email", sa.Text(), nullable=True),
        sa.Column("phone", sa.Text(), nullable=True),
        sa.Column("company", sa.Text(), nullable=True),
        sa.Column("address_line1", sa.Text(), nullable=True),
        sa.Column("address_line2", sa.Text(), nullable=True),
        sa.Column("city", sa.Text(), nullable=True),
        sa.Column("state", sa.Text(), nullable=True),
        sa.Column("postal_code", sa.Text(), nullable=True),
        sa.Column("country_code", sa.Text(), nullable=True),
        sa.Column("updated_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_buyers_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "buyer_key", name=op.f("pk_buyers")),
    )
    with op.batch_alter_table("buyers", schema=None) as batch_op:
        batch_op.create_index("ix_buyers_customer", ["customer_id"], unique=False)

    op.create_table(
        "feedback",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=255), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("left_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_feedback_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "order_id", name=op.f("pk_feedback")),
    )
    op.create_table(
        "orders",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=255), nullable=False),
        sa.Column("marketplace", sa.String(length=32), nullable=False),
        sa.Column("buyer_key", sa.String(length=255), nullable=True),
        sa.Column("is_weak_key", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("purchased_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("total", custsync.store.types.Money(), nullable=False),
        sa.Column("discount", custsync.store.types.Money(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("buyer_name", sa.Text(), nullable=True),
        sa.Column("buyer_email", sa.Text(), nullable=True),
        sa.Column("buyer_phone", sa.Text(), nullable=True),
        sa.Column("buyer_company", sa.Text(), nullable=True),
        sa.Column("buyer_address_line1", sa.Text(), nullable=True),
        sa.Column("buyer_address_line2", sa.Text(), nullable=True),
        sa.Column("buyer_city", sa.Text(), nullable=True),
        sa.Column("buyer_state", sa.Text(), nullable=True),
        sa.Column("buyer_postal_code", sa.Text(), nullable=True),
        sa.Column("buyer_country_code", sa.Text(), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("ingested_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_orders_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "order_id", name=op.f("pk_orders")),
    )
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.create_index("ix_orders_buyer", ["account_id", "buyer_key"], unique=False)

    op.create_table(
        "promo_uses",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("order_id", sa.String(length=255), nullable=False),
        sa.Column("code", sa.String(length=255), nullable=False),
        sa.Column("discount", custsync.store.types.Money(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_promo_uses_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "order_id", "code", name=op.f("pk_promo_uses")),
    )
    op.create_table(
        "returns",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("return_id", sa.String(length=255), nullable=False),
        sa.Column("order_id", sa.String(length=255), nullable=False),
        sa.Column("sku", sa.String(length=255), nullable=True),
        sa.Column("qty", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("returned_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_returns_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "return_id", name=op.f("pk_returns")),
    )
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.create_index("ix_returns_order", ["account_id", "order_id"], unique=False)

    op.create_table(
        "sync_runs",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("worker", sa.String(length=128), nullable=True),
        sa.Column("started_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column("finished_at", custsync.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("pages", sa.Integer(), nullable=False),
        sa.Column("fetched", sa.Integer(), nullable=False),
        sa.Column("inserted", sa.Integer(), nullable=False),
        sa.Column("updated", sa.Integer(), nullable=False),
        sa.Column("unchanged", sa.Integer(), nullable=False),
        sa.Column("rejected", sa.Integer(), nullable=False),
        sa.Column("unlinked_orders", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
        sa.Column("rate_limited", sa.Integer(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column("api_quota_time_s", sa.Float(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_sync_runs_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("run_id", name=op.f("pk_sync_runs")),
    )
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.create_index(
            "ix_sync_runs_account_stream_started",
            ["account_id", "stream", "started_at"],
            unique=False,
        )

    op.create_table(
        "sync_state",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("stream", sa.String(length=32), nullable=False),
        sa.Column("cursor", sa.Text(), nullable=True),
        sa.Column(
            "last_success_at", custsync.store.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("last_error_at", custsync.store.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column(
            "lease_expires_at", custsync.store.types.UtcDateTime(timezone=True), nullable=True
        ),
        sa.Column("updated_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_sync_state_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "stream", name=op.f("pk_sync_state")),
    )


def downgrade() -> None:
    op.drop_table("sync_state")
    with op.batch_alter_table("sync_runs", schema=None) as batch_op:
        batch_op.drop_index("ix_sync_runs_account_stream_started")

    op.drop_table("sync_runs")
    with op.batch_alter_table("returns", schema=None) as batch_op:
        batch_op.drop_index("ix_returns_order")

    op.drop_table("returns")
    op.drop_table("promo_uses")
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_buyer")

    op.drop_table("orders")
    op.drop_table("feedback")
    with op.batch_alter_table("buyers", schema=None) as batch_op:
        batch_op.drop_index("ix_buyers_customer")

    op.drop_table("buyers")
    op.drop_table("watchlist")
    op.drop_table("rejects")
    op.drop_table("order_lines")
    op.drop_table("identity_overrides")
    with op.batch_alter_table("identity_links", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_links_customer")

    op.drop_table("identity_links")
    op.drop_table("fx_rates")
    with op.batch_alter_table("customers", schema=None) as batch_op:
        batch_op.drop_index("ix_customers_last_order")

    op.drop_table("customers")
    with op.batch_alter_table("customer_notes", schema=None) as batch_op:
        batch_op.drop_index("ix_customer_notes_customer")

    op.drop_table("customer_notes")
    op.drop_table("accounts")
