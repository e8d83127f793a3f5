"""A stored link's evidence stays what a full rebuild would write: when weights move, the same
outcome may be told from another of the pair's addresses or names."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from sqlalchemy import select

from custsync.rebuild import rebuild_customers
from custsync.records import BuyerInfo, Order
from custsync.store import schema
from custsync.store.db import Store, open_store, upgrade
from tests.unit.store.test_identity_store import HOME, NOW, _ingest, _order, _rates, _snapshot

AUSTIN = replace(
    HOME, address_line1="5 Pine Street", city="Austin", state="TX", postal_code="78701"
)


def _family() -> list[Order]:
    """Ann and Bo Lee, kept apart (two first names), both seen in Seattle and in Austin; and
    40 others elsewhere, so that two more buyers leave the weights' scale where it was."""
    others = [
        _order(
            100 + i,
            "amazon",
            f"f{i}@x",
            f"Fay Other{i}",
            home=BuyerInfo(address_line1=f"{i} Elm Road", postal_code=f"80{200 + i}"),
        )
        for i in range(40)
    ]
    return [
        _order(1, "amazon", "ann@x", "Ann Lee"),
        _order(2, "amazon", "ann@x", "Ann Lee", home=AUSTIN, day=2),
        _order(3, "amazon", "bo@x", "Bo Lee", day=3),
        _order(4, "amazon", "bo@x", "Bo Lee", home=AUSTIN, day=4),
        *others,
    ]


def _neighbours() -> list[Order]:
    """Two new buyers in Ann and Bo's Austin street: that postal code and street weigh less."""
    return [
        _order(
            10 + i,
            "amazon",
            f"n{i}@x",
            name,
            home=replace(AUSTIN, address_line1=f"{20 + 2 * i} Pine Street"),
            day=5,
        )
        for i, name in enumerate(["Cy Fox", "Di Ray"])
    ]


def _address_evidence(store: Store) -> str:
    t = schema.identity_links
    query = select(t.c.evidence).where(t.c.buyer_a == "amazon:ann@x", t.c.buyer_b == "amazon:bo@x")
    with store.engine.connect() as conn:
        return str(json.loads(conn.execute(query).scalar_one())["address"])


def test_a_kept_apart_pair_is_told_from_its_weightiest_address_as_a_full_rebuild_does(
    db_url: str, tmp_path: object
) -> None:
    steps, full = open_store(db_url), open_store(f"sqlite:///{tmp_path}/full.db")
    for store in (steps, full):
        upgrade(store)
        _rates(store)
    _ingest(steps, _family(), NOW)
    rebuild_customers(steps, None, base_currency="USD", now=NOW)
    assert _address_evidence(steps).startswith("same postal code 78701")
    later = NOW + timedelta(hours=1)
    touched = _ingest(steps, _neighbours(), later)
    rebuild_customers(steps, touched, base_currency="USD", now=later)
    assert _address_evidence(steps).startswith(f"same postal code {HOME.postal_code}")
    _ingest(full, _family() + _neighbours(), NOW)
    rebuild_customers(full, None, base_currency="USD", now=later)
    assert _snapshot(steps) == _snapshot(full)
