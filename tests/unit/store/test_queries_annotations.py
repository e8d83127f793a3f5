from __future__ import annotations

from datetime import timedelta

import pytest

from custsync.errors import StoreError
from custsync.store.annotations import (
    add_note,
    delete_note,
    edit_note,
    list_notes,
    unwatch,
    watch,
    watchlist,
)
from custsync.store.db import Store
from custsync.store.export_log import recent_exports, record_export
from custsync.store.queries import Tab, tab_rows
from tests.support.reports import NOW, customer_id_named, seed


@pytest.fixture
def seeded(store: Store) -> Store:
    seed(store)
    return store


def test_notes_are_added_edited_listed_newest_first_and_deleted(seeded: Store) -> None:
    cid = customer_id_named(seeded, "Élodie Dupont")
    first = add_note(seeded, cid, "called about the return", now=NOW)
    second = add_note(seeded, cid, "VIP", now=NOW + timedelta(minutes=5))
    edited = edit_note(seeded, first.note_id, "called twice", now=NOW + timedelta(hours=1))
    assert edited.updated_at > edited.created_at
    assert [n.body for n in list_notes(seeded, cid)] == ["VIP", "called twice"]
    delete_note(seeded, second.note_id)
    assert [n.note_id for n in list_notes(seeded, cid)] == [first.note_id]
    with pytest.raises(StoreError, match="no note"):
        delete_note(seeded, second.note_id)
    with pytest.raises(StoreError, match="no customer"):
        add_note(seeded, "C-missing", "x", now=NOW)


def test_watchlist_add_update_remove_and_the_tab(seeded: Store) -> None:
    a = customer_id_named(seeded, "Élodie Dupont")
    b = customer_id_named(seeded, "山田 太郎")
    watch(seeded, a, "chargeback", now=NOW)
    watch(seeded, b, None, now=NOW + timedelta(days=1))
    watch(seeded, a, "chargeback twice", now=NOW + timedelta(days=2))  # keeps the date
    assert [(e.customer_id, e.reason) for e in watchlist(seeded)] == [
        (b, None),
        (a, "chargeback twice"),
    ]
    assert [r.customer_id for r in tab_rows(seeded, Tab.WATCHLIST)] == [b, a]
    assert unwatch(seeded, b) is True
    assert unwatch(seeded, b) is False
    assert [e.customer_id for e in watchlist(seeded)] == [a]


def test_export_log_keeps_who_what_and_how_many(store: Store) -> None:
    first = record_export(
        store,
        exported_by="ana",
        tab="all",
        filters={"search": "müller"},
        columns=["customer_id", "name"],
        row_count=3,
        file="/tmp/a.csv",
        now=NOW,
    )
    record_export(
        store,
        exported_by="bo",
        tab="watchlist",
        filters={},
        columns=["name"],
        row_count=0,
        file="/tmp/b.csv",
        now=NOW + timedelta(minutes=1),
    )
    entries = recent_exports(store)
    assert [e.exported_by for e in entries] == ["bo", "ana"]
    assert entries[1].export_id == first
    assert entries[1].filters == {"search": "müller"}
    assert entries[1].columns == ("customer_id", "name")
    assert entries[1].exported_at == NOW
