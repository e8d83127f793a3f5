"""What the sandbox's people are called and where they live: the tables they draw from.

``SANDBOX`` (the default) draws uniformly from the short tables of ``names``: a world of the
default size is then full of namesakes, households and shared streets, the hard cases of
identity resolution. At a million orders those tables give every US surname about 8,000
holders and put everyone on one of a dozen streets, which no real customer base looks like.

``vocabulary("wide")`` keeps those tables at the head and adds thousands of made-up names,
streets and cities behind them, drawn with the long tail of real populations: a country's
most common surname is held by about 1 % of its people, its most common first name by about
3 %, its largest city by about 3 % (weights ``1 / (rank + k)``). It is meant for worlds of a
million orders, where the frequency of names and places is what identity resolution weighs.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from random import Random
from typing import Generic, TypeVar

from custsync.lexicon import HONORIFICS, SUFFIXES, SURNAME_PARTICLES
from custsync.sandbox.dice import pick
from custsync.sandbox.names import CITIES, FIRST_NAMES, LAST_NAMES, STREETS, City

T = TypeVar("T")
Shape = Callable[[str], str]  # a made-up word → a value
COUNTRIES = ("US", "CA", "GB", "DE")


@dataclass(frozen=True, slots=True)
class Table(Generic[T]):
    """Values to draw from: uniformly, or by cumulative weights (the same length)."""

    items: tuple[T, ...]
    cumulative: tuple[float, ...] = ()

    def draw(self, rng: Random) -> T:
        if not self.cumulative:
            return pick(rng, self.items)
        return rng.choices(self.items, cum_weights=self.cumulative)[0]

    def draw_other(self, rng: Random, avoid: T) -> T:
        """A value other than ``avoid`` (uniform tables: drawn from the others)."""
        if not self.cumulative:
            return pick(rng, [item for item in self.items if item != avoid])
        while (found := self.draw(rng)) == avoid:
            pass
        return found


@dataclass(frozen=True, slots=True)
class Vocabulary:
    """Per country code: first names, surnames, cities and street names."""

    name: str
    first_names: Mapping[str, Table[str]]
    last_names: Mapping[str, Table[str]]
    cities: Mapping[str, Table[City]]
    streets: Mapping[str, Table[str]]


SANDBOX = Vocabulary(
    "sandbox",
    {c: Table(names) for c, names in FIRST_NAMES.items()},
    {c: Table(names) for c, names in LAST_NAMES.items()},
    {c: Table(cities) for c, cities in CITIES.items()},
    {c: Table(streets) for c, streets in STREETS.items()},
)

# Per country: how many values in all, and ``k`` of the weights 1 / (rank + k).
_SIZES = {
    "first": ({"US": 800, "CA": 300, "GB": 400, "DE": 400}, 5),
    "last": ({"US": 5000, "CA": 1500, "GB": 2000, "DE": 2000}, 20),
    "city": ({"US": 300, "CA": 60, "GB": 80, "DE": 90}, 10),
    "street": ({"US": 600, "CA": 200, "GB": 250, "DE": 250}, 10),
}
_ONSETS = [
    "b",
    "br",
    "c",
    "ch",
    "d",
    "dr",
    "f",
    "g",
    "gr",
    "h",
    "j",
    "k",
    "kl",
    "l",
    "m",
    "n",
    "p",
    "pr",
    "r",
    "s",
    "st",
    "t",
    "tr",
    "v",
    "w",
    "z",
]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "ie", "ou", "a", "e", "o"]
_CODAS = ["", "", "n", "r", "l", "s", "m", "rd", "nd", "ck", "th"]
_SURNAME_ENDINGS = {
    "US": ("", "son", "er", "ley", "ton"),
    "CA": ("", "eau", "ier", "son"),
    "GB": ("", "son", "ley", "worth", "ham"),
    "DE": ("", "mann", "er", "berg", "hof"),
}
_STREET_KINDS = {
    "US": ("{} Street", "{} Avenue", "{} Road", "{} Lane", "{} Drive", "{} Boulevard", "{} Way"),
    "CA": ("{} Street", "{} Avenue", "{} Road", "Rue {}", "Avenue {}"),
    "GB": ("{} Road", "{} Street", "{} Lane", "{} Close", "{} Way", "{} Crescent"),
    "DE": ("{}straße", "{}weg", "{}allee", "{}ring"),
}
_CITY_ENDINGS = {
    "US": ("", "ton", "ville", " City", "field"),
    "CA": ("", "ton", "ville", "bridge"),
    "GB": ("", "ton", "bury", "ford", "ham"),
    "DE": ("", "burg", "dorf", "hausen", "stadt"),
}
_RESERVED = {w.lower() for w in (*HONORIFICS, *SUFFIXES, *SURNAME_PARTICLES)}


def _syllables(rng: Random) -> str:
    draw = rng.random()
    count = 1 if draw < 0.15 else 2 if draw < 0.9 else 3
    return "".join(
        pick(rng, _ONSETS) + pick(rng, _VOWELS) + pick(rng, _CODAS) for _ in range(count)
    )


def _made_up(rng: Random, shape: Callable[[str], str], taken: set[str]) -> Iterator[str]:
    """Endless new values: a made-up word put into ``shape``, each value once."""
    while True:
        word = _syllables(rng)
        value = shape(word.capitalize())
        if len(word) >= 4 and word not in _RESERVED and value.lower() not in taken:
            taken.add(value.lower())
            yield value


def _ended(rng: Random, endings: Sequence[str], word: str) -> str:
    return word + pick(rng, endings)


def _street(rng: Random, kinds: Sequence[str], word: str) -> str:
    return pick(rng, kinds).format(word)


def _weighted(head: Sequence[T], tail: Iterator[T], size: int, k: int) -> Table[T]:
    items = (*head, *itertools.islice(tail, max(size - len(head), 0)))
    weights = itertools.accumulate(1.0 / (rank + k) for rank in range(len(items)))
    return Table(items, tuple(weights))


def _names(
    kind: str, heads: Mapping[str, tuple[str, ...]], shape: Callable[[Random, str], Shape]
) -> dict[str, Table[str]]:
    """Per country: ``heads`` first, then made-up values put into ``shape(rng, country)``."""
    sizes, k = _SIZES[kind]
    found = {}
    for country in COUNTRIES:
        rng = Random(f"vocabulary:{kind}:{country}")
        taken = {name.lower() for name in heads[country]}
        tail = _made_up(rng, shape(rng, country), taken)
        found[country] = _weighted(heads[country], tail, sizes[country], k)
    return found


def _first_name(rng: Random, _country: str) -> Shape:
    return functools.partial(_ended, rng, ("",))  # no ending, but drawn: the tables stay as made


def _surname(rng: Random, country: str) -> Shape:
    return functools.partial(_ended, rng, _SURNAME_ENDINGS[country])


def _street_name(rng: Random, country: str) -> Shape:
    return functools.partial(_street, rng, _STREET_KINDS[country])


def _cities() -> dict[str, Table[City]]:
    sizes, k = _SIZES["city"]
    found = {}
    for country in COUNTRIES:
        rng = Random(f"vocabulary:city:{country}")
        head = CITIES[country]
        prefixes = _postal_prefixes(country, rng, {city.postal_prefix for city in head})
        taken = {city.name.lower() for city in head}
        ends = _CITY_ENDINGS[country]
        names = _made_up(rng, functools.partial(_ended, rng, ends), taken)
        tail = (
            City(name, model.state, country, prefix, model.area_code)
            for name, prefix, model in zip(names, prefixes, itertools.cycle(head), strict=False)
        )
        found[country] = _weighted(head, tail, sizes[country], k)
    return found


def _postal_prefixes(country: str, rng: Random, taken: set[str]) -> list[str]:
    """Every free prefix of the country's postal code shape, in a random order."""
    digits = "0123456789"
    if country == "US":
        shapes = ["".join(p) for p in itertools.product(digits, repeat=3)]
    elif country == "DE":
        shapes = [a + b for a, b in itertools.product(digits, repeat=2) if a + b != "00"]
    elif country == "CA":
        found = itertools.product("ABCEGHJKLMNPRSTVXY", digits, "ABCEGHJKLMNPRSTVWXYZ")
        shapes = ["".join(p) for p in found]
    else:
        letters = "ABDEGHKLMNPRSTW"
        shapes = [a + b + n for a, b in itertools.product(letters, repeat=2) for n in "123456789"]
    free = [shape for shape in shapes if shape not in taken]
    rng.shuffle(free)
    return free


NAMES = ("sandbox", "wide")


@functools.cache
def vocabulary(name: str) -> Vocabulary:
    """The vocabulary called ``name`` (one of ``NAMES``); ``wide`` is made on first use."""
    if name == SANDBOX.name:
        return SANDBOX
    if name != "wide":
        raise ValueError(f"unknown vocabulary {name!r}: use one of {', '.join(NAMES)}")
    return Vocabulary(
        "wide",
        _names("first", FIRST_NAMES, _first_name),
        _names("last", LAST_NAMES, _surname),
        _cities(),
        _names("street", STREETS, _street_name),
    )
