"""Tables (SQLAlchemy Core). Changes here need a migration in ``store/migrations/versions``."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    text,
)

from custsync.store.types import ExactDecimal, Money, UtcDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

ID = String(64)
KEY = String(255)
# a buyer's orders, found by (account, buyer key) through ``ix_orders_buyer_totals``: facts,
# stale buyers, naming their customer. The sum columns after the key date from when the
# metrics summed per buyer; no query is covered by them now (the metrics go per customer)
BUYER_TOTALS = (
    "account_id", "buyer_key", "currency", "purchased_at", "status", "total", "discount", "units"
)  # fmt: skip
# the metrics sums after the customer (``ix_orders_customer_totals``): a whole-store metrics
# run groups them per customer in the index's order, without a join to the buyers
CUSTOMER_TOTALS = (
    "customer_id", "currency", "purchased_at", "status", "total", "discount", "units", "account_id"
)  # fmt: skip
HAS_PROMO = text("promo_codes <> ''")  # order lines are read for their promo codes only
PROFILED = text("profile IS NOT NULL")

accounts = Table(
    "accounts",
    metadata,
    Column("account_id", ID, primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("name", String(255)),
    Column("created_at", UtcDateTime, nullable=False),
)

sync_state = Table(
    "sync_state",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.account_id"), primary_key=True),
    Column("stream", String(32), primary_key=True),
    Column("cursor", Text),
    Column("last_success_at", UtcDateTime),
    Column("last_error", Text),
    Column("last_error_at", UtcDateTime),
    Column("lease_owner", String(128)),
    Column("lease_expires_at", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
)

sync_runs = Table(
    "sync_runs",
    metadata,
    Column("run_id", ID, primary_key=True),
    Column("account_id", ID, ForeignKey("accounts.account_id"), nullable=False),
    Column("stream", String(32), nullable=False),
    Column("worker", String(128)),
    Column("started_at", UtcDateTime, nullable=False),
    Column("finished_at", UtcDateTime),
    Column("status", String(16), nullable=False),
    Column("pages", Integer, nullable=False, default=0),
    Column("fetched", Integer, nullable=False, default=0),
    Column("inserted", Integer, nullable=False, default=0),
    Column("updated", Integer, nullable=False, default=0),
    Column("unchanged", Integer, nullable=False, default=0),
    Column("rejected", Integer, nullable=False, default=0),
    Column("unlinked_orders", Integer, nullable=False, default=0),
    Column("requests", Integer, nullable=False, default=0),
    Column("rate_limited", Integer, nullable=False, default=0),
    Column("retries", Integer, nullable=False, default=0),
    Column("api_quota_time_s", Float, nullable=False, default=0.0),
    Column("error", Text),
    Index("ix_sync_runs_account_stream_started", "account_id", "stream", "started_at"),
)

# what a buyer's contact data holds (``records.BuyerInfo``), as order, buyer and contact columns
BUYER_FIELDS = (
    "name", "email", "phone", "company", "address_line1", "address_line2", "city", "state",
    "postal_code", "country_code",
)  # fmt: skip


def _buyer_columns(prefix: str = "") -> list[Column[str]]:
    return [Column(f"{prefix}{name}", Text) for name in BUYER_FIELDS]


orders = Table(
    "orders",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.account_id"), primary_key=True),
    Column("order_id", KEY, primary_key=True),
    Column("marketplace", String(32), nullable=False),
    Column("buyer_key", KEY),
    Column("is_weak_key", Boolean, nullable=False, default=False),
    Column("status", String(32), nullable=False),
    Column("purchased_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("total", Money, nullable=False),
    Column("discount", Money, nullable=False),
    Column("units", Integer, nullable=False),
    *_buyer_columns("buyer_"),
    Column("source", Text, nullable=False),
    Column("source_hash", String(64), nullable=False),
    Column("ingested_at", UtcDateTime, nullable=False),
    # the customer of the order's buyer, as ``buyers`` has it (none before it is resolved)
    Column("customer_id", ID),
    # cover the metrics sums, so they never read the wide rows
    Index("ix_orders_buyer_totals", *BUYER_TOTALS),
    Index("ix_orders_customer_totals", *CUSTOMER_TOTALS),
    # an order's status and customer by its id: returns, feedback and promo codes reach it
    Index("ix_orders_customer_by_order", "account_id", "order_id", "status", "customer_id"),
    Index("ix_orders_ingested_at", "ingested_at"),
)

order_lines = Table(
    "order_lines",
    metadata,
    Column("account_id", ID, primary_key=True),
    Column("order_id", KEY, primary_key=True),
    Column("line_id", KEY, primary_key=True),
    Column("sku", KEY),
    Column("title", Text),
    Column("qty", Integer, nullable=False),
    Column("unit_price", Money, nullable=False),
    Column("promo_discount", Money, nullable=False),
    Column("promo_codes", Text, nullable=False, default=""),
    Index(
        "ix_order_lines_promo",
        "account_id",
        "order_id",
        "promo_codes",
        sqlite_where=HAS_PROMO,
        postgresql_where=HAS_PROMO,
    ),
)

returns = Table(
    "returns",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.account_id"), primary_key=True),
    Column("return_id", KEY, primary_key=True),
    Column("order_id", KEY, nullable=False),
    Column("sku", KEY),
    Column("qty", Integer, nullable=False),
    Column("reason", Text),
    Column("returned_at", UtcDateTime, nullable=False),
    Column("source", Text, nullable=False),
    Column("source_hash", String(64), nullable=False),
    Column("ingested_at", UtcDateTime),
    Index("ix_returns_order", "account_id", "order_id"),
    Index("ix_returns_ingested_at", "ingested_at"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.account_id"), primary_key=True),
    Column("order_id", KEY, primary_key=True),
    Column("rating", Integer, nullable=False),
    Column("comment", Text),
    Column("left_at", UtcDateTime, nullable=False),
    Column("source", Text, nullable=False),
    Column("source_hash", String(64), nullable=False),
    Column("ingested_at", UtcDateTime),
    Index("ix_feedback_ingested_at", "ingested_at"),
)

promo_uses = Table(
    "promo_uses",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.account_id"), primary_key=True),
    Column("order_id", KEY, primary_key=True),
    Column("code", KEY, primary_key=True),
    Column("discount", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("source", Text, nullable=False),
    Column("source_hash", String(64), nullable=False),
    Column("ingested_at", UtcDateTime),
    Index("ix_promo_uses_ingested_at", "ingested_at"),
)

rejects = Table(
    "rejects",
    metadata,
    Column("reject_id", Integer, primary_key=True, autoincrement=True),
    Column("account_id", ID, nullable=False),
    Column("stream", String(32), nullable=False),
    Column("run_id", ID),
    Column("source_id", KEY),
    Column("reason", Text, nullable=False),
    Column("payload", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

buyers = Table(
    "buyers",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.account_id"), primary_key=True),
    Column("buyer_key", KEY, primary_key=True),
    Column("marketplace", String(32), nullable=False),
    Column("customer_id", ID, nullable=False),
    Column("is_weak_key", Boolean, nullable=False, default=False),
    *_buyer_columns(),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("profile", Text),  # normalized identity data (JSON), see pipeline.profiles
    Index("ix_buyers_customer", "customer_id", "account_id", "buyer_key"),  # covers buyer refs
    Index("ix_buyers_updated_at", "updated_at"),
    # counts the resolved buyers (every incremental refresh) without reading their profiles
    Index("ix_buyers_profiled", "account_id", sqlite_where=PROFILED, postgresql_where=PROFILED),
)

customers = Table(
    "customers",
    metadata,
    Column("customer_id", ID, primary_key=True),
    Column("name", Text),
    Column("email", Text),
    Column("phone", Text),
    Column("address", Text),
    Column("zip", Text),
    Column("city", Text),
    Column("state", Text),
    Column("country", Text),
    Column("orders", Integer, nullable=False, default=0),
    Column("units", Integer, nullable=False, default=0),
    Column("amount_spent", Money, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("discount_received", Money, nullable=False),
    Column("promo_codes_used", Integer, nullable=False, default=0),
    Column("promo_codes", Text, nullable=False, default=""),
    Column("negative_feedbacks", Integer, nullable=False, default=0),
    Column("returned_units", Integer, nullable=False, default=0),
    Column("seller_accounts", Text, nullable=False, default=""),
    Column("first_order_at", UtcDateTime),
    Column("last_order_at", UtcDateTime),
    Column("merged_into", ID),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_customers_last_order", "last_order_at"),
)

identity_links = Table(
    "identity_links",
    metadata,
    Column("link_id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", ID, nullable=False),
    Column("buyer_a", Text, nullable=False),
    Column("buyer_b", Text, nullable=False),
    Column("rule", String(32), nullable=False),
    Column("score", Float, nullable=False),
    Column("evidence", Text, nullable=False, default=""),
    Column("created_at", UtcDateTime, nullable=False),
    Column("is_link", Boolean, nullable=False, default=True),  # False: kept apart
    Column("names_conflict", Boolean, nullable=False, default=False),
    Column("is_sure", Boolean, nullable=False, default=False),
    Column("has_typos", Boolean, nullable=False, default=False),
    Index("ix_identity_links_customer", "customer_id"),
    Index("ix_identity_links_buyer_a", "buyer_a"),
    Index("ix_identity_links_buyer_b", "buyer_b"),
)

# Blocking and frequency keys of each buyer (pipeline.profiles): who to compare, how common.
# On SQLite both key tables are stored in their primary key's order (WITHOUT ROWID): a key's
# row is then one B-tree lookup instead of an index entry and a table row (migration 0011).
# A buyer's keys are those of its stored profile: no index by buyer (migration 0014).
identity_keys = Table(
    "identity_keys",
    metadata,
    Column("key", KEY, primary_key=True),
    Column("account_id", ID, primary_key=True),
    Column("buyer_key", KEY, primary_key=True),
    sqlite_with_rowid=False,
)

# How many buyers hold each key held by two or more, kept with ``identity_keys`` (frequency
# weights and blocking read it); a key without a row has one holder or none (migration 0014).
identity_key_counts = Table(
    "identity_key_counts",
    metadata,
    Column("key", KEY, primary_key=True),
    Column("holders", Integer, nullable=False),
    sqlite_with_rowid=False,
)

# Learnt identity parameters: the buyer-count state and each account's name policy.
identity_params = Table(
    "identity_params",
    metadata,
    Column("name", String(128), primary_key=True),
    Column("value", Integer, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
)

# Money per customer in each original currency (the customer row holds the base currency).
customer_totals = Table(
    "customer_totals",
    metadata,
    Column("customer_id", ID, primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("orders", Integer, nullable=False),
    Column("amount_spent", Money, nullable=False),
    Column("discount_received", Money, nullable=False),
)

# People imported from customer lists (``custsync import``): buyers without orders.
contacts = Table(
    "contacts",
    metadata,
    Column("account_id", ID, ForeignKey("accounts.account_id"), primary_key=True),
    Column("buyer_key", KEY, primary_key=True),
    Column("first_name", Text),
    Column("last_name", Text),
    *_buyer_columns(),
    Column("notes", Text),
    Column("instagram", Text),
    Column("facebook", Text),
    Column("row_number", Integer, nullable=False),
    Column("source", Text, nullable=False),
    Column("source_hash", String(64), nullable=False),
    Column("imported_at", UtcDateTime, nullable=False),
    Index("ix_contacts_imported_at", "imported_at"),
)

identity_overrides = Table(
    "identity_overrides",
    metadata,
    Column("override_id", Integer, primary_key=True, autoincrement=True),
    Column("action", String(16), nullable=False),
    Column("customer_a", ID),
    Column("customer_b", ID),
    Column("buyer", Text),
    Column("created_at", UtcDateTime, nullable=False),
)

watchlist = Table(
    "watchlist",
    metadata,
    Column("customer_id", ID, primary_key=True),
    Column("reason", Text),
    Column("added_at", UtcDateTime, nullable=False),
)

customer_notes = Table(
    "customer_notes",
    metadata,
    Column("note_id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", ID, nullable=False),
    Column("body", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_customer_notes_customer", "customer_id"),
)

fx_rates = Table(
    "fx_rates",
    metadata,
    Column("currency", String(3), primary_key=True),
    Column("base_currency", String(3), primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("rate", ExactDecimal, nullable=False),
)

export_log = Table(
    "export_log",
    metadata,
    Column("export_id", Integer, primary_key=True, autoincrement=True),
    Column("exported_at", UtcDateTime, nullable=False),
    Column("exported_by", String(128), nullable=False),
    Column("tab", String(32), nullable=False),
    Column("filters", Text, nullable=False),
    Column("columns", Text, nullable=False),
    Column("row_count", Integer, nullable=False),
    Column("file", Text, nullable=False),
    Index("ix_export_log_exported_at", "exported_at"),
)
