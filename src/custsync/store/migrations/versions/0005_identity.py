"""identity: buyer profiles and keys, link flags, learnt parameters, currency totals, contacts

Revision ID: 0005
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import custsync.store.types

revision = "0005"
down_revision = "0001"
branch_labels = None
depends_on = None

_LINK_FLAGS = (
    ("is_link", True),
    ("names_conflict", False),
    ("is_sure", False),
    ("has_typos", False),
)


def upgrade() -> None:
    with op.batch_alter_table("buyers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("profile", sa.Text(), nullable=True))
    with op.batch_alter_table("identity_links", schema=None) as batch_op:
        for name, default in _LINK_FLAGS:
            batch_op.add_column(
                sa.Column(
                    name,
                    sa.Boolean(),
                    nullable=False,
                    server_default=sa.true() if default else sa.false(),
                )
            )
        batch_op.create_index("ix_identity_links_buyer_a", ["buyer_a"], unique=False)
        batch_op.create_index("ix_identity_links_buyer_b", ["buyer_b"], unique=False)
    op.create_table(
        "identity_keys",
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("buyer_key", sa.String(length=255), nullable=False),
        sa.PrimaryKeyConstraint("key", "account_id", "buyer_key", name=op.f("pk_identity_keys")),
    )
    with op.batch_alter_table("identity_keys", schema=None) as batch_op:
        batch_op.create_index("ix_identity_keys_buyer", ["account_id", "buyer_key"], unique=False)
    op.create_table(
        "identity_params",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("value", sa.Integer(), nullable=False),
        sa.Column("updated_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_identity_params")),
    )
    op.create_table(
        "customer_totals",
        sa.Column("customer_id", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("amount_spent", custsync.store.types.Money(), nullable=False),
        sa.Column("discount_received", custsync.store.types.Money(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id", "currency", name=op.f("pk_customer_totals")),
    )
    _create_contacts()


def _create_contacts() -> None:
    text_columns = [
        "first_name",
        "last_name",
        "name",
        "email",
        "phone",
        "company",
        "address_line1",
        "address_line2",
        "city",
        "state",
        "postal_code",
        "country_code",
        "notes",
        "instagram",
        "facebook",
    ]
    op.create_table(
        "contacts",
        sa.Column("account_id", sa.String(length=64), nullable=False),
        sa.Column("buyer_key", sa.String(length=255), nullable=False),
        *(sa.Column(name, sa.Text(), nullable=True) for name in text_columns),
        sa.Column("row_number", sa.Integer(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("source_hash", sa.String(length=64), nullable=False),
        sa.Column("imported_at", custsync.store.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.account_id"], name=op.f("fk_contacts_account_id_accounts")
        ),
        sa.PrimaryKeyConstraint("account_id", "buyer_key", name=op.f("pk_contacts")),
    )


def downgrade() -> None:
    op.drop_table("contacts")
    op.drop_table("customer_totals")
    op.drop_table("identity_params")
    with op.batch_alter_table("identity_keys", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_keys_buyer")
    op.drop_table("identity_keys")
    with op.batch_alter_table("identity_links", schema=None) as batch_op:
        batch_op.drop_index("ix_identity_links_buyer_b")
        batch_op.drop_index("ix_identity_links_buyer_a")
        for name, _ in _LINK_FLAGS:
            batch_op.drop_column(name)
    with op.batch_alter_table("buyers", schema=None) as batch_op:
        batch_op.drop_column("profile")
