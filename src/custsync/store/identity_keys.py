"""Identity keys and profiles in the store: which buyers hold which blocking or frequency key
(``identity_keys``) and each buyer's stored profile (``buyers.profile``)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping

from sqlalchemy import Connection, delete, func, select

from custsync.pipeline.facts import BuyerRef
from custsync.pipeline.profiles import BuyerProfile, profile_from_json
from custsync.records import AccountId, BuyerKey
from custsync.store import schema
from custsync.store.identity import chunks
from custsync.store.refs import pair_filters


def load_profiles(conn: Connection, refs: Collection[BuyerRef]) -> dict[BuyerRef, BuyerProfile]:
    b = schema.buyers
    found: dict[BuyerRef, BuyerProfile] = {}
    for where in pair_filters(b.c.account_id, b.c.buyer_key, refs):
        query = select(b.c.account_id, b.c.buyer_key, b.c.profile).where(
            where, b.c.profile.is_not(None)
        )
        for account, key, text in conn.execute(query):
            ref = (AccountId(account), BuyerKey(key))
            found[ref] = profile_from_json(ref[0], ref[1], text)
    return found


def stored_keys(conn: Connection, refs: Collection[BuyerRef]) -> dict[BuyerRef, set[str]]:
    k = schema.identity_keys
    found: dict[BuyerRef, set[str]] = defaultdict(set)
    for where in pair_filters(k.c.account_id, k.c.buyer_key, refs):
        query = select(k.c.account_id, k.c.buyer_key, k.c.key).where(where)
        for account, buyer_key, key in conn.execute(query):
            found[(AccountId(account), BuyerKey(buyer_key))].add(key)
    return found


def replace_keys(
    conn: Connection, keys: Mapping[BuyerRef, Collection[str]], *, fresh: bool = False
) -> None:
    """Store each buyer's keys instead of its old ones (``fresh``: the table is empty)."""
    k = schema.identity_keys
    for where in [] if fresh else pair_filters(k.c.account_id, k.c.buyer_key, keys):
        conn.execute(delete(k).where(where))
    rows = [(key, ref[0], ref[1]) for ref in sorted(keys) for key in sorted(keys[ref])]
    statement = "INSERT INTO identity_keys (key, account_id, buyer_key) VALUES (%s, %s, %s)"
    if conn.dialect.name == "sqlite":
        statement = statement.replace("%s", "?")
    for chunk in chunks(rows, 20000):
        conn.exec_driver_sql(statement, list(chunk))


def key_counts(conn: Connection, keys: Collection[str]) -> dict[str, int]:
    k = schema.identity_keys
    counts: dict[str, int] = {}
    for chunk in chunks(sorted(keys)):
        query = select(k.c.key, func.count()).where(k.c.key.in_(chunk)).group_by(k.c.key)
        counts.update({key: int(n) for key, n in conn.execute(query)})
    return counts


def key_members(conn: Connection, keys: Collection[str]) -> dict[str, list[BuyerRef]]:
    k = schema.identity_keys
    members: dict[str, list[BuyerRef]] = defaultdict(list)
    for chunk in chunks(sorted(keys)):
        query = select(k.c.key, k.c.account_id, k.c.buyer_key).where(k.c.key.in_(chunk))
        for key, account, buyer_key in conn.execute(query):
            members[key].append((AccountId(account), BuyerKey(buyer_key)))
    for refs in members.values():
        refs.sort()
    return members


def profiled_among(conn: Connection, refs: Collection[BuyerRef]) -> set[BuyerRef]:
    """Which of ``refs`` already have a stored profile."""
    b = schema.buyers
    found: set[BuyerRef] = set()
    for where in pair_filters(b.c.account_id, b.c.buyer_key, refs):
        query = select(b.c.account_id, b.c.buyer_key).where(where, b.c.profile.is_not(None))
        found |= {(AccountId(a), BuyerKey(k)) for a, k in conn.execute(query)}
    return found


def profiled_buyer_count(conn: Connection) -> int:
    b = schema.buyers
    query = select(func.count()).select_from(b).where(b.c.profile.is_not(None))
    return int(conn.execute(query).scalar() or 0)
