"""Operator overrides (``customers merge`` and ``split``) in the store.

An override names buyers (``ACCOUNT:KEY``, as JSON). It speaks of the person behind those
buyers, so when an order is read again under another buyer key (an Amazon order first read
without the buyer's e-mail, under a key derived from its recipient, then with it), every
override naming the order's old buyer names its new buyer too: the merge or split holds for
the orders wherever their key takes them, and a full rebuild reads the same overrides.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from datetime import datetime

import structlog
from sqlalchemy import Connection, insert, select, update

from custsync.pipeline.clusters import OverrideAction
from custsync.pipeline.facts import BuyerRef
from custsync.store import schema
from custsync.store.db import Store
from custsync.store.identity import parse_ref, ref_text

log = structlog.get_logger()


def load_overrides(conn: Connection) -> list[OverrideAction]:
    """Every override, oldest first (the order ``fold_overrides`` applies them in)."""
    o = schema.identity_overrides
    query = select(o.c.action, o.c.buyer).order_by(o.c.created_at, o.c.override_id)
    return [OverrideAction(action, _refs(buyers)) for action, buyers in conn.execute(query)]


def add_override(
    store: Store,
    action: str,
    buyers: Collection[BuyerRef],
    *,
    customer_a: str | None,
    customer_b: str | None,
    now: datetime,
) -> None:
    with store.begin() as conn:
        conn.execute(
            insert(schema.identity_overrides).values(
                action=action,
                customer_a=customer_a,
                customer_b=customer_b,
                buyer=_text(buyers),
                created_at=now,
            )
        )


def carry_overrides(conn: Connection, moves: Mapping[BuyerRef, Collection[BuyerRef]]) -> None:
    """Let every override naming a buyer of ``moves`` (old buyer → the buyers its orders
    went to) name those buyers too (logged: ``overrides_carried``, their ids). The old buyer
    stays named: it may keep other orders."""
    if not moves:
        return
    o = schema.identity_overrides
    changed: list[int] = []
    for override_id, text in conn.execute(select(o.c.override_id, o.c.buyer)).all():
        named = _refs(text)
        gained = {new for old in named & moves.keys() for new in moves[old]} - named
        if gained:
            conn.execute(
                update(o).where(o.c.override_id == override_id).values(buyer=_text(named | gained))
            )
            changed.append(override_id)
    if changed:
        log.info("overrides_carried", overrides=changed)


def _refs(text: str | None) -> frozenset[BuyerRef]:
    return frozenset(parse_ref(item) for item in json.loads(text or "[]"))


def _text(buyers: Collection[BuyerRef]) -> str:
    return json.dumps(sorted(ref_text(ref) for ref in buyers))
