"""One Shopify or eBay account's orders, for queries by update time.

An order is *updated* by each status change and by each return (Shopify refund, eBay return:
both move the order's ``updated_at`` / ``lastModifiedDate``). Queries see the world as of the
sandbox clock: an order not yet created is invisible, later changes are not there yet.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from custsync.sandbox.orders import Return, SimOrder, StatusChange


@dataclass(frozen=True, slots=True)
class OrderView:
    """An order as it stands at a moment."""

    order: SimOrder
    number: int  # 1-based position in the account (Shopify's order number - 1000)
    state: StatusChange
    returns: tuple[Return, ...]  # those already made
    updated_s: int


class AccountBook:
    def __init__(self, orders: Sequence[SimOrder]) -> None:
        self.orders = list(orders)  # creation order
        self._position = {order.order_id: n for n, order in enumerate(self.orders)}
        self._first_order_s: dict[int, int] = {}
        for order in self.orders:
            self._first_order_s.setdefault(order.person.index, order.created_at_s)

    def __len__(self) -> int:
        return len(self.orders)

    def first_order_s(self, person_index: int) -> int:
        return self._first_order_s[person_index]

    def view(self, order: SimOrder, now_s: int) -> OrderView | None:
        state = order.state_at(now_s)
        if state is None:
            return None
        returns = tuple(item for item in order.returns if item.returned_at_s <= now_s)
        updated_s = max(state.at_s, max((item.returned_at_s for item in returns), default=0))
        return OrderView(order, self._position[order.order_id] + 1, state, returns, updated_s)

    def get(self, order_id: str, now_s: int) -> OrderView | None:
        position = self._position.get(order_id)
        return None if position is None else self.view(self.orders[position], now_s)

    def views(self, now_s: int) -> Iterator[OrderView]:
        """Every order visible at ``now_s``, in creation order."""
        for order in self.orders:
            if order.created_at_s > now_s:
                return
            view = self.view(order, now_s)
            if view is not None:
                yield view
