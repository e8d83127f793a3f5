"""The buyers of the sandbox world: who they are, where they live, where they shop.

People are created one at a time, in id order, from their own random stream, so a world
can stream millions of orders while holding only the compact ``Person`` records. A few
early ids are forced into the hard cases (households, namesakes, hostile names) so that even
a 100-order world contains them.
"""

from __future__ import annotations

import bisect
import functools
import unicodedata
from dataclasses import dataclass
from random import Random

from custsync.sandbox.catalog import AMAZON_EU, AMAZON_NA, EBAY, SHOPIFY_STORE, Account
from custsync.sandbox.dice import between, pick
from custsync.sandbox.names import EMAIL_DOMAINS, HOSTILE_NAMES, City
from custsync.sandbox.vocabulary import SANDBOX, Vocabulary

COUNTRIES = ("US", "CA", "GB", "DE")
COUNTRY_CUM_WEIGHTS = (55, 65, 82, 100)  # 55 % US, 10 % CA, 17 % GB, 18 % DE
HOUSEHOLD_SHARE = 0.03
NAMESAKE_SHARE = 0.01
HOSTILE_SHARE = 0.003
FORCED_HOUSEHOLD = 1  # lives with person 0
FORCED_NAMESAKE = 3  # shares the name of person 2
FORCED_HOSTILE_FIRST, FORCED_HOSTILE_STEP = 5, 2  # 5, 7, ..., 25: one per hostile name

# Probability of holding an account, by home country: (amazon, shopify, ebay).
_ACCOUNT_ODDS = {
    "US": (0.85, 0.35, 0.30),
    "CA": (0.90, 0.25, 0.15),
    "GB": (0.90, 0.20, 0.08),
    "DE": (0.90, 0.15, 0.05),
}
_COMPANY_SUFFIX = {"US": "LLC", "CA": "Inc.", "GB": "Ltd", "DE": "GmbH"}


class Trait:
    """Bit flags of ``Person.traits`` (plain ints: they are tested on every order)."""

    NONE = 0
    SERIAL_RETURNER = 1
    GRUMPY = 2  # leaves most of the negative feedback
    PROMO_HUNTER = 4
    BUSINESS = 8  # buys through Amazon Business
    NICKNAME = 16  # goes by a nickname on some accounts
    CROSS_BORDER = 32  # also buys on the region's other Amazon marketplace


@dataclass(frozen=True, slots=True)
class Address:
    street: str
    house_number: int
    unit: str | None
    city: City
    postal_code: str

    def line1(self) -> str:
        if self.city.country_code == "DE":
            return f"{self.street} {self.house_number}"
        return f"{self.house_number} {self.street}"


@dataclass(frozen=True, slots=True)
class Person:
    index: int
    first: str
    last: str
    country: str
    address: Address
    moved_to: Address | None
    moved_at: int  # epoch seconds; meaningful only with moved_to
    email_domain: str
    email2_domain: str | None  # a second address, used on some accounts
    phone_owner: int | None  # whose number this person gives (a household may share one)
    company: str | None
    accounts: tuple[Account, ...]
    traits: int
    household_of: int | None = None
    namesake_of: int | None = None
    is_hostile: bool = False

    @property
    def person_id(self) -> str:
        return person_id(self.index)

    @property
    def email(self) -> str:
        return _email(self.first, self.last, self.index, self.email_domain, second=False)

    @property
    def email2(self) -> str | None:
        if self.email2_domain is None:
            return None
        return _email(self.first, self.last, self.index, self.email2_domain, second=True)

    @property
    def phone(self) -> str | None:
        """National significant number, digits only (unique to its owner)."""
        if self.phone_owner is None:
            return None
        subscriber = 2_000_000 + (self.phone_owner * 7919 + 1_234_567) % 8_000_000
        return f"{self.address.city.area_code}{subscriber}"

    @property
    def full_name(self) -> str:
        return f"{self.first} {self.last}"

    def address_at(self, epoch_s: int) -> Address:
        if self.moved_to is not None and epoch_s >= self.moved_at:
            return self.moved_to
        return self.address

    def has(self, trait: int) -> bool:
        return bool(self.traits & trait)


def person_id(index: int) -> str:
    """The ground-truth id of person ``index``: ``P000123``."""
    return f"P{index:06d}"


def ascii_fold(text: str) -> str:
    """'José Müller' → 'Jose Muller' (drops what has no ASCII form)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return decomposed.encode("ascii", "ignore").decode("ascii")


class PeopleFactory:
    """Creates person ``i`` after persons ``0..i-1`` (households copy their neighbour)."""

    def __init__(
        self, seed: int, start_s: int, end_s: int, vocabulary: Vocabulary = SANDBOX
    ) -> None:
        self._rng = Random(f"{seed}:people")
        self._words = vocabulary
        self._start_s, self._end_s = start_s, end_s
        self._previous: Person | None = None

    def create(self, index: int) -> Person:
        person = self._shape(index, self._previous)
        self._previous = person
        return person

    def _shape(self, index: int, previous: Person | None) -> Person:
        rng = self._rng
        draw = rng.random()
        hostile = _hostile_name(index, rng)
        if hostile is None and previous is not None and not previous.is_hostile:
            if index == FORCED_HOUSEHOLD or (index > 40 and draw < HOUSEHOLD_SHARE):
                return self._household_member(index, previous)
            if index == FORCED_NAMESAKE or (index > 40 and draw > 1 - NAMESAKE_SHARE):
                return self._namesake(index, previous)
        country = COUNTRIES[bisect.bisect(COUNTRY_CUM_WEIGHTS, rng.random() * 100)]
        words = self._words
        first, last = words.first_names[country].draw(rng), words.last_names[country].draw(rng)
        if hostile is not None:
            first, last = hostile
        return self._person(index, country, (first, last), self._address(country), hostile=hostile)

    def _person(
        self,
        index: int,
        country: str,
        name: tuple[str, str],
        address: Address,
        *,
        partner: Person | None = None,
        namesake_of: int | None = None,
        hostile: object = None,
    ) -> Person:
        rng = self._rng
        moved_to, moved_at = None, 0
        if partner is not None:
            moved_to, moved_at = partner.moved_to, partner.moved_at
        elif rng.random() < 0.08:
            moved_to, moved_at = self._address(country), between(rng, self._start_s, self._end_s)
        phone_owner = index if rng.random() < 0.9 else None
        if partner is not None and rng.random() < 0.3:
            phone_owner = partner.phone_owner
        traits = _traits(rng)
        domains = EMAIL_DOMAINS[country]
        return Person(
            index=index,
            first=name[0],
            last=name[1],
            country=country,
            address=address,
            moved_to=moved_to,
            moved_at=moved_at,
            email_domain=pick(rng, domains),
            email2_domain=pick(rng, domains) if rng.random() < 0.15 else None,
            phone_owner=phone_owner,
            company=f"{name[1]} {_COMPANY_SUFFIX[country]}" if traits & Trait.BUSINESS else None,
            accounts=_accounts(country, rng),
            traits=traits,
            household_of=partner.index if partner is not None else None,
            namesake_of=namesake_of,
            is_hostile=hostile is not None,
        )

    def _household_member(self, index: int, partner: Person) -> Person:
        rng, country = self._rng, partner.country
        firsts = self._words.first_names[country]
        last = partner.last if rng.random() < 0.8 else self._words.last_names[country].draw(rng)
        name = (firsts.draw_other(rng, partner.first), last)
        return self._person(index, country, name, partner.address, partner=partner)

    def _namesake(self, index: int, twin: Person) -> Person:
        cities = self._words.cities[twin.country]
        address = self._address(twin.country, cities.draw_other(self._rng, twin.address.city))
        name = (twin.first, twin.last)
        return self._person(index, twin.country, name, address, namesake_of=twin.index)

    def _address(self, country: str, city: City | None = None) -> Address:
        rng = self._rng
        city = city or self._words.cities[country].draw(rng)
        unit = f"Apt {between(rng, 1, 40)}{pick(rng, 'ABCD')}" if rng.random() < 0.3 else None
        top_number = 2400 if country in ("US", "CA") else 180
        return Address(
            street=self._words.streets[country].draw(rng),
            house_number=between(rng, 1, top_number),
            unit=unit,
            city=city,
            postal_code=_postal_code(city, rng),
        )


def _hostile_name(index: int, rng: Random) -> tuple[str, str] | None:
    slot, remainder = divmod(index - FORCED_HOSTILE_FIRST, FORCED_HOSTILE_STEP)
    if index >= FORCED_HOSTILE_FIRST and remainder == 0 and slot < len(HOSTILE_NAMES):
        return HOSTILE_NAMES[slot]
    if rng.random() < HOSTILE_SHARE:
        return pick(rng, HOSTILE_NAMES)
    return None


def _traits(rng: Random) -> int:
    traits = Trait.NONE
    for trait, odds in (
        (Trait.SERIAL_RETURNER, 0.03),
        (Trait.GRUMPY, 0.03),
        (Trait.PROMO_HUNTER, 0.06),
        (Trait.BUSINESS, 0.05),
        (Trait.NICKNAME, 0.25),
        (Trait.CROSS_BORDER, 0.10),
    ):
        if rng.random() < odds:
            traits |= trait
    return traits


def _accounts(country: str, rng: Random) -> tuple[Account, ...]:
    """In ACCOUNTS order, Amazon first; everyone holds at least their Amazon account."""
    amazon = AMAZON_NA if country in ("US", "CA") else AMAZON_EU
    amazon_odds, shopify_odds, ebay_odds = _ACCOUNT_ODDS[country]
    held = []
    if rng.random() < amazon_odds:
        held.append(amazon)
    if rng.random() < shopify_odds:
        held.append(SHOPIFY_STORE)
    if rng.random() < ebay_odds:
        held.append(EBAY)
    return tuple(held) or (amazon,)


def _postal_code(city: City, rng: Random) -> str:
    prefix = city.postal_prefix
    if city.country_code == "US":
        return f"{prefix}{between(rng, 0, 99):02d}"
    if city.country_code == "CA":
        letters = "ABCEGHJKLMNPRSTVWXYZ"
        return f"{prefix} {between(rng, 1, 9)}{pick(rng, letters)}{between(rng, 0, 9)}"
    if city.country_code == "GB":
        letters = "ABDEFGHJLNPQRSTUWXYZ"
        return f"{prefix} {between(rng, 1, 9)}{pick(rng, letters)}{pick(rng, letters)}"
    return f"{prefix}{between(rng, 0, 999):03d}"


@functools.lru_cache(maxsize=4096)
def email_word(text: str) -> str:
    """'Ó Súilleabháin' → 'osuilleabhain'."""
    return "".join(ch for ch in ascii_fold(text).lower() if ch.isalnum())


def _email(first: str, last: str, index: int, domain: str, *, second: bool) -> str:
    given, family = email_word(first) or "buyer", email_word(last) or "x"
    number = (index * (104_729 if second else 7_919) + 7) % 1_000_003
    if second:
        return f"{given[0]}{family}.{number}@{domain}"
    return f"{given}.{family}{number}@{domain}"
