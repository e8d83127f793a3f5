from __future__ import annotations

from itertools import combinations

import pytest

from custsync.pipeline.clusters import Overrides, apart_reason, cluster
from custsync.pipeline.explain import Outcome, explain_pair, link_verdict
from custsync.pipeline.identity import Link
from custsync.pipeline.profiles import BuyerProfile, stat_keys
from custsync.pipeline.scoring import Rule, why_no_link
from custsync.pipeline.states import key_state
from custsync.records import AccountId, BuyerKey
from tests.support.identity import HOME, links_of, profile, states_of

ELSEWHERE = {
    "address_line1": "40 Elm Street",
    "city": "Portland",
    "postal_code": "97201",
    "country_code": "US",
}
PHONE = "+1 206 555 0142"


def _verdict(a: BuyerProfile, b: BuyerProfile, **counts: int) -> tuple[Outcome, str]:
    states = states_of([a, b]) | {key: key_state(n) for key, n in counts.items()}
    found = explain_pair(a, b, states, counts)
    return found.outcome, found.reason


def test_two_buyers_with_nothing_in_common_were_never_compared() -> None:
    a = profile("shop", "1", name="Ann Lee", **HOME)
    b = profile("shop", "2", name="Tom Kay", **ELSEWHERE)
    outcome, reason = _verdict(a, b)
    assert outcome is Outcome.NOT_COMPARED
    assert reason == "no e-mail, phone, house, street or name in one place in common"


def test_a_phone_held_by_too_many_buyers_is_named_with_its_count() -> None:
    a = profile("shop", "1", name="Ann Lee", phone=PHONE, **HOME)
    b = profile("shop", "2", name="Tom Kay", phone=PHONE, **ELSEWHERE)
    outcome, reason = _verdict(a, b, **{"p:+12065550142": 40})
    assert outcome is Outcome.NOT_COMPARED
    assert reason == (
        "what they share is too common to compare on: a phone held by 40 buyers (up to 15 count)"
    )


def test_namesakes_in_two_towns_are_compared_and_told_apart_by_place() -> None:
    a = profile("shop", "1", name="Ann Lee", **HOME)
    b = profile("shop", "2", name="Ann Lee", **ELSEWHERE)
    assert _verdict(a, b) == (
        Outcome.NO_LINK,
        "no house number, city or postal code in common, and no phones alike",
    )


def test_a_name_on_the_same_street_without_the_same_house_falls_short_of_a_link() -> None:
    a = profile("shop", "1", name="Ann Lee", **HOME)
    b = profile("shop", "2", name="Ann Lee", **HOME | {"address_line1": "90 Oak Avenue"})
    states = states_of([a, b])
    found = explain_pair(a, b, states, {})
    assert found.outcome is Outcome.NO_LINK
    assert found.score is not None
    assert found.score > 12  # names and street agree well: the house is what is missing
    assert found.reason == "not the same house, and no phones alike"


def test_a_common_name_in_two_flats_of_one_house_is_told_what_it_lacks() -> None:
    """John Smith in flats 5 and 7 of one house, among 30,000 buyers where each of his
    values is held by 8,000: the score and each check it fails."""
    a = profile("shop", "1", name="John Smith", **HOME | {"address_line2": "Apt 5"})
    b = profile("shop", "2", name="John Smith", **HOME | {"address_line2": "Apt 7"})
    states = states_of([a, b], total=30_000)
    states |= {key: key_state(8_000) for key in stat_keys(a) | stat_keys(b)}
    found = explain_pair(a, b, states, {})
    assert (found.outcome, found.score) == (Outcome.NO_LINK, 7.5)
    assert found.reason == (
        "the evidence adds up to 7.50 bits, a link needs 12.0; "
        "the names agree for 4.00 bits, a link needs 6.00 (first name and surname)"
    )


def test_two_first_names_on_one_street_are_two_people() -> None:
    a = profile("shop", "1", name="Ann Lee", **HOME)
    b = profile("shop", "2", name="Tom Lee", **HOME | {"address_line1": "90 Oak Avenue"})
    assert _verdict(a, b) == (
        Outcome.NO_LINK,
        "their first names are two people's, and they share no house",
    )


def test_a_household_behind_one_phone_is_kept_apart_and_a_shared_email_links() -> None:
    ann = profile("shop", "1", name="Ann Lee", phone=PHONE, **HOME)
    tom = profile("shop", "2", name="Tom Lee", phone=PHONE, **HOME)
    assert _verdict(ann, tom) == (
        Outcome.KEPT_APART,
        "two people behind one phone: their first names differ",
    )
    a = profile("shop", "3", name="Ann Lee", email="ann.lee@gmail.com")
    b = profile("web", "4", name="A. Lee", email="Ann.Lee@gmail.com")
    found = explain_pair(a, b, states_of([a, b]), {})
    assert (found.outcome, found.rule, found.reason) == (Outcome.LINKED, Rule.EMAIL, "")


def test_why_no_link_refuses_a_pair_that_always_has_an_outcome() -> None:
    a = profile("shop", "1", name="Ann Lee", phone=PHONE)
    b = profile("shop", "2", name="Tom Kay", phone=PHONE)
    with pytest.raises(ValueError, match="always has an outcome"):
        why_no_link(a, b, states_of([a, b]))


def test_the_explanation_agrees_with_the_links_the_resolution_finds() -> None:
    """Every pair of a small crowd: linked or kept apart exactly where ``find_links`` says,
    never compared exactly where blocking gives no candidate pair."""
    crowd = [
        profile("shop", "1", name="Ann Lee", phone=PHONE, **HOME),
        profile("shop", "2", name="Tom Lee", phone=PHONE, **HOME),
        profile("web", "3", name="Anne Lee", **HOME),
        profile("web", "4", name="Ann Lee", **ELSEWHERE),
        profile("web", "5", name="Ann Lea", **HOME | {"address_line1": "12 Oak Av"}),
        profile("list", "6", name="Bob Kay", **ELSEWHERE),
        profile("list", "7", name="Lee Ann", email="ann@mailbox.org", **HOME),
        profile("list", "8", name="Ann Lee", email="ann@mailbox.org"),
    ]
    for noisy in ((), ("shop", "web", "list")):  # first names trusted, then not
        states = states_of(crowd, noisy=noisy)
        found = {(x.a, x.b): x for x in links_of(crowd, states)}
        outcomes = set()
        for a, b in combinations(sorted(crowd, key=lambda p: p.ref), 2):
            verdict = explain_pair(a, b, states, {})
            link = found.get((a.ref, b.ref))
            expected = Outcome.NO_LINK if link is None else link_verdict(link).outcome
            if verdict.outcome is not Outcome.NOT_COMPARED:
                assert verdict.outcome is expected, (a.ref, b.ref, verdict)
            else:
                assert link is None
            outcomes.add(verdict.outcome)
        # under noisy first names Ann and Tom behind one phone, both Lee, may be one person
        assert outcomes == (set(Outcome) - {Outcome.KEPT_APART} if noisy else set(Outcome))


def _ref(key: str) -> tuple[AccountId, BuyerKey]:
    return AccountId("shop"), BuyerKey(key)


def _weak(a: str, b: str) -> Link:
    return Link(_ref(a), _ref(b), Rule.NAME_ADDRESS, 13.0)


def test_one_weak_link_between_two_customers_of_several_buyers_does_not_join_them() -> None:
    first, second = [_ref("a1"), _ref("a2")], [_ref("b1"), _ref("b2")]
    links = [Link(_ref("a1"), _ref("a2"), Rule.PHONE, 25.0)]
    links += [Link(_ref("b1"), _ref("b2"), Rule.EMAIL, 25.0), _weak("a2", "b1")]
    assert cluster(first + second, links) == [tuple(first), tuple(second)]
    reason = apart_reason(first, second, links)
    assert reason is not None
    assert reason.startswith("only weak name + address links cross between them (1, each under")
    assert apart_reason(first, second, links[:2]) is None  # nothing crosses


def test_a_pair_kept_apart_across_or_an_operator_split_is_named() -> None:
    first, second = [_ref("a1")], [_ref("b1"), _ref("b2")]
    strong = Link(_ref("a1"), _ref("b1"), Rule.PHONE, 25.0)
    apart = Link(_ref("a1"), _ref("b2"), Rule.PHONE, 1.0, is_link=False)
    inside = Link(_ref("b1"), _ref("b2"), Rule.EMAIL, 25.0)
    links = [strong, apart, inside]
    assert cluster(first + second, links) == [tuple(first), tuple(second)]
    assert apart_reason(first, second, links) == (
        "shop:a1 and shop:b2 are two people kept apart, and a customer never joins one"
        " holding a buyer kept apart from one of its own"
    )
    split = Overrides(isolated=frozenset({_ref("a1")}))
    assert apart_reason(first, second, [strong, inside], split) == (
        "an operator took shop:a1 out of automatic linking (customers split)"
    )


def test_a_pair_kept_apart_counts_as_clustering_counts_it() -> None:
    """A buyer an operator merged vouches for its names: the pair kept apart no longer
    keeps the customers apart, in ``cluster`` and in ``apart_reason`` alike."""
    first, second = [_ref("a1")], [_ref("b1"), _ref("b2")]
    links = [
        Link(_ref("a1"), _ref("b1"), Rule.PHONE, 25.0),
        Link(_ref("a1"), _ref("b2"), Rule.PHONE, 1.0, is_link=False),
        Link(_ref("b1"), _ref("b2"), Rule.EMAIL, 25.0),
    ]
    vouched = Overrides(merge_groups=(frozenset({_ref("b2"), _ref("c1")}),))
    nodes = [*first, *second, _ref("c1")]
    assert cluster(nodes, links, vouched) == [(_ref("a1"), _ref("b1"), _ref("b2"), _ref("c1"))]
    assert apart_reason(first, second, links, vouched) == (
        "nothing in the links keeps them apart: the next refresh of their buyers joins them"
    )
    assert apart_reason(first, second, links, Overrides()) is not None


def test_colleagues_behind_an_office_phone_are_named_as_colleagues() -> None:
    anna = profile("list", "7", name="Anna Berg", email="anna@acme.com", phone="+1 206 555 0100")
    erik = profile("list", "8", name="Erik Berg", email="erik@acme.com", phone="+1 206 555 0100")
    assert _verdict(anna, erik) == (
        Outcome.KEPT_APART,
        "colleagues: mailboxes of their own at acme.com, with names of two people",
    )
