"""A buyer's identity profile: the normalized names, addresses, phones and e-mails it showed,
and the keys that find its candidate matches (blocking) and weigh them (frequencies).

Profiles are stored (as JSON) so that an incremental run re-reads its neighbours instead of
re-deriving them from their orders; ``profile_from_json(profile_to_json(p)) == p``.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, TypeVar

from custsync.lexicon import FORMAL_NAMES, STREET_WORDS
from custsync.pipeline.addresses import PostalAddress, normalize_address
from custsync.pipeline.facts import BuyerFacts, BuyerRef
from custsync.pipeline.normalize import (
    EmailKind,
    PersonName,
    email_kind,
    normalize_email,
    normalize_name,
    normalize_phone,
)
from custsync.pipeline.states import bounded_key
from custsync.records import AccountId, BuyerInfo, BuyerKey

T = TypeVar("T")
PREFIX = 5  # words block by their first letters: a typo further on still finds its match
MAX_VALUES = 6  # per kind: the most frequent spellings of a buyer's data are enough
KEYS_CACHED = 32768  # profiles whose keys are kept: a sync asks for the same ones many times
_STREET_WORD_FORMS = frozenset(STREET_WORDS.values()) | frozenset(STREET_WORDS)


@dataclass(frozen=True, slots=True)
class BuyerProfile:
    account_id: AccountId
    buyer_key: BuyerKey
    names: tuple[PersonName, ...] = ()
    addresses: tuple[PostalAddress, ...] = ()
    phones: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()  # personal addresses: identity everywhere
    relay_emails: tuple[str, ...] = ()  # marketplace aliases: identity within the account

    @property
    def ref(self) -> BuyerRef:
        return (self.account_id, self.buyer_key)

    @property
    def countries(self) -> frozenset[str]:
        return frozenset(a.country for a in self.addresses if a.country)


def build_profile(facts: BuyerFacts) -> BuyerProfile:
    """The profile of one buyer from every order and contact row it has (each spelling of its
    contact data read once, however many orders repeat it)."""
    infos = Counter([o.buyer for o in facts.orders] + [c.buyer for c in facts.contacts])
    names: Counter[PersonName] = Counter()
    addresses: Counter[PostalAddress] = Counter()
    phones: Counter[str] = Counter()
    emails: Counter[tuple[EmailKind, str]] = Counter()
    for info, seen in infos.items():
        name, address, phone, email = _read(info)
        if name:
            names[name] += seen
        if address:
            addresses[address] += seen
        if phone:
            phones[phone] += seen
        if email:
            emails[email] += seen
    return BuyerProfile(
        account_id=facts.account_id,
        buyer_key=facts.buyer_key,
        names=_top(names, lambda n: n.key),
        addresses=_top(addresses, _address_sort_key),
        phones=_top(phones, str),
        emails=_top(_of_kind(emails, EmailKind.PERSONAL), str),
        relay_emails=_top(_of_kind(emails, EmailKind.RELAY), str),
    )


def _of_kind(emails: Counter[tuple[EmailKind, str]], kind: EmailKind) -> Counter[str]:
    return Counter({email: n for (found, email), n in emails.items() if found is kind})


def _read(
    info: BuyerInfo,
) -> tuple[PersonName | None, PostalAddress | None, str | None, tuple[EmailKind, str] | None]:
    """The normalized name, address, phone and e-mail (with its kind; junk: ``None``)."""
    address = normalize_address(
        info.address_line1,
        info.address_line2,
        city=info.city,
        state=info.state,
        postal_code=info.postal_code,
        country=info.country_code,
    )
    kind, email = email_kind(info.email), normalize_email(info.email)
    return (
        normalize_name(info.name, company=info.company),
        address,
        normalize_phone(info.phone, info.country_code),
        (kind, email) if email is not None and kind is not EmailKind.JUNK else None,
    )


def _top(counts: Counter[T], sort_key: Callable[[T], Any]) -> tuple[T, ...]:
    ranked = sorted(counts.items(), key=lambda item: (-item[1], sort_key(item[0])))
    return tuple(sorted((value for value, _ in ranked[:MAX_VALUES]), key=sort_key))


def _address_sort_key(address: PostalAddress) -> tuple[str, ...]:
    return (
        address.country,
        address.postal_code,
        address.street,
        address.house_number,
        address.unit,
        address.city,
        address.state,
        address.extra,
    )


# ---------------------------------------------------------------- keys


def first_name_keys(first: str) -> frozenset[str]:
    """What a first name blocks under: its formal forms ('bob' → 'robert')."""
    return FORMAL_NAMES.get(first, frozenset({first}))


def street_word(street: str) -> str:
    """The most telling word of a street: the longest that is not a street word."""
    return max(street_words(street), key=len, default="")


def street_words(street: str) -> list[str]:
    """The words that name a street (not 'st', 'rd', numbers or two-letter particles)."""
    return [
        w for w in street.split() if w not in _STREET_WORD_FORMS and not w.isdigit() and len(w) > 2
    ]


# What two buyers holding one blocking key share, by the key's kind (its first letter, as
# ``blocking_keys`` writes it): how ``customers compare`` names a shared value.
KEY_KINDS = {
    "p": "a phone",
    "e": "an e-mail",
    "r": "a relay alias",
    "a": "a house",
    "s": "a street in a postal code",
    "y": "a street in a postal code",
    "h": "a house number and street",
    "k": "a street in a city",
    "n": "a full name",
    "t": "a name in a postal code or city",
    "m": "a name on a street",
}


@lru_cache(maxsize=KEYS_CACHED)
def blocking_keys(profile: BuyerProfile) -> frozenset[str]:
    """Keys under which candidate pairs are found: a pair is scored when it shares one.

    Several passes, so that a typo in any one field still leaves a shared key: the same phone
    or e-mail; the same house; street and postal code; street and city; house and street;
    the name (in either order); surname or first name with the postal code or the city.
    """
    keys = {f"p:{phone}" for phone in profile.phones}
    keys |= {f"e:{email}" for email in profile.emails}
    keys |= {f"r:{profile.account_id}|{email}" for email in profile.relay_emails}
    for address in profile.addresses:
        keys |= _address_keys(address)
    for name in profile.names:
        keys |= _name_keys(name, profile.addresses)
    return _stored(keys)


def is_contact_key(key: str) -> bool:
    """Whether ``key`` (a blocking key) is a phone, an e-mail or a relay alias within its
    account: two buyers holding it share what links them on its own (``scoring``)."""
    return key[0] in "per"


def _compact(text: str) -> str:
    return text.replace(" ", "")


def _address_keys(address: PostalAddress) -> set[str]:
    cc, postal, house = address.country, address.postal_code, address.house_number
    city = _compact(address.city)
    keys = {f"a:{cc}|{postal}|{house}"} if postal and house else set()
    for word in {w[:PREFIX] for w in street_words(address.street)}:
        if postal:
            keys.add(f"s:{cc}|{postal}|{word}")
            keys.add(f"y:{cc}|{''.join(sorted(postal))}|{word}")
        if house:
            keys.add(f"h:{cc}|{house}|{word}")
        if city:
            keys.add(f"k:{cc}|{city}|{word}")
    return keys


def _name_keys(name: PersonName, addresses: Collection[PostalAddress]) -> set[str]:
    places = {(a.country, a.postal_code) for a in addresses if a.postal_code}
    places |= {(a.country, _compact(a.city)) for a in addresses if a.city}
    firsts = first_name_keys(name.first) if name.first and not name.is_initial else frozenset()
    tokens = {t[:PREFIX] for t in firsts | ({name.last} if name.last else set())}
    words = {w[:PREFIX] for a in addresses for w in street_words(a.street)}
    keys = {f"n:{min(f, name.last)}|{max(f, name.last)}" for f in firsts if name.last}
    keys |= {f"t:{cc}|{token}|{place}" for token in tokens for cc, place in places}
    keys |= {f"m:{word}|{token}" for token in tokens for word in words}
    return keys


@lru_cache(maxsize=KEYS_CACHED)
def stat_keys(profile: BuyerProfile) -> frozenset[str]:
    """Keys whose counts weigh evidence: how common a first name, surname, postal code is."""
    keys = {f"F:{n.first}" for n in profile.names if n.first and not n.is_initial}
    keys |= {f"L:{n.last}" for n in profile.names if n.last}
    for a in profile.addresses:
        word = street_word(a.street)
        keys |= {f"Z:{a.country}|{a.postal_code}"} if a.postal_code else set()
        keys |= {f"S:{a.country}|{word}"} if word else set()
        keys |= {f"C:{a.country}|{_compact(a.city)}"} if a.city else set()
        keys |= {f"X:{a.extra}"} if a.extra else set()
    return _stored(keys)


def _stored(keys: Collection[str]) -> frozenset[str]:
    """Keys as stored, each spelling one shared string: a full run holds every buyer's keys
    at once, and most keys (a city, a common name) are held by many buyers."""
    return frozenset(sys.intern(bounded_key(key)) for key in keys)


# ---------------------------------------------------------------- storage


def profile_to_json(profile: BuyerProfile) -> str:
    return json.dumps(
        {
            "n": [[n.first, list(n.middle), n.last] for n in profile.names],
            "a": [list(_address_fields(a)) for a in profile.addresses],
            "p": list(profile.phones),
            "e": list(profile.emails),
            "r": list(profile.relay_emails),
        },
        ensure_ascii=False,
        separators=(",", ":"),
    )


def _address_fields(a: PostalAddress) -> tuple[str, ...]:
    return (a.country, a.postal_code, a.state, a.city, a.street, a.house_number, a.unit, a.extra)


def profile_from_json(account_id: AccountId, buyer_key: BuyerKey, text: str) -> BuyerProfile:
    data = json.loads(text)
    return BuyerProfile(
        account_id=account_id,
        buyer_key=buyer_key,
        names=tuple(PersonName(f, tuple(m), last) for f, m, last in data["n"]),
        addresses=tuple(PostalAddress(*fields) for fields in data["a"]),
        phones=tuple(data["p"]),
        emails=tuple(data["e"]),
        relay_emails=tuple(data["r"]),
    )
