"""The Amazon orders of a world, indexed for searchOrders, getOrder and the reports.

Per account: orders by creation time, and every status change, return and feedback by time
(packed as ``at_s << 24 | position`` in sorted ``array``s), so a window is two bisections. The
result of a query (its snapshot) is cached, so paging through it costs one slice per page.
"""

from __future__ import annotations

import bisect
import threading
from array import array
from collections import OrderedDict
from collections.abc import Iterable, Sequence

from custsync.records import MarketplaceKind
from custsync.sandbox.amazon_query import SearchQuery
from custsync.sandbox.orders import SimOrder, StatusChange

_POSITION_BITS = 24
_POSITION_MASK = (1 << _POSITION_BITS) - 1
_CACHED_QUERIES = 16

Match = tuple[SimOrder, StatusChange]


class AccountOrders:
    def __init__(self, orders: list[SimOrder]) -> None:
        if len(orders) > _POSITION_MASK:
            raise ValueError("too many orders in one account for the sandbox index")
        self.orders = orders  # creation order
        self.created_s = array("q", (order.created_at_s for order in orders))
        self.changes = _packed(
            (change.at_s, position)
            for position, order in enumerate(orders)
            for change in order.history
        )
        self.returns = _packed(
            (order.returns[0].returned_at_s, position)
            for position, order in enumerate(orders)
            if order.returns
        )
        self.feedback = _packed(
            (order.feedback.left_at_s, position)
            for position, order in enumerate(orders)
            if order.feedback is not None
        )

    def candidates(self, query: SearchQuery) -> Iterable[int]:
        if query.by == "created":
            low = bisect.bisect_left(self.created_s, query.after_s)
            return range(low, bisect.bisect_right(self.created_s, query.before_s))
        return sorted(set(between(self.changes, query.after_s, query.before_s)))


def between(packed: array[int], after_s: int, before_s: int) -> list[int]:
    """Positions of the packed events with ``after_s <= at_s <= before_s``, in time order."""
    low = bisect.bisect_left(packed, after_s << _POSITION_BITS)
    high = bisect.bisect_right(packed, before_s << _POSITION_BITS | _POSITION_MASK)
    return [packed[k] & _POSITION_MASK for k in range(low, high)]


def _packed(events: Iterable[tuple[int, int]]) -> array[int]:
    return array("q", sorted(at_s << _POSITION_BITS | position for at_s, position in events))


class OrderBook:
    def __init__(self, orders: Iterable[SimOrder]) -> None:
        by_account: dict[str, list[SimOrder]] = {}
        self._by_id: dict[str, SimOrder] = {}
        for order in orders:
            if order.account.kind is MarketplaceKind.AMAZON:
                by_account.setdefault(order.account.id, []).append(order)
                self._by_id[order.order_id] = order
        self._accounts = {key: AccountOrders(value) for key, value in by_account.items()}
        self._cache: OrderedDict[tuple[str, str, int], list[Match]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._by_id)

    def account(self, account_id: str) -> AccountOrders | None:
        return self._accounts.get(account_id)

    def get(self, account_id: str, order_id: str) -> SimOrder | None:
        order = self._by_id.get(order_id)
        return order if order is not None and order.account.id == account_id else None

    def search(self, account_id: str, query: SearchQuery) -> Sequence[Match]:
        """Matches sorted by (lastUpdatedTime as of the snapshot, orderId)."""
        key = (account_id, query.fingerprint, query.before_s)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
        matches = self._match(account_id, query)
        with self._lock:
            self._cache[key] = matches
            while len(self._cache) > _CACHED_QUERIES:
                self._cache.popitem(last=False)
        return matches

    def _match(self, account_id: str, query: SearchQuery) -> list[Match]:
        index = self._accounts.get(account_id)
        if index is None:
            return []
        matches = []
        for position in index.candidates(query):
            order = index.orders[position]
            state = order.state_at(query.before_s)
            if state is None or (query.by == "lastUpdated" and state.at_s < query.after_s):
                continue
            if _is_selected(order, state, query):
                matches.append((order, state))
        matches.sort(key=lambda match: (match[1].at_s, match[0].order_id))
        return matches


def _is_selected(order: SimOrder, state: StatusChange, query: SearchQuery) -> bool:
    if order.marketplace.id not in query.marketplace_ids:
        return False
    if query.statuses and state.status.value not in query.statuses:
        return False
    fulfilled_by = "AMAZON" if order.is_fulfilled_by_amazon else "MERCHANT"
    return not query.fulfilled_by or fulfilled_by in query.fulfilled_by
