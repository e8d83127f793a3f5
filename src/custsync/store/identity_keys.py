"""Identity keys and profiles in the store: which buyers hold which blocking or frequency key
(``identity_keys``), how many hold each key held by two or more (``identity_key_counts``, kept
with the keys so that a weight is one lookup, not a count over every holder) and each buyer's
stored profile (``buyers.profile``).

Most keys are held by one buyer (a street and postal code, a name in a town): they have no
count row, and a key without one is held by the one buyer its key row names, or by nobody. A
sync of new buyers then writes no count for most of their keys. A buyer's stored keys are
those of its stored profile (both are written together), so no index of keys by buyer is
kept either.
"""

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
from custsync.store.refs import chunks, driver_sql, one_of, over_arrays, pair_rows, rows_in

T = TypeVar("T")
_INSERT_KEY = "INSERT INTO identity_keys (key, account_id, buyer_key) VALUES (%s, %s, %s)"
_INSERT_COUNT = "INSERT INTO identity_key_counts (key, holders) VALUES (%s, %s)"
_KEYS = (_INSERT_KEY, "COPY identity_keys (key, account_id, buyer_key) FROM STDIN")
_COUNTS = (_INSERT_COUNT, "COPY identity_key_counts (key, holders) FROM STDIN")
# A sync's rows: a statement per row (SQLite), or one over the rows as arrays (PostgreSQL)
_INSERT_KEYS = (
    _INSERT_KEY,
    "INSERT INTO identity_keys (key, account_id, buyer_key)"
    " SELECT * FROM unnest(%b::text[], %b::text[], %b::text[])",
)
_DELETE_KEYS = (
    "DELETE FROM identity_keys WHERE key = %s AND account_id = %s AND buyer_key = %s",
    "DELETE FROM identity_keys AS k"
    " USING unnest(%b::text[], %b::text[], %b::text[]) AS r (key, account_id, buyer_key)"
    " WHERE k.key = r.key AND k.account_id = r.account_id AND k.buyer_key = r.buyer_key",
)
_UPSERT_COUNTS = (
    _INSERT_COUNT + " ON CONFLICT (key) DO UPDATE SET holders = excluded.holders",
    "INSERT INTO identity_key_counts (key, holders) SELECT * FROM unnest(%b::text[], %b::int[])"
    " ON CONFLICT (key) DO UPDATE SET holders = excluded.holders",
)
COUNTED = 2  # a key has a count row from this many holders on
_BATCH = 20000  # rows a statement runs over at once
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


def store_all_keys(conn: Connection, *holders: Mapping[str, Sequence[BuyerRef]]) -> None:
    """Store every key anew with its holders (each sorted), forgetting all others: a full
    run. Rows go in primary-key order: the keys of a million orders (ten million rows) would
    otherwise go into the B-tree in random order, several times slower. ``holders`` may come
    in parts whose keys never collide (blocking and frequency keys). Then PostgreSQL analyzes
    them."""
    conn.execute(delete(schema.identity_keys))
    conn.execute(delete(schema.identity_key_counts))
    held = [(key, refs) for part in holders for key, refs in part.items()]
    held.sort(key=lambda item: item[0])
    _load(conn, _KEYS, ((key, *ref) for key, refs in held for ref in refs))
    _load(conn, _COUNTS, ((key, len(refs)) for key, refs in held if len(refs) >= COUNTED))
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
) -> dict[str, tuple[int, int]]:
    """Store each buyer's keys instead of its ``old`` ones (the keys of its stored profile;
    ``None``: none of these buyers has keys stored yet), and keep the counts with them. Only
    the keys a buyer gained or lost are written (a returning buyer keeps most of its keys);
    rows go in batches, never all held at once. Returns how many buyers held each key whose
    count moved, before and after (keys whose count stayed are left out)."""
    before = old or {}
    moves: Counter[str] = Counter(key for held in keys.values() for key in held)
    moves.subtract(key for held in before.values() for key in held)
    held = key_counts(conn, [key for key, n in moves.items() if n])
    counts = {key: (held.get(key, 0), held.get(key, 0) + n) for key, n in moves.items() if n}
    _write_keys(conn, _DELETE_KEYS, before, keys)
    _write_keys(conn, _INSERT_KEYS, keys, before)
    _count(conn, counts)
    return counts


def _write_keys(
    conn: Connection,
    statement: tuple[str, str],
    keys: Mapping[BuyerRef, Collection[str]],
    unless: Mapping[BuyerRef, Collection[str]],
) -> None:
    """Run ``statement`` for each (key, account, buyer key) of ``keys`` not in ``unless``, in
    key order within each batch: a sync's new keys land all over the table, and in key order
    each write finds the pages above its row as the one before left them."""
    by_buyer = (
        (key, *ref)
        for ref in sorted(keys)
        for key in sorted(set(keys[ref]).difference(unless.get(ref, ())))
    )
    rows = (row for batch in chunks(by_buyer, _BATCH) for row in sorted(batch))
    _each_row(conn, statement, rows)


def _each_row(conn: Connection, how: tuple[str, str], rows: Iterable[tuple[Any, ...]]) -> None:
    """Run a statement once per row (``how``: the statement with a ``%s`` mark per column,
    the one PostgreSQL runs over the columns as arrays: ``refs.over_arrays``)."""
    per_row, over_columns = how
    if conn.dialect.name == "postgresql":
        over_arrays(conn, over_columns, rows)
    else:
        _run(conn, per_row, rows)


def _run(conn: Connection, statement: str, rows: Iterable[tuple[Any, ...]]) -> None:
    """Run ``statement`` (driver SQL, ``%s`` marks) once per row, in batches."""
    for batch in chunks(rows, _BATCH):
        conn.exec_driver_sql(driver_sql(conn, statement), batch)


def _count(conn: Connection, counts: Mapping[str, tuple[int, int]]) -> None:
    """Write the new counts (``counts``: each key's holders before and after): a key held by
    two or more has its row, the others lose theirs."""
    c = schema.identity_key_counts
    kept = sorted((key, after) for key, (_, after) in counts.items() if after >= COUNTED)
    _each_row(conn, _UPSERT_COUNTS, kept)
    dropped = sorted(key for key, (was, now) in counts.items() if was >= COUNTED > now)
    for gone in chunks(dropped):
        conn.execute(delete(c).where(one_of(c.c.key, gone)))


def key_counts(conn: Connection, keys: Collection[str]) -> dict[str, int]:
    """How many buyers hold each of ``keys`` (keys nobody holds are left out): the count
    row's, else 1 for a key that has a holder's row."""
    query = "SELECT key, holders FROM identity_key_counts WHERE key {}"
    counts = {key: int(n) for key, n in rows_in(conn, query, keys)}
    single = "SELECT key FROM identity_keys WHERE key {}"
    counts |= {key: 1 for (key,) in rows_in(conn, single, [k for k in keys if k not in counts])}
    return counts


def key_members(conn: Connection, keys: Collection[str]) -> dict[str, list[BuyerRef]]:
    """The buyers holding each of ``keys``, sorted (keys nobody holds are left out)."""
    query = "SELECT key, account_id, buyer_key FROM identity_keys WHERE key {}"
    members: dict[str, list[BuyerRef]] = defaultdict(list)
    for key, account, buyer_key in rows_in(conn, query, keys):
        members[key].append((AccountId(account), BuyerKey(buyer_key)))
    for refs in members.values():
        refs.sort()
    return members


class StoredStates(Mapping[str, int]):
    """Key states (``pipeline.states``) as the stored counts say, read as they are asked for:
    ``fetch`` reads many keys at once, and a key asked for unfetched is read then. So scores
    see the state of every key they look at, as in a full run, whichever buyers a run holds
    (a key nobody holds is absent, as there). ``given`` holds entries that are no stored key:
    the number of buyers' state and the name policies; ``held``, how many hold keys whose
    count the run knows already (those it has just written)."""

    def __init__(
        self, conn: Connection, given: Mapping[str, int], held: Mapping[str, int] | None = None
    ) -> None:
        self._conn = conn
        self._states = dict(given)  # a key read that nobody holds: UNHELD
        self._states.update({key: key_state(n) if n else UNHELD for key, n in (held or {}).items()})

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
