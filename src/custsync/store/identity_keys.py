"""Identity keys and profiles in the store: which buyers hold which blocking or frequency key
(``identity_keys``), how many hold each (``identity_key_counts``, kept with the keys so that
a weight is one lookup, not a count over every holder) and each buyer's stored profile
(``buyers.profile``)."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any, TypeVar, overload

from sqlalchemy import Connection, delete, func, select

from custsync.pipeline.facts import BuyerRef
from custsync.pipeline.profiles import BuyerProfile, profile_from_json
from custsync.pipeline.states import is_given_key, key_state
from custsync.records import AccountId, BuyerKey
from custsync.store import schema
from custsync.store.planner import analyze_keys
from custsync.store.refs import chunks, driver_sql, one_of, pair_rows, rows_in

T = TypeVar("T")
_INSERT_KEY = "INSERT INTO identity_keys (key, account_id, buyer_key) VALUES (%s, %s, %s)"
_INSERT_COUNT = "INSERT INTO identity_key_counts (key, holders) VALUES (%s, %s)"
_KEYS = (_INSERT_KEY, "COPY identity_keys (key, account_id, buyer_key) FROM STDIN")
_COUNTS = (_INSERT_COUNT, "COPY identity_key_counts (key, holders) FROM STDIN")
# Keys per PostgreSQL lookup of their holders. The planner estimates that each key of a long
# array is held by as many buyers as an average key (tens, because of a few very common
# ones): given 4,000 keys it scanned the whole key index, given 2,000 it still looked each
# one up (1M-order store: 0.66-0.74 s per sync in chunks of 10,000, 0.17-0.21 s in 1,000).
MEMBERS_CHUNK = 1000
UNHELD = -1  # no state: ``StoredStates`` marks the keys it read that nobody holds


def load_profiles(conn: Connection, refs: Collection[BuyerRef]) -> dict[BuyerRef, BuyerProfile]:
    return {
        ref: profile_from_json(ref[0], ref[1], text)
        for ref, text in load_profile_texts(conn, refs).items()
    }


def load_profile_texts(conn: Connection, refs: Collection[BuyerRef]) -> dict[BuyerRef, str]:
    """The stored profiles of ``refs`` as stored (JSON), of those that have one."""
    query = (
        "SELECT account_id, buyer_key, profile FROM buyers"
        " WHERE account_id = %s AND profile IS NOT NULL AND buyer_key {}"
    )
    return {
        (AccountId(account), BuyerKey(key)): text
        for account, key, text in pair_rows(conn, query, refs)
    }


def stored_keys(conn: Connection, refs: Collection[BuyerRef]) -> dict[BuyerRef, set[str]]:
    query = (
        "SELECT account_id, buyer_key, key FROM identity_keys"
        " WHERE account_id = %s AND buyer_key {}"
    )
    found: dict[BuyerRef, set[str]] = defaultdict(set)
    for account, buyer_key, key in pair_rows(conn, query, refs):
        found[(AccountId(account), BuyerKey(buyer_key))].add(key)
    return found


def store_all_keys(conn: Connection, *holders: Mapping[str, Sequence[BuyerRef]]) -> None:
    """Store every key anew with its holders (each sorted), forgetting all others: a full
    run. Rows go in primary-key order with the buyer index dropped, which is then built
    by sorting: the keys of a million orders (ten million rows) would otherwise go into
    two B-trees in random order, several times slower. ``holders`` may come in parts whose
    keys never collide (blocking and frequency keys). Then PostgreSQL analyzes them."""
    conn.execute(delete(schema.identity_keys))
    conn.execute(delete(schema.identity_key_counts))
    (by_buyer,) = schema.identity_keys.indexes
    by_buyer.drop(conn)
    held = [(key, refs) for part in holders for key, refs in part.items()]
    held.sort(key=lambda item: item[0])
    _load(conn, _KEYS, ((key, *ref) for key, refs in held for ref in refs))
    by_buyer.create(conn)
    _load(conn, _COUNTS, ((key, len(refs)) for key, refs in held))
    analyze_keys(conn)


def _load(conn: Connection, how: tuple[str, str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Insert ``rows`` into an emptied table (``how``: its insert statement, its COPY):
    PostgreSQL's COPY, a bulk load several times as fast as a million inserts even
    pipelined; batched inserts on SQLite."""
    insert_one, copy_in = how
    if conn.dialect.name != "postgresql":
        _run(conn, insert_one, rows)
        return
    driver: Any = conn.connection.driver_connection
    with driver.cursor() as cursor, cursor.copy(copy_in) as copy:
        for row in rows:
            copy.write_row(row)


def replace_keys(
    conn: Connection,
    keys: Mapping[BuyerRef, Collection[str]],
    old: Mapping[BuyerRef, Collection[str]] | None = None,
) -> dict[str, int]:
    """Store each buyer's keys instead of its ``old`` ones (as ``stored_keys`` read them;
    ``None``: neither these buyers nor these keys are stored yet), and keep the counts with
    them. Only the keys a buyer gained or lost are written (a returning buyer keeps most of
    its keys); rows go in batches, never all held at once. Returns how the count of each key
    moved (keys whose count stayed are left out)."""
    before = old or {}
    _write_keys(
        conn,
        "DELETE FROM identity_keys WHERE key = %s AND account_id = %s AND buyer_key = %s",
        before,
        keys,
    )
    _write_keys(conn, _INSERT_KEY, keys, before)
    moves: Counter[str] = Counter(key for held in keys.values() for key in held)
    moves.subtract(key for held in before.values() for key in held)
    moved = {key: n for key, n in moves.items() if n}
    _count(conn, moved, is_empty=old is None)
    return moved


def _write_keys(
    conn: Connection,
    statement: str,
    keys: Mapping[BuyerRef, Collection[str]],
    unless: Mapping[BuyerRef, Collection[str]],
) -> None:
    """Run ``statement`` for each (key, account, buyer key) of ``keys`` not in ``unless``."""
    rows = (
        (key, *ref)
        for ref in sorted(keys)
        for key in sorted(set(keys[ref]).difference(unless.get(ref, ())))
    )
    _run(conn, statement, rows)


def _run(conn: Connection, statement: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """Run ``statement`` (driver SQL, ``%s`` marks) once per row, in batches."""
    for batch in chunks(rows, 20000):
        conn.exec_driver_sql(driver_sql(conn, statement), batch)


def _count(conn: Connection, moves: Mapping[str, int], *, is_empty: bool) -> None:
    """Add ``moves`` to the holder counts; a key nobody holds any more loses its row."""
    c = schema.identity_key_counts
    rows = sorted(moves.items())
    statement = _INSERT_COUNT
    if not is_empty:
        statement += (
            " ON CONFLICT (key) DO UPDATE SET holders = identity_key_counts.holders"
            " + excluded.holders"
        )
    _run(conn, statement, rows)
    for gone in chunks(key for key, n in rows if n < 0):
        conn.execute(delete(c).where(one_of(c.c.key, gone), c.c.holders <= 0))


def key_counts(conn: Connection, keys: Collection[str]) -> dict[str, int]:
    """How many buyers hold each of ``keys`` (keys nobody holds are left out)."""
    query = "SELECT key, holders FROM identity_key_counts WHERE key {}"
    return {key: int(n) for key, n in rows_in(conn, query, keys)}


def key_members(conn: Connection, keys: Collection[str]) -> dict[str, list[BuyerRef]]:
    """The buyers holding each of ``keys``, sorted (keys nobody holds are left out)."""
    query = "SELECT key, account_id, buyer_key FROM identity_keys WHERE key {}"
    members: dict[str, list[BuyerRef]] = defaultdict(list)
    for key, account, buyer_key in rows_in(conn, query, keys, array_chunk=MEMBERS_CHUNK):
        members[key].append((AccountId(account), BuyerKey(buyer_key)))
    for refs in members.values():
        refs.sort()
    return members


class StoredStates(Mapping[str, int]):
    """Key states (``pipeline.states``) as the stored counts say, read as they are asked for:
    ``fetch`` reads many keys at once, and a key asked for unfetched is read then. So scores
    see the state of every key they look at, as in a full run, whichever buyers a run holds
    (a key nobody holds is absent, as there). ``given`` holds entries that are no stored key:
    the number of buyers' state and the name policies."""

    def __init__(self, conn: Connection, given: Mapping[str, int]) -> None:
        self._conn = conn
        self._states = dict(given)  # a key read that nobody holds: UNHELD

    def fetch(self, keys: Iterable[str]) -> None:
        wanted = {key for key in keys if key not in self._states}
        counts = key_counts(self._conn, wanted)
        self._states.update(dict.fromkeys(wanted, UNHELD))
        self._states.update({key: key_state(n) for key, n in counts.items()})

    def _read(self, key: str) -> int:
        if is_given_key(key):  # not among the stored keys: held by nobody unless given
            self._states[key] = UNHELD
        else:
            self.fetch((key,))
        return self._states[key]

    @overload
    def get(self, key: str, /) -> int | None: ...

    @overload
    def get(self, key: str, /, default: int | T) -> int | T: ...

    def get(self, key: str, /, default: object = None) -> object:
        found = self._states.get(key)  # scores ask this hundreds of thousands of times
        if found is None:
            found = self._read(key)
        return default if found == UNHELD else found

    def __getitem__(self, key: str) -> int:
        found = self._states.get(key)
        if found is None:
            found = self._read(key)
        if found == UNHELD:
            raise KeyError(key)
        return found

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __iter__(self) -> Iterator[str]:
        """The entries read so far."""
        return (key for key, state in self._states.items() if state != UNHELD)

    def __len__(self) -> int:
        return sum(1 for _ in self)


def profiled_among(conn: Connection, refs: Collection[BuyerRef]) -> set[BuyerRef]:
    """Which of ``refs`` already have a stored profile."""
    query = (
        "SELECT account_id, buyer_key FROM buyers"
        " WHERE account_id = %s AND profile IS NOT NULL AND buyer_key {}"
    )
    return {(AccountId(a), BuyerKey(k)) for a, k in pair_rows(conn, query, refs)}


def profiled_buyer_count(conn: Connection, *, at_most: int) -> int:
    """How many buyers have a profile, counted up to ``at_most`` (a sync needs only the
    count's state, the same for every count from ``states.SATURATED`` on: counting half a
    million buyers took 55-85 ms per sync on PostgreSQL)."""
    b = schema.buyers
    held = select(b.c.account_id).where(b.c.profile.is_not(None)).limit(at_most).subquery()
    return int(conn.execute(select(func.count()).select_from(held)).scalar() or 0)
