"""Sandbox world orders as the Amazon connector maps them, without a server: rendered in the
Orders API shape at their final state and mapped by ``connectors.amazon.mapping``."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from custsync.connectors.amazon.mapping import map_order
from custsync.connectors.base import Cursor, Page
from custsync.records import MarketplaceKind, Order, StreamName
from custsync.sandbox.amazon_payloads import INCLUDED_DATA, render_order
from custsync.sandbox.people import Person
from custsync.sandbox.world import World
from custsync.store.db import Store
from custsync.store.ingest import write_page
from custsync.store.state import register_account


@dataclass(frozen=True, slots=True)
class WorldOrder:
    order: Order
    person: Person


def amazon_orders(world: World) -> Iterator[WorldOrder]:
    """Every Amazon order of ``world`` that maps, with the person who placed it."""
    for sim in world.iter_orders():
        if sim.account.kind is not MarketplaceKind.AMAZON:
            continue
        raw = render_order(world.seed, sim, sim.final, INCLUDED_DATA)
        mapped = map_order(
            raw, account_id=sim.account.id, marketplace_ids=sim.account.marketplace_ids
        )
        if isinstance(mapped, Order):
            yield WorldOrder(mapped, sim.person)


def ingest(store: Store, orders: list[Order], *, now: datetime) -> None:
    """Store ``orders`` page by page, per account, as a sync would."""
    by_account: dict[str, list[Order]] = {}
    for order in orders:
        by_account.setdefault(order.account_id, []).append(order)
    for _, found in sorted(by_account.items()):
        register_account(store, found[0].account_id, "amazon", None, now=now)
        for start in range(0, len(found), 500):
            page = Page(found[start : start + 500], [], Cursor())
            write_page(store, found[0].account_id, StreamName.ORDERS, page, run_id="t", now=now)
