from __future__ import annotations

from custsync.pipeline.addresses import PostalAddress
from custsync.pipeline.normalize import PersonName
from custsync.pipeline.profiles import BuyerProfile
from custsync.pipeline.scoring import Rule, compare, compare_both
from custsync.pipeline.states import key_state
from custsync.records import AccountId, BuyerKey
from tests.support.identity import HOME, profile, states_of


def _buyer(key: str, *addresses: PostalAddress) -> BuyerProfile:
    ann = PersonName("ann", (), "lee")
    return BuyerProfile(AccountId("shop"), BuyerKey(key), names=(ann,), addresses=addresses)


def test_both_policies_at_once_match_each_policy_alone() -> None:
    pairs = [
        (
            profile("list", "1", name="Lily Petersen", phone="+61 403 851 424", **HOME),
            profile("list", "2", name="Mitchell Petersen", phone="+61 403 851 424", **HOME),
        ),
        (
            profile("list", "3", name="Robert Smith", **HOME),
            profile("list", "4", name="Smith Bob", **HOME),
        ),
        (
            profile("list", "5", name="Anna Kay", **HOME),
            profile("list", "6", name="Hanna Kay", **HOME | {"postal_code": "98102"}),
        ),
        (
            profile("list", "7", name="Anna Berg", email="anna@acme.com", phone="2065550100"),
            profile("list", "8", name="Erik Berg", email="erik@acme.com", phone="2065550100"),
        ),
    ]
    for a, b in pairs:
        strict, tolerant = states_of([a, b]), states_of([a, b], noisy=["list"])
        assert compare_both(a, b, strict) == (compare(a, b, strict), compare(a, b, tolerant))


def test_the_best_address_decides_whether_a_pair_is_placed() -> None:
    near = PostalAddress("US", "98101", "", "seattle", "oak ave", "12", "", "")
    near_other = PostalAddress("US", "98102", "", "tacoma", "pine st", "900", "", "")
    town = PostalAddress("US", "", "", "austin", "", "5", "", "")
    town_other = PostalAddress("US", "78701", "", "austin", "elm st", "7", "", "")
    placed = _buyer("a", near), _buyer("b", near_other)
    outweighed = _buyer("a", near, town), _buyer("b", near_other, town_other)
    strict, tolerant = compare_both(*placed, states_of(placed))
    assert strict is None
    assert tolerant is not None
    assert tolerant.is_link
    assert compare_both(*outweighed, states_of(outweighed)) == (None, None)


def test_beside_a_shared_phone_a_common_name_weighs_as_one_held_by_four_buyers() -> None:
    """Beside a shared phone a value's weight reads how common it is only up to 4 holders;
    name + address evidence reads it as counted. Rare spellings stay rare."""
    phone = "2065550100"
    pair = (
        profile("shop", "1", name="John Smith", phone=phone, **HOME),
        profile("ebay", "2", name="John Smith", phone=phone, **HOME),
    )
    house = (
        profile("shop", "3", name="John Smith", **HOME),
        profile("ebay", "4", name="John Smith", **HOME),
    )
    scores = {}
    for holders in (4, 1000, 5000):
        common = states_of([*pair, *house], total=500_000)
        common |= {key: key_state(holders) for key in ("F:john", "L:smith")}
        shared, kept = compare(*pair, common), compare(*house, common)
        assert shared is not None
        assert kept is not None
        scores[holders] = (shared.rule, shared.score, kept.score)
    assert {rule for rule, _, _ in scores.values()} == {Rule.PHONE}
    assert scores[4][1] == scores[1000][1] == scores[5000][1]
    assert scores[4][2] > scores[1000][2] > scores[5000][2]
