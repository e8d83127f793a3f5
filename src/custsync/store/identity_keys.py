"""Identity keys and profiles in the store: which buyers hold which blocking or frequency key
(``identity_keys``), how many hold each (``identity_key_counts``, kept with the keys so that
a weight is one lookup, not a count over every holder) and each buyer's stored profile
(``buyers.profile``)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Mapping

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite

from custsync.pipeline.facts import BuyerRef
from custsync.pipeline.profiles import BuyerProfile, profile_from_json
from custsync.records import AccountId, BuyerKey
from custsync.store import schema
from custsync.store.refs import chunks, pair_filters


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


def clear_keys(conn: Connection) -> None:
    """Forget every buyer's keys and their counts (a full run stores them anew)."""
    conn.execute(delete(schema.identity_keys))
    conn.execute(delete(schema.identity_key_counts))


def replace_keys(
    conn: Connection,
    keys: Mapping[BuyerRef, Collection[str]],
    old: Mapping[BuyerRef, Collection[str]] | None = None,
) -> None:
    """Store each buyer's keys instead of its ``old`` ones (as ``stored_keys`` read them;
    ``None``: neither these buyers nor these keys are stored yet, as after ``clear_keys``),
    and keep the counts with them. Rows are written in batches, never all held at once."""
    k = schema.identity_keys
    for where in [] if old is None else pair_filters(k.c.account_id, k.c.buyer_key, keys):
        conn.execute(delete(k).where(where))
    rows = ((key, ref[0], ref[1]) for ref in sorted(keys) for key in sorted(keys[ref]))
    statement = "INSERT INTO identity_keys (key, account_id, buyer_key) VALUES (%s, %s, %s)"
    for batch in chunks(rows, 20000):
        conn.exec_driver_sql(_placeholders(conn, statement), batch)
    moves: Counter[str] = Counter(key for held in keys.values() for key in held)
    moves.subtract(key for held in (old or {}).values() for key in held)
    _count(conn, {key: n for key, n in moves.items() if n}, is_empty=old is None)


def _count(conn: Connection, moves: Mapping[str, int], *, is_empty: bool) -> None:
    """Add ``moves`` to the holder counts; a key nobody holds any more loses its row."""
    c = schema.identity_key_counts
    rows = sorted(moves.items())
    if is_empty:
        statement = "INSERT INTO identity_key_counts (key, holders) VALUES (%s, %s)"
        for batch in chunks(rows, 20000):
            conn.exec_driver_sql(_placeholders(conn, statement), batch)
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    upsert = dialect.insert(c)
    upsert = upsert.on_conflict_do_update(
        index_elements=[c.c.key], set_={"holders": c.c.holders + upsert.excluded.holders}
    )
    for part in chunks(rows, 2000):
        conn.execute(upsert, [{"key": key, "holders": n} for key, n in part])
    for gone in chunks(key for key, n in rows if n < 0):
        conn.execute(delete(c).where(c.c.key.in_(gone), c.c.holders <= 0))


def _placeholders(conn: Connection, statement: str) -> str:
    return statement.replace("%s", "?") if conn.dialect.name == "sqlite" else statement


def key_counts(conn: Connection, keys: Collection[str]) -> dict[str, int]:
    """How many buyers hold each of ``keys`` (keys nobody holds are left out)."""
    c = schema.identity_key_counts
    counts: dict[str, int] = {}
    for chunk in chunks(sorted(keys)):
        query = select(c.c.key, c.c.holders).where(c.c.key.in_(chunk))
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
