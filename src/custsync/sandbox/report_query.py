"""Parameters of the Reports API as Amazon reads them: the ``createReport`` body and the
``getReports`` query (which its ``nextToken`` carries whole, so the token stands alone)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from custsync.sandbox.amazon_query import InvalidQuery, single_value
from custsync.sandbox.catalog import Account
from custsync.sandbox.sealed import BadToken, Sealer

Params = Mapping[str, Sequence[str]]
RETENTION_S = 90 * 86_400


class Listed(Protocol):
    """What ``getReports`` filters a report job by."""

    @property
    def report_type(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def marketplace_ids(self) -> list[str]: ...
    @property
    def created_s(self) -> int: ...


@dataclass(frozen=True, slots=True)
class ListQuery:
    """A ``getReports`` query (sealed whole into its ``nextToken``)."""

    report_types: tuple[str, ...]
    statuses: tuple[str, ...]
    marketplace_ids: tuple[str, ...]
    since_s: int
    until_s: int
    page_size: int
    offset: int = 0

    def seal(self, sealer: Sealer, offset: int) -> str:
        return sealer.seal(
            {
                "t": list(self.report_types),
                "s": list(self.statuses),
                "m": list(self.marketplace_ids),
                "a": self.since_s,
                "b": self.until_s,
                "n": self.page_size,
                "o": offset,
            }
        )

    @classmethod
    def unseal(cls, sealer: Sealer, token: str) -> ListQuery:
        try:
            data = sealer.open(token)
            return cls(
                tuple(str(v) for v in data["t"]),  # type: ignore[attr-defined]
                tuple(str(v) for v in data["s"]),  # type: ignore[attr-defined]
                tuple(str(v) for v in data["m"]),  # type: ignore[attr-defined]
                int(str(data["a"])),
                int(str(data["b"])),
                int(str(data["n"])),
                int(str(data["o"])),
            )
        except (BadToken, KeyError, TypeError, ValueError):
            raise InvalidQuery("nextToken is not valid") from None

    def lists(self, job: Listed, now_s: int) -> bool:
        return (
            job.report_type in self.report_types
            and (not self.statuses or job.status in self.statuses)
            and (
                not self.marketplace_ids
                or bool(set(job.marketplace_ids) & set(self.marketplace_ids))
            )
            and self.since_s <= job.created_s <= self.until_s
            and job.created_s >= now_s - RETENTION_S
        )


def read_body(body: bytes) -> Mapping[str, object]:
    try:
        spec = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidQuery("the body is not a JSON CreateReportSpecification") from None
    if not isinstance(spec, dict):
        raise InvalidQuery("the body is not a JSON CreateReportSpecification")
    return spec


def marketplaces(value: object, account: Account) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) for v in value):
        raise InvalidQuery("marketplaceIds is required")
    foreign = [mp for mp in value if mp not in account.marketplace_ids]
    if foreign:
        raise InvalidQuery(f"marketplaceIds: {foreign[0]} is not valid for this seller")
    return [str(mp) for mp in value]


def time_value(spec: Mapping[str, object], name: str, default_s: int) -> int:
    value = spec.get(name)
    if value is None:
        return default_s
    if not isinstance(value, str):
        raise InvalidQuery(f"{name} is not an ISO 8601 date-time")
    return parse(value, name)


def param_time(params: Params, name: str, default_s: int) -> int:
    text = single_value(params, name)
    return default_s if text is None else parse(text, name)


def parse(text: str, name: str) -> int:
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidQuery(f"{name} is not an ISO 8601 date-time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp())
