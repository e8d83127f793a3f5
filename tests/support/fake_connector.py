"""A connector without HTTP: one stream of a few pages of orders, hooks between pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime, timedelta

from custsync.connectors.base import Connector, Cursor, Page, Stream
from custsync.connectors.http import Clock
from custsync.connectors.stats import RequestStats
from custsync.records import AccountId, StreamName
from custsync.settings import AccountConfig
from tests.support.records import order

T0 = datetime(2026, 2, 1, tzinfo=UTC)


class PagedStream:
    """``pages`` pages of one order each; ``between`` runs when the next page is asked for."""

    def __init__(
        self,
        account: str = "acct",
        *,
        name: StreamName = StreamName.ORDERS,
        pages: int = 3,
        between: Callable[[int], None] | None = None,
    ) -> None:
        self.name = name
        self.cursors: list[Cursor] = []
        self._account, self._pages, self._between = AccountId(account), pages, between

    def read(self, cursor: Cursor, *, now: datetime) -> Iterator[Page]:
        self.cursors.append(cursor)
        for index in range(self._pages):
            position = T0 + timedelta(hours=index + 1)
            record = order(f"{self.name.value}-{index}", account=self._account)
            yield Page([record], [], Cursor(position=position))
            if self._between is not None:
                self._between(index)


class FakeConnector:
    def __init__(self, *streams: PagedStream) -> None:
        self._streams: Mapping[StreamName, Stream] = {s.name: s for s in streams}
        self.stats = RequestStats()

    @property
    def streams(self) -> Mapping[StreamName, Stream]:
        return self._streams

    def close(self) -> None:
        pass


def factory_of(*streams: PagedStream) -> Callable[[AccountConfig, Clock], Connector]:
    return lambda _account, _clock: FakeConnector(*streams)
