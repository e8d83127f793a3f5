"""Fault injection: named, seeded profiles, so that a failure seen once reproduces.

``start_sandbox(world, faults="network")`` or ``custsync sandbox serve --faults network``.

=============  ================================================================================
profile        what it does
=============  ================================================================================
none           no faults (the default)
rate-limits    429 storms: a run of 2-5 requests answered 429 exactly as the marketplace does
               (Amazon ``QuotaExceeded``; Shopify ``Retry-After`` and the call-limit header;
               eBay error 2001; Shopify GraphQL ``THROTTLED``), on top of the real quotas
server-errors  500 and 503 answers in each marketplace's error shape
network        dropped connections (no answer), slow answers (``slow_s``, default 35 s: past
               custsync's 30 s client timeout), bodies cut short (``Content-Length`` promises
               more), and 200 answers whose JSON is invalid
bad-records    about 1 order in 100 violates the schema wherever it is served (API or report):
               a bad date, a negative quantity, an unknown status, or no id
paging         follow-up pages repeat the last record of the page before (as offset paging
               does when a record is inserted ahead) and re-serve an earlier record with a
               newer update time (as when it is edited while the client pages)
auth           every access token (Amazon LWA, eBay OAuth) dies after 3-12 uses, long before
               its ``expires_in``: the API answers as for an expired token (Amazon 403, eBay
               401); Shopify's tokens do not expire, so Shopify is unaffected
reports        a third of the Amazon reports end FATAL (with a failure document), and a third
               of the ``getReportDocument`` URLs are already expired when handed out
chaos          all of the above, each at a third of its rate
=============  ================================================================================

Every decision is a hash of (seed, fault, key): request faults are keyed by (account, operation,
the request's number for that pair), record faults by the record id, report faults by the
account's report number. A client that sends the same requests in the same order meets the same
faults. Token endpoints and document downloads are never disturbed by request faults.
"""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class FaultKind(StrEnum):
    RATE_LIMIT_STORM = "rate-limit-storm"
    SERVER_ERROR = "server-error"  # 500
    SERVICE_UNAVAILABLE = "service-unavailable"  # 503
    DROPPED_CONNECTION = "dropped-connection"
    SLOW_RESPONSE = "slow-response"
    TRUNCATED_BODY = "truncated-body"
    INVALID_JSON = "invalid-json"
    BAD_RECORD = "bad-record"
    DUPLICATE_RECORD = "duplicate-record"
    UPDATED_WHILE_PAGING = "updated-while-paging"
    TOKEN_EXPIRED = "token-expired"  # noqa: S105 - a fault name, not a password
    REPORT_FATAL = "report-fatal"
    DOCUMENT_URL_EXPIRED = "document-url-expired"


# Request faults, in the order a request's single draw walks through them.
REQUEST_FAULTS = (
    FaultKind.RATE_LIMIT_STORM,
    FaultKind.SERVER_ERROR,
    FaultKind.SERVICE_UNAVAILABLE,
    FaultKind.DROPPED_CONNECTION,
    FaultKind.SLOW_RESPONSE,
    FaultKind.TRUNCATED_BODY,
    FaultKind.INVALID_JSON,
)
BAD_RECORD_VARIANTS = ("bad-date", "negative-quantity", "unknown-status", "missing-id")


@dataclass(frozen=True, slots=True)
class FaultProfile:
    """Rates per fault: per request, per record, per follow-up page, per token or report."""

    name: str
    rates: Mapping[FaultKind, float] = field(default_factory=dict)
    slow_s: float = 35.0
    storm_length: tuple[int, int] = (2, 5)  # consecutive requests of an (account, operation)
    token_uses: tuple[int, int] = (3, 12)

    def rate(self, kind: FaultKind) -> float:
        return self.rates.get(kind, 0.0)

    def scaled(self, name: str, factor: float) -> FaultProfile:
        rates = {kind: rate * factor for kind, rate in self.rates.items()}
        return dataclasses.replace(self, name=name, rates=rates)


_SINGLE: dict[str, dict[FaultKind, float]] = {
    "none": {},
    "rate-limits": {FaultKind.RATE_LIMIT_STORM: 0.04},
    "server-errors": {FaultKind.SERVER_ERROR: 0.04, FaultKind.SERVICE_UNAVAILABLE: 0.04},
    "network": {
        FaultKind.DROPPED_CONNECTION: 0.03,
        FaultKind.SLOW_RESPONSE: 0.02,
        FaultKind.TRUNCATED_BODY: 0.03,
        FaultKind.INVALID_JSON: 0.03,
    },
    "bad-records": {FaultKind.BAD_RECORD: 0.01},
    "paging": {FaultKind.DUPLICATE_RECORD: 0.35, FaultKind.UPDATED_WHILE_PAGING: 0.35},
    "auth": {FaultKind.TOKEN_EXPIRED: 1.0},
    "reports": {FaultKind.REPORT_FATAL: 0.34, FaultKind.DOCUMENT_URL_EXPIRED: 0.34},
}
PROFILES: dict[str, FaultProfile] = {name: FaultProfile(name, r) for name, r in _SINGLE.items()}
PROFILES["chaos"] = FaultProfile(
    "chaos", {kind: rate for rates in _SINGLE.values() for kind, rate in rates.items()}
).scaled("chaos", 1 / 3)


def profile_named(name: str) -> FaultProfile:
    try:
        return PROFILES[name]
    except KeyError:
        known = ", ".join(PROFILES)
        raise ValueError(f"unknown fault profile {name!r} (known: {known})") from None


class FaultPlan:
    """The seeded decisions of one sandbox run (thread-safe)."""

    def __init__(self, profile: FaultProfile | str | None, seed: int) -> None:
        if profile is None:
            profile = PROFILES["none"]
        self.profile = profile_named(profile) if isinstance(profile, str) else profile
        self._seed = seed
        self._requests: dict[tuple[str, str], int] = {}
        self._storms: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()

    @property
    def is_active(self) -> bool:
        return any(rate > 0 for rate in self.profile.rates.values())

    def chance(self, kind: FaultKind | str, *key: object) -> float:
        """A uniform number in [0, 1) fixed by the seed, the fault and the key."""
        text = "|".join(str(part) for part in (self._seed, kind, *key))
        digest = hashlib.blake2b(text.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64

    def on_request(self, account: str, operation: str) -> FaultKind | None:
        """The request fault (if any) of the next (account, operation) request."""
        if not self.is_active:
            return None
        pair = (account, operation)
        with self._lock:
            number = self._requests.get(pair, 0)
            self._requests[pair] = number + 1
            if self._storms.get(pair, 0) > 0:
                self._storms[pair] -= 1
                return FaultKind.RATE_LIMIT_STORM
        draw, threshold = self.chance("request", account, operation, number), 0.0
        for kind in REQUEST_FAULTS:
            threshold += self.profile.rate(kind)
            if draw < threshold:
                if kind is FaultKind.RATE_LIMIT_STORM:
                    self._start_storm(pair, number)
                return kind
        return None

    def bad_record(self, record_id: str) -> str | None:
        """How record ``record_id`` violates the schema (always the same way), or None."""
        rate = self.profile.rate(FaultKind.BAD_RECORD)
        if rate <= 0 or self.chance(FaultKind.BAD_RECORD, record_id) >= rate:
            return None
        pick = self.chance("variant", record_id)
        return BAD_RECORD_VARIANTS[int(pick * len(BAD_RECORD_VARIANTS))]

    def page_faults(self, account: str, operation: str, page_key: str) -> set[FaultKind]:
        """Faults of a follow-up page (``page_key`` identifies it: query and position)."""
        found = set()
        for kind in (FaultKind.DUPLICATE_RECORD, FaultKind.UPDATED_WHILE_PAGING):
            rate = self.profile.rate(kind)
            if rate > 0 and self.chance(kind, account, operation, page_key) < rate:
                found.add(kind)
        return found

    def token_uses(self, account: str, issue_number: int) -> int | None:
        """How many requests the ``issue_number``-th token of ``account`` survives (None: all)."""
        rate = self.profile.rate(FaultKind.TOKEN_EXPIRED)
        if rate <= 0 or self.chance(FaultKind.TOKEN_EXPIRED, account, issue_number) >= rate:
            return None
        low, high = self.profile.token_uses
        return low + int(self.chance("uses", account, issue_number) * (high - low + 1))

    def report_fatal(self, account: str, report_number: int) -> bool:
        rate = self.profile.rate(FaultKind.REPORT_FATAL)
        return rate > 0 and self.chance(FaultKind.REPORT_FATAL, account, report_number) < rate

    def document_url_expired(self, account: str, fetch_number: int) -> bool:
        rate = self.profile.rate(FaultKind.DOCUMENT_URL_EXPIRED)
        chance = self.chance(FaultKind.DOCUMENT_URL_EXPIRED, account, fetch_number)
        return rate > 0 and chance < rate

    def _start_storm(self, pair: tuple[str, str], number: int) -> None:
        low, high = self.profile.storm_length
        length = low + int(self.chance("storm", *pair, number) * (high - low + 1))
        with self._lock:
            self._storms[pair] = length - 1  # this request is the first of the storm
