"""A database error names the statement, never the values it was given (buyer data)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError

from custsync.store import schema
from custsync.store.db import Store


def test_a_refused_write_does_not_quote_the_buyer_data_it_carried(store: Store) -> None:
    row = {
        "account_id": "no-such-account",  # refused: no such account
        "buyer_key": "K1",
        "email": "ann.lee@example.com",
        "row_number": 2,
        "source": '{"Name": "Ann Lee"}',
        "source_hash": "0" * 64,
        "imported_at": datetime(2026, 3, 1, tzinfo=UTC),
    }
    with pytest.raises(IntegrityError) as refused, store.begin() as conn:
        conn.execute(insert(schema.contacts), row)
    message = str(refused.value)
    assert "INSERT INTO contacts" in message
    assert "SQL parameters hidden" in message
    assert "ann.lee@example.com" not in message
    assert "Ann Lee" not in message
