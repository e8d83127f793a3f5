"""Building profiles and resolving them in memory, the way a full rebuild does."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime

from custsync.pipeline.clusters import Overrides, cluster
from custsync.pipeline.facts import BuyerFacts, BuyerRef, ContactFact
from custsync.pipeline.identity import Link, block_members, find_links
from custsync.pipeline.profiles import BuyerProfile, blocking_keys, build_profile, stat_keys
from custsync.pipeline.states import TOTAL_KEY, key_state, tolerant_key
from custsync.records import AccountId, BuyerInfo, BuyerKey

SEEN = datetime(2026, 1, 1, tzinfo=UTC)
# one household's address, for tests that put buyers under one roof
HOME = {
    "address_line1": "12 Oak Avenue",
    "city": "Seattle",
    "state": "WA",
    "postal_code": "98101",
    "country_code": "US",
}


def profile(account: str, key: str, **info: str) -> BuyerProfile:
    """A buyer seen once with ``info`` (``BuyerInfo`` fields)."""
    ref = (AccountId(account), BuyerKey(key))
    contact = ContactFact(ref[0], ref[1], BuyerInfo(**info), SEEN)
    return build_profile(BuyerFacts(ref[0], ref[1], "file", False, (), (contact,)))


def states_of(
    profiles: Sequence[BuyerProfile], noisy: Sequence[str] = (), total: int | None = None
) -> dict[str, int]:
    counts: Counter[str] = Counter()
    for p in profiles:
        counts.update(blocking_keys(p) | stat_keys(p))
    states = {key: key_state(n) for key, n in counts.items()}
    states[TOTAL_KEY] = key_state(total if total is not None else len(profiles))
    states |= {tolerant_key(account): 1 for account in noisy}
    return states


def links_of(
    profiles: Sequence[BuyerProfile], states: Mapping[str, int] | None = None
) -> list[Link]:
    by_ref = {p.ref: p for p in profiles}
    members = block_members({p.ref: blocking_keys(p) for p in profiles})
    return find_links(by_ref, by_ref, members, states or states_of(profiles))


def customers_of(
    profiles: Sequence[BuyerProfile],
    overrides: Overrides | None = None,
    states: Mapping[str, int] | None = None,
) -> list[tuple[BuyerRef, ...]]:
    found = links_of(profiles, states)
    return cluster([p.ref for p in profiles], found, overrides or Overrides())


def together(customers: list[tuple[BuyerRef, ...]], *keys: str) -> bool:
    """Whether the buyers with these keys form one customer."""
    wanted = set(keys)
    return any(wanted <= {ref[1] for ref in group} for group in customers)
