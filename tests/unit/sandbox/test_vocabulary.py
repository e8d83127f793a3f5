"""The tables people draw from: the default world's short ones, and the wide ones with a
real population's long tail for worlds of a million orders."""

from __future__ import annotations

from collections import Counter
from random import Random

import pytest

from custsync.lexicon import HONORIFICS, SUFFIXES
from custsync.pipeline.addresses import normalize_postal_code
from custsync.sandbox import World
from custsync.sandbox.names import CITIES, FIRST_NAMES, LAST_NAMES, STREETS
from custsync.sandbox.vocabulary import COUNTRIES, SANDBOX, Table, vocabulary

WIDE = vocabulary("wide")


def test_the_default_world_draws_uniformly_from_the_short_tables() -> None:
    assert World(1, 10).vocabulary is SANDBOX
    people = World(3, 2000).people().values()
    plain = [p for p in people if not p.is_hostile]
    assert {p.last for p in plain} <= {name for names in LAST_NAMES.values() for name in names}
    assert {p.address.street for p in plain} <= {s for found in STREETS.values() for s in found}
    assert all(table.cumulative == () for table in SANDBOX.last_names.values())
    assert all(table.cumulative == () for table in SANDBOX.cities.values())


def test_wide_tables_keep_the_short_ones_at_their_head_and_hold_each_value_once() -> None:
    for country in COUNTRIES:
        for wide, short in (
            (WIDE.first_names[country], FIRST_NAMES[country]),
            (WIDE.last_names[country], LAST_NAMES[country]),
            (WIDE.streets[country], STREETS[country]),
            (WIDE.cities[country], CITIES[country]),
        ):
            assert wide.items[: len(short)] == short
            assert len(wide.items) >= 10 * len(short)
            assert len(set(wide.items)) == len(wide.items)
            assert len(wide.cumulative) == len(wide.items)


def test_made_up_names_are_no_honorifics_and_cities_keep_their_own_postal_area() -> None:
    reserved = {word.lower() for word in (*HONORIFICS, *SUFFIXES)}
    for country in COUNTRIES:
        firsts, lasts = WIDE.first_names[country].items, WIDE.last_names[country].items
        assert not {name.lower() for name in (*firsts, *lasts)} & reserved
        cities = WIDE.cities[country].items
        prefixes = [city.postal_prefix for city in cities]
        assert len(set(prefixes)) == len(prefixes)
        assert all(city.country_code == country for city in cities)


def test_a_wide_world_has_a_real_populations_long_tail() -> None:
    people = [p for p in World(5, 30_000, vocabulary=WIDE).people().values() if p.country == "US"]
    surnames = Counter(p.last for p in people)
    cities = Counter(p.address.city.name for p in people)
    top_share = surnames.most_common(1)[0][1] / len(people)
    assert 0.004 < top_share < 0.02  # the most common US surname: about 1 %
    assert len(surnames) > len(people) / 4  # most surnames are rare
    assert cities.most_common(1)[0][1] / len(people) < 0.05
    codes = {p.address.postal_code for p in people}
    assert all(normalize_postal_code(code, "US") == code for code in codes)


def test_a_wide_world_keeps_its_households_and_namesakes() -> None:
    people = World(1, 3000, vocabulary=WIDE).people()
    by_index = {person.index: person for person in people.values()}
    pairs = [(p, by_index[p.household_of]) for p in people.values() if p.household_of is not None]
    twins = [(p, by_index[p.namesake_of]) for p in people.values() if p.namesake_of is not None]
    assert pairs
    assert twins
    assert all(a.address == b.address and a.first != b.first for a, b in pairs)
    assert all(a.full_name == b.full_name and a.address.city != b.address.city for a, b in twins)


def test_drawing_another_value_never_gives_the_one_to_avoid() -> None:
    rng = Random(4)
    weighted = Table(("a", "b", "c"), (100.0, 100.5, 101.0))  # "a" nearly always
    assert {weighted.draw_other(rng, "a") for _ in range(200)} == {"b", "c"}
    assert {Table(("a", "b")).draw_other(rng, "a") for _ in range(20)} == {"b"}


def test_an_unknown_vocabulary_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="unknown vocabulary 'narrow': use one of sandbox, wide"):
        vocabulary("narrow")
