"""Alembic environment: always runs on the connection custsync hands it."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from custsync.store.schema import metadata

connection = context.config.attributes.get("connection")
if not isinstance(connection, Connection):
    raise RuntimeError("run migrations through `custsync db upgrade`")

context.configure(
    connection=connection,
    target_metadata=metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    user_module_prefix="custsync.store.types.",
)
with context.begin_transaction():
    context.run_migrations()
