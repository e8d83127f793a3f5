"""Each account's name policy in the store, learnt from its sure links (``pipeline.states``).

A full run counts every account's sure links (both buyers in the account) and those with
typos from the links it finds. The counts are kept as identity parameters next to the policy,
and every later link change moves them (``store.identity.replace_links`` says by how much),
so an incremental run re-learns the policy of the accounts it touched without reading their
links again: its cost stays with what it touched, however many links the store holds.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from sqlalchemy import Connection

from custsync.pipeline.identity import Link
from custsync.pipeline.states import is_noisy, tolerant_key
from custsync.store.identity import SureMoves, save_params, sure_link_counts, sure_moves

NOISY_PARAM = "noisy:"
SURE_PARAM = "sure_links:"
TYPOS_PARAM = "sure_typos:"


def policy_states(params: dict[str, int]) -> dict[str, int]:
    """The states entries saying which accounts' first names are not trusted."""
    return {
        tolerant_key(name[len(NOISY_PARAM) :]): 1
        for name, value in params.items()
        if name.startswith(NOISY_PARAM) and value
    }


def learn_policy(links: Iterable[Link], accounts: set[str], params: dict[str, int]) -> set[str]:
    """Count each account's sure links in ``links`` (every link found) and set its policy
    from them, in ``params``; return the noisy accounts."""
    counts = sure_moves((), links)  # the moves from no links at all: the counts
    for account in accounts:
        _set(params, account, *counts.get(account, (0, 0)))
    return {account for account in accounts if params[NOISY_PARAM + account]}


def update_policy(
    conn: Connection,
    accounts: Collection[str],
    params: dict[str, int],
    moves: SureMoves,
    *,
    now: datetime,
) -> set[str]:
    """Move the counts of ``accounts`` by ``moves`` (the links they lost and gained), re-learn
    their policy and store both; return the accounts whose policy flipped. An account with
    no counts yet (a new one, or a store from before they were kept) is counted from its
    stored links, which already hold the moves."""
    touched = set(accounts) | moves.keys()
    counted = sure_link_counts(conn, {a for a in touched if SURE_PARAM + a not in params})
    before = dict(params)
    for account in sorted(touched):
        if account in counted:
            sure, typos = counted[account]
        else:
            sure_move, typos_move = moves.get(account, (0, 0))
            sure = params[SURE_PARAM + account] + sure_move
            typos = params[TYPOS_PARAM + account] + typos_move
        _set(params, account, sure, typos)
    changed = {name: value for name, value in params.items() if before.get(name) != value}
    save_params(conn, changed, now=now)
    return {a for a in touched if before.get(NOISY_PARAM + a, 0) != params[NOISY_PARAM + a]}


def combine(*moves: SureMoves) -> SureMoves:
    total: dict[str, tuple[int, int]] = {}
    for found in moves:
        for account, (sure, typos) in found.items():
            held = total.get(account, (0, 0))
            total[account] = (held[0] + sure, held[1] + typos)
    return total


def _set(params: dict[str, int], account: str, sure: int, typos: int) -> None:
    params[SURE_PARAM + account] = sure
    params[TYPOS_PARAM + account] = typos
    params[NOISY_PARAM + account] = int(is_noisy(sure, typos))
