"""Identity data in the store: buyer keys, links, learnt parameters (operator overrides:
``store.overrides``).

Connection-level functions run inside the caller's transaction (a rebuild is one); the
``store``-level ones open their own. Buyers are written in links as ``ACCOUNT:KEY`` (account
ids never hold a colon).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Connection,
    bindparam,
    case,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)

from custsync.errors import StoreError
from custsync.pipeline.facts import BuyerRef
from custsync.pipeline.identity import Link
from custsync.pipeline.scoring import Rule
from custsync.records import AccountId, BuyerKey
from custsync.store import schema
from custsync.store.db import Store
from custsync.store.refs import chunks, insert_rows, one_of, over_arrays, rows_in


def ref_text(ref: BuyerRef) -> str:
    return f"{ref[0]}:{ref[1]}"


def parse_ref(text: str) -> BuyerRef:
    """``ACCOUNT:KEY`` → (account, key); the key may itself hold colons (``weak:...``)."""
    account, sep, key = text.partition(":")
    if not sep or not account or not key:
        raise StoreError(f"buyer {text!r} is not ACCOUNT:KEY")
    return AccountId(account), BuyerKey(key)


# ---------------------------------------------------------------- links


def _link_row(link: Link, customer_id: str, now: datetime) -> dict[str, Any]:
    return {
        "customer_id": customer_id,
        "buyer_a": ref_text(link.a),
        "buyer_b": ref_text(link.b),
        "rule": link.rule.value,
        "score": float(link.score),  # one type per column: PostgreSQL writes them as arrays
        "evidence": evidence_text(link),
        "created_at": now,
        "is_link": bool(link.is_link),
        "names_conflict": bool(link.names_conflict),
        "is_sure": bool(link.is_sure),
        "has_typos": bool(link.has_typos),
    }


def evidence_text(link: Link) -> str:
    """A link's evidence as stored: JSON, field by field."""
    return json.dumps(dict(link.evidence), ensure_ascii=False, sort_keys=True)


def reworded(conn: Connection, links: Iterable[Link]) -> set[tuple[BuyerRef, BuyerRef]]:
    """The pairs of ``links`` (each stored for its pair, with the same outcome) whose stored
    evidence reads otherwise: another of their addresses or names weighs most now."""
    wanted = {(ref_text(x.a), ref_text(x.b)): x for x in links}
    query = "SELECT buyer_a, buyer_b, evidence FROM identity_links WHERE buyer_a {}"
    return {
        (link.a, link.b)
        for a, b, text in rows_in(conn, query, {a for a, _ in wanted})
        if (link := wanted.get((a, b))) is not None and text != evidence_text(link)
    }


def _touching(refs: Sequence[BuyerRef]) -> Any:
    texts = [ref_text(ref) for ref in refs]
    t = schema.identity_links
    return or_(one_of(t.c.buyer_a, texts), one_of(t.c.buyer_b, texts))


def add_links(conn: Connection, links: Iterable[Link], *, now: datetime) -> None:
    insert_rows(conn, schema.identity_links, [_link_row(link, "", now) for link in links])


SureMoves = dict[str, tuple[int, int]]  # account → change in its sure links, and with typos


def replace_links(
    conn: Connection, old: Iterable[Link], new: Iterable[Link], *, now: datetime
) -> SureMoves:
    """Store ``new`` instead of the stored links ``old`` (as ``links_touching`` read them). A
    pair in both keeps its row, rewritten in place (its id and customer stay: fewer pages
    to write than a new row in every index), a pair only in ``old`` loses it, and a pair only
    in ``new`` gets one. Returns how each account's ``sure_link_counts`` moved."""
    t = schema.identity_links
    old, new = list(old), list(new)
    before = {(x.a, x.b) for x in old}
    after = {(x.a, x.b): x for x in new}
    gone = [{"a": ref_text(a), "b": ref_text(b)} for a, b in sorted(before - after.keys())]
    rows = [_link_row(x, "", now) for key, x in sorted(after.items()) if key in before]
    kept = [
        {"a": r["buyer_a"], "b": r["buyer_b"]} | {f"v_{n}": r[n] for n in _REWRITTEN} for r in rows
    ]
    if conn.dialect.name == "postgresql":  # the rows' keys are in the statements' order
        over_arrays(conn, _DELETE_PAIRS, [tuple(row.values()) for row in gone])
        over_arrays(conn, _REWRITE_PAIRS, [tuple(row.values()) for row in kept])
    else:
        pair = (t.c.buyer_a == bindparam("a"), t.c.buyer_b == bindparam("b"))
        rewrite = update(t).where(*pair).values({n: bindparam(f"v_{n}") for n in _REWRITTEN})
        for statement, params in ((delete(t).where(*pair), gone), (rewrite, kept)):
            for chunk in chunks(params, 2000):
                conn.execute(statement, chunk)
    add_links(conn, [x for key, x in sorted(after.items()) if key not in before], now=now)
    return sure_moves(old, new)


def sure_moves(old: Iterable[Link], new: Iterable[Link]) -> SureMoves:
    """How replacing the links ``old`` by ``new`` moves each account's sure links (both
    buyers in it) and those of them with typos; accounts that do not move are left out."""
    moves: dict[str, list[int]] = {}
    for sign, links in ((-1, old), (1, new)):
        for link in links:
            if link.is_sure and link.a[0] == link.b[0]:
                held = moves.setdefault(link.a[0], [0, 0])
                held[0] += sign
                held[1] += sign * link.has_typos
    return {account: (sure, typos) for account, (sure, typos) in moves.items() if sure or typos}


_REWRITTEN = [
    "rule",
    "score",
    "evidence",
    "created_at",
    "is_link",
    "names_conflict",
    "is_sure",
    "has_typos",
]
# The same on PostgreSQL, over the pairs as arrays (``refs.over_arrays``)
_DELETE_PAIRS = (
    "DELETE FROM identity_links AS t USING unnest(%b::text[], %b::text[]) AS r (a, b)"
    " WHERE t.buyer_a = r.a AND t.buyer_b = r.b"
)
_REWRITE_PAIRS = (
    "UPDATE identity_links AS t SET "  # noqa: S608 (the schema's column names)
    + ", ".join(f"{name} = r.{name}" for name in _REWRITTEN)
    + " FROM unnest(%b::text[], %b::text[], %b::text[], %b::float8[], %b::text[],"
    " %b::timestamptz[], %b::bool[], %b::bool[], %b::bool[], %b::bool[]) AS r (a, b, "
    + ", ".join(_REWRITTEN)
    + ") WHERE t.buyer_a = r.a AND t.buyer_b = r.b"
)


def links_touching(conn: Connection, refs: Collection[BuyerRef]) -> list[Link]:
    """Every stored link touching ``refs``, as clustering and rescoring compare them: without
    their evidence (it is for ``--why`` only, and never part of a link's equality)."""
    texts = [ref_text(ref) for ref in refs]
    found = {
        (row[0], row[1]): row
        for side in ("buyer_a", "buyer_b")
        for row in rows_in(conn, _LINKS_WHERE.format(side=side), texts)
    }
    return sorted(map(_link_of, found.values()), key=_pair)


def links_between(conn: Connection, pairs: Collection[tuple[BuyerRef, BuyerRef]]) -> list[Link]:
    """The stored links of these pairs (each ``a < b``), as ``links_touching`` reads them."""
    wanted = {(ref_text(a), ref_text(b)) for a, b in pairs}
    firsts = {a for a, _ in wanted}
    found = [
        row
        for row in rows_in(conn, _LINKS_WHERE.format(side="buyer_a"), firsts)
        if (row[0], row[1]) in wanted
    ]
    return sorted(map(_link_of, found), key=_pair)


def explained_links(
    conn: Connection, pairs: Collection[tuple[BuyerRef, BuyerRef]]
) -> dict[tuple[BuyerRef, BuyerRef], Link]:
    """The stored links of these pairs (each ``a < b``) with their evidence, by pair."""
    t = schema.identity_links
    wanted = {(ref_text(a), ref_text(b)): (a, b) for a, b in pairs}
    found: dict[tuple[BuyerRef, BuyerRef], Link] = {}
    for chunk in chunks(sorted({a for a, _ in wanted})):
        for row in conn.execute(select(t).where(one_of(t.c.buyer_a, chunk))):
            if pair := wanted.get((row.buyer_a, row.buyer_b)):
                evidence = tuple(json.loads(row.evidence or "{}").items())
                marks = (
                    bool(row.is_link),
                    bool(row.names_conflict),
                    bool(row.is_sure),
                    bool(row.has_typos),
                )
                found[pair] = Link(*pair, _RULES[row.rule], float(row.score), evidence, *marks)
    return found


# Plain driver SQL (``refs.rows_in``): a sync reads tens of thousands of links.
_LINKS_WHERE = (
    "SELECT buyer_a, buyer_b, rule, score, is_link, names_conflict, is_sure, has_typos"
    " FROM identity_links WHERE {side} {{}}"
)
_RULES = {rule.value: rule for rule in Rule}


def _pair(link: Link) -> tuple[BuyerRef, BuyerRef]:
    return link.a, link.b


def _link_of(row: Any) -> Link:
    a, b, rule, score, is_link, conflict, sure, typos = row
    marks = bool(is_link), bool(conflict), bool(sure), bool(typos)
    return Link(parse_ref(a), parse_ref(b), _RULES[rule], float(score), (), *marks)


def set_link_customers(conn: Connection, customer_of: Mapping[BuyerRef, str]) -> None:
    """Each link touching these buyers belongs to the customer of its first buyer (only rows
    that say otherwise are written: most of them already do)."""
    t = schema.identity_links
    rows = [{"a": ref_text(ref), "cid": cid} for ref, cid in sorted(customer_of.items())]
    if conn.dialect.name == "postgresql":
        over_arrays(conn, _SET_CUSTOMERS, [(row["a"], row["cid"]) for row in rows])
        return
    statement = (
        update(t)
        .where(t.c.buyer_a == bindparam("a"), t.c.customer_id != bindparam("cid"))
        .values(customer_id=bindparam("cid"))
    )
    for chunk in chunks(rows, 2000):
        conn.execute(statement, list(chunk))


_SET_CUSTOMERS = (
    "UPDATE identity_links AS t SET customer_id = r.cid"
    " FROM unnest(%b::text[], %b::text[]) AS r (a, cid)"
    " WHERE t.buyer_a = r.a AND t.customer_id <> r.cid"
)


def unowned_link_firsts(conn: Connection) -> list[BuyerRef]:
    """The first buyers of links that belong to no customer yet: a pair kept apart is written
    when its second buyer is resolved, and its first buyer's customer may not be recomputed."""
    t = schema.identity_links
    query = select(t.c.buyer_a).where(t.c.customer_id == "").distinct()
    return sorted(parse_ref(a) for (a,) in conn.execute(query))


def sure_link_counts(conn: Connection, account_ids: Collection[str]) -> dict[str, tuple[int, int]]:
    """Per account: sure links with both buyers in it, and how many of them had typos (one
    pass over the sure links for all of them). Runs keep these counts as parameters
    (``name_policy``) and read them here only for an account they have none for."""
    t = schema.identity_links
    accounts = sorted(account_ids)
    if not accounts:
        return {}
    columns = []
    for account in accounts:
        prefix = account.replace("_", r"\_") + ":%"
        inside = t.c.buyer_a.like(prefix, escape="\\") & t.c.buyer_b.like(prefix, escape="\\")
        columns += [
            func.sum(case((inside, 1), else_=0)),
            func.sum(case((inside & t.c.has_typos.is_(True), 1), else_=0)),
        ]
    row = conn.execute(select(*columns).where(t.c.is_sure.is_(True))).one()
    return {
        account: (int(row[2 * i] or 0), int(row[2 * i + 1] or 0))
        for i, account in enumerate(accounts)
    }


# ---------------------------------------------------------------- parameters and overrides


def load_params(conn: Connection) -> dict[str, int]:
    p = schema.identity_params
    return {name: int(value) for name, value in conn.execute(select(p.c.name, p.c.value))}


def save_params(conn: Connection, params: Mapping[str, int], *, now: datetime) -> None:
    p = schema.identity_params
    if params:
        conn.execute(delete(p).where(one_of(p.c.name, sorted(params))))
        rows = [{"name": k, "value": v, "updated_at": now} for k, v in sorted(params.items())]
        conn.execute(insert(p), rows)


# ---------------------------------------------------------------- explanations


@dataclass(frozen=True, slots=True)
class IdentityLink:
    """One stored finding about two buyers of a customer, for ``customers show --why``."""

    customer_id: str
    buyer_a: str  # ACCOUNT:KEY
    buyer_b: str
    rule: str  # override | email | phone | name_address
    score: float  # match weight in bits (higher: surer)
    is_link: bool  # False: the two were kept apart (a household behind one phone or house)
    evidence: tuple[tuple[str, str], ...]  # (field, what agreed or differed)
    created_at: datetime


def identity_links_for(store: Store, customer_id: str) -> list[IdentityLink]:
    """Every stored link touching a buyer of ``customer_id``: the links that joined its
    buyers and the pairs kept apart, strongest first."""
    with store.engine.connect() as conn:
        b = schema.buyers
        refs = [
            (AccountId(a), BuyerKey(k))
            for a, k in conn.execute(
                select(b.c.account_id, b.c.buyer_key).where(b.c.customer_id == customer_id)
            )
        ]
        t = schema.identity_links
        rows = []
        for chunk in chunks(sorted(refs)):
            rows += list(conn.execute(select(t).where(_touching(chunk))))
    unique = {(row.buyer_a, row.buyer_b): row for row in rows}
    links = [_explained(customer_id, row) for row in unique.values()]
    return sorted(links, key=lambda x: (not x.is_link, Rule(x.rule).rank, -x.score, x.buyer_a))


def _explained(customer_id: str, row: Any) -> IdentityLink:
    return IdentityLink(
        customer_id=customer_id,
        buyer_a=row.buyer_a,
        buyer_b=row.buyer_b,
        rule=row.rule,
        score=row.score,
        is_link=bool(row.is_link),
        evidence=tuple(json.loads(row.evidence or "{}").items()),
        created_at=row.created_at,
    )
