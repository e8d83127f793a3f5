"""What a connector is: streams that turn a saved cursor into pages of canonical records.

The engine (``custsync.sync``) owns the loop: it hands a stream its saved ``Cursor``, stores
each ``Page`` in one transaction together with ``page.checkpoint`` and stops at the first error.
A stream only declares what it reads and how a position is expressed.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Protocol

from custsync.connectors.stats import RequestStats
from custsync.records import Record, Reject, StreamName


@dataclass(frozen=True, slots=True)
class Cursor:
    """A stream's saved position.

    ``position`` is the last-updated time up to which everything has been read. While a window
    is being paged, ``window_end`` and ``page_token`` say where to resume mid-window; ``extra``
    holds connector state such as a pending report id (strings only, so it serialises as JSON).
    """

    position: datetime | None = None
    window_end: datetime | None = None
    page_token: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def is_mid_window(self) -> bool:
        return self.window_end is not None

    def with_extra(self, **values: str | None) -> Cursor:
        merged = {k: v for k, v in {**self.extra, **values}.items() if v is not None}
        return replace(self, extra=merged)

    def to_json(self) -> str:
        return json.dumps(
            {
                "position": _iso(self.position),
                "window_end": _iso(self.window_end),
                "page_token": self.page_token,
                "extra": dict(sorted(self.extra.items())),
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str | None) -> Cursor:
        if not text:
            return cls()
        data = json.loads(text)
        return cls(
            position=_parse(data.get("position")),
            window_end=_parse(data.get("window_end")),
            page_token=data.get("page_token"),
            extra={str(k): str(v) for k, v in (data.get("extra") or {}).items()},
        )


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _parse(value: object) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) else None


@dataclass(frozen=True, slots=True)
class Page:
    """One unit of work: stored and checkpointed in a single transaction."""

    records: Sequence[Record]
    rejects: Sequence[Reject]
    checkpoint: Cursor
    requests: int = 1


class Stream(Protocol):
    """One kind of record from one account."""

    @property
    def name(self) -> StreamName: ...

    def read(self, cursor: Cursor, *, now: datetime) -> Iterator[Page]:
        """Yield pages from ``cursor`` up to a bounded end no later than ``now``."""
        ...


class Connector(Protocol):
    """The streams an account offers."""

    @property
    def streams(self) -> Mapping[StreamName, Stream]: ...

    @property
    def stats(self) -> RequestStats:
        """Requests made so far, per operation (for sync_runs and status)."""
        ...

    def close(self) -> None: ...
