from __future__ import annotations

from custsync.pipeline.clusters import OverrideAction, Overrides, fold_overrides
from custsync.pipeline.facts import BuyerRef
from custsync.pipeline.identity import (
    Link,
    assign_customer_ids,
    block_members,
    candidate_pairs,
    customer_id_for,
    every_candidate_pair,
    is_usable_block,
)
from custsync.pipeline.profiles import (
    BuyerProfile,
    blocking_keys,
    profile_from_json,
    profile_to_json,
)
from custsync.pipeline.scoring import Rule, compare
from custsync.pipeline.states import key_state
from custsync.records import AccountId, BuyerKey, CustomerId
from tests.support.identity import HOME, customers_of, links_of, profile, states_of, together

ELSEWHERE = HOME | {"address_line1": "900 Pine Street", "city": "Austin", "postal_code": "78701"}


def test_same_personal_email_links_across_accounts() -> None:
    a = profile("shopify", "1", name="Ann Lee", email="Ann.Lee+shop@gmail.com")
    b = profile("ebay", "ann_l", name="Ann Lee", email="annlee@googlemail.com")
    (link,) = links_of([a, b])
    assert (link.rule, link.is_link) == (Rule.EMAIL, True)
    assert dict(link.evidence)["email"] == "same e-mail annlee@gmail.com"


def test_a_relay_alias_links_only_within_its_account() -> None:
    alias = "x1y2@marketplace.amazon.com"
    same = [profile("amazon", "k1", email=alias), profile("amazon", "k2", email=alias)]
    other = [profile("amazon", "k1", email=alias), profile("shop-list", "7", email=alias)]
    assert [x.rule for x in links_of(same)] == [Rule.EMAIL]
    assert links_of(other) == []


def test_sentinel_emails_join_nobody() -> None:
    iba = "no-reply-amazon-iba-buyer@marketplace.amazon.com"
    buyers = [
        profile("amazon", "a", name="Ann Lee", email=iba, **ELSEWHERE),
        profile("amazon", "b", name="Bob Kay", email=iba, **HOME),
        profile("ebay", "c", name="Cid Roe", email="Invalid Request", **HOME),
    ]
    assert all(not p.emails and not p.relay_emails for p in buyers)
    assert [x for x in links_of(buyers) if x.is_link] == []


def test_same_phone_in_any_format_links() -> None:
    a = profile("amazon", "a", name="Robert Smith", phone="(206) 555 0142", **HOME)
    b = profile("shopify", "b", name="Bob Smith", phone="+1 206-555-0142", **ELSEWHERE)
    (link,) = links_of([a, b])
    assert (link.rule, link.is_link) == (Rule.PHONE, True)


def test_name_and_house_link_nickname_and_last_first_spellings() -> None:
    a = profile("amazon", "a", name="Katherine Müller", **HOME)
    b = profile("ebay", "b", name="Muller, Kate", **HOME | {"address_line1": "12 OAK AVE"})
    (link,) = links_of([a, b])
    assert link.rule is Rule.NAME_ADDRESS
    assert link.is_link
    assert "one name" in dict(link.evidence)["name"]


def test_an_initial_fits_a_nickname_through_its_formal_name() -> None:
    phone = {"phone": "(415) 372-2152"}
    richard = profile("amazon", "1", name="Richard Counbrarson", **HOME | phone)
    dick = profile("amazon", "2", name="Dick Counbrarson", **HOME | phone)
    r = profile("amazon", "3", name="R. Counbrarson", **HOME | phone)
    (dick_r,) = [x for x in links_of([dick, r]) if x.b[1] == "3"]
    assert (dick_r.is_link, dick_r.names_conflict) == (True, False)
    assert "initial r fits dick (richard)" in dict(dick_r.evidence)["name"]
    (one,) = customers_of([richard, dick, r])
    assert len(one) == 3
    d = profile("amazon", "4", name="D. Counbrarson", **HOME | phone)
    (richard_d,) = links_of([richard, d])
    assert richard_d.names_conflict  # Richard is a nickname of nothing that starts with D


def test_a_household_sharing_a_phone_and_house_stays_apart() -> None:
    john = profile("amazon", "j", name="John Smith", phone="2065550142", **HOME)
    mary = profile("amazon", "m", name="Mary Smith", phone="2065550142", **HOME)
    john2 = profile("ebay", "j2", name="J. Smith", phone="2065550199", **HOME)
    (apart,) = [x for x in links_of([john, mary]) if not x.is_link]
    assert apart.names_conflict
    assert apart.rule is Rule.PHONE
    customers = customers_of([john, mary, john2])
    assert not together(customers, "j", "m")
    assert not together(customers, "m", "j2")


def test_first_names_that_only_look_alike_are_a_household_even_when_one_is_rare() -> None:
    charlotte = profile("list", "1", name="Charlotye Orchard", **HOME)  # a rare spelling
    charles = profile("list", "2", name="Charles Orchard", **HOME)
    isabel = profile("list", "3", name="Isabeel Vance", **HOME)  # two edits: a typo
    isabelle = profile("list", "4", name="Isabelle Vance", **HOME)
    states = states_of([charlotte, charles, isabel, isabelle], total=100_000)
    by_key: dict[tuple[str, str], Link] = {
        (x.a[1], x.b[1]): x for x in links_of([charlotte, charles, isabel, isabelle], states)
    }
    assert (by_key["1", "2"].is_link, by_key["1", "2"].names_conflict) == (False, True)
    assert (by_key["3", "4"].is_link, by_key["3", "4"].names_conflict) == (True, False)
    assert "isabeel ~ isabelle" in dict(by_key["3", "4"].evidence)["name"]


def test_namesakes_in_other_places_stay_apart() -> None:
    one = profile("amazon", "a", name="Thomas Jones", **HOME)
    two = profile("amazon", "b", name="Thomas Jones", **ELSEWHERE)
    assert links_of([one, two]) == []


def test_a_buyer_without_a_name_behind_a_households_phone_joins_neither() -> None:
    shared = {"phone": "2065550142", **HOME}
    john = profile("amazon", "j", name="John Smith", **shared)
    mary = profile("amazon", "m", name="Mary Smith", **shared)
    nameless = profile("amazon", "x", **shared)
    customers = customers_of([john, mary, nameless])
    assert ((AccountId("amazon"), BuyerKey("x")),) in customers
    assert not together(customers, "j", "m")


def test_one_weak_link_does_not_chain_two_strong_groups() -> None:
    base = {"city": "Seattle", "state": "WA", "country_code": "US"}
    north = [
        profile(
            "a",
            f"n{i}",
            name="Lena Vogt",
            phone="2065550100",
            **base,
            address_line1="1 Elm Street",
            postal_code="98101",
        )
        for i in range(2)
    ]
    south = [
        profile(
            "a",
            f"s{i}",
            name="Lena Vogt",
            phone="2065550199",
            **base,
            address_line1="9 Cedar Lane",
            postal_code="98109",
        )
        for i in range(2)
    ]
    bridge = [
        profile("b", "x", name="Lena Vogt", address_line1="1 Elm St", postal_code="98101", **base)
    ]
    states = states_of(north + south + bridge, total=1 << 16)
    weakly = customers_of(north + south + bridge, states=states)
    assert together(weakly, "n0", "n1", "x")
    assert together(weakly, "s0", "s1")
    assert not together(weakly, "n0", "s0")


def test_noisy_accounts_tolerate_a_different_first_name() -> None:
    a = profile("list", "1", name="Lily Petersen", phone="+61 403 851 424", **HOME)
    b = profile("list", "2", name="Mitchell Petersen", phone="+61 403 851 424", **HOME)
    strict = compare(a, b, states_of([a, b]))
    tolerant = compare(a, b, states_of([a, b], noisy=["list"]))
    assert strict is not None
    assert not strict.is_link
    assert tolerant is not None
    assert tolerant.is_link
    assert tolerant.names_conflict


def test_noisy_accounts_keep_colleagues_apart_each_with_an_email_of_their_own() -> None:
    office = {"phone": "+1 206 555 0100", **HOME}
    mary = profile("crm", "1", name="Mary Jones", email="mary.jones@acme.com", **office)
    peter = profile("crm", "2", name="Peter Smith", email="peter.smith@acme.com", **office)
    sister = profile("crm", "3", name="Ann Jones", email="ann@mail.com", **office)
    typed = profile("crm", "4", name="Petra Smyth", **office)  # no e-mail: a record typed twice?
    states = states_of([mary, peter, sister, typed], noisy=["crm"])
    apart = compare(mary, peter, states)  # both name parts differ, two own e-mails
    assert apart is not None
    assert (apart.is_link, apart.names_conflict) == (False, True)
    household = compare(mary, sister, states)  # the surname agrees: the first name may be wrong
    assert household is not None
    assert household.is_link
    unknown = compare(mary, typed, states)  # no e-mail to tell them apart: the noisy policy
    assert unknown is not None
    assert unknown.is_link
    strict = compare(mary, peter, states_of([mary, peter]))
    assert strict is not None
    assert not strict.is_link


def test_mailboxes_at_one_organisation_are_colleagues_unless_the_names_agree() -> None:
    office = {"phone": "+1 206 555 0100", **HOME}
    anna = profile("crm", "1", name="Anna Berg", email="anna.berg@acme.com", **office)
    namesake = profile("crm", "2", name="Anna Lind", email="anna.lind@acme.com", **office)
    erik = profile("crm", "3", name="Erik Berg", email="erik.berg@acme.com", **office)
    again = profile("crm", "4", name="Anna Berg", email="a.berg@acme.com", **office)
    married = profile("crm", "5", name="Anna Lind", email="anna.lind@gmail.com", **office)
    maria = profile("crm", "6", name="María García", email="mgarcia@acme.com", **office)
    both = profile("crm", "7", name="María García López", email="maria@acme.com", **office)
    people = [anna, namesake, erik, again, married, maria, both]
    for states in (states_of(people), states_of(people, noisy=["crm"])):
        colleague = compare(anna, namesake, states)  # one first name, two surnames
        assert colleague is not None
        assert (colleague.rule, colleague.is_link) == (Rule.PHONE, False)
        assert dict(colleague.evidence)["email"] == "mailboxes of their own at acme.com"
        same_surname = compare(anna, erik, states)  # kept apart even where first names are noisy
        assert same_surname is not None
        assert not same_surname.is_link
        two_mailboxes = compare(anna, again, states)  # one person's two addresses
        assert two_mailboxes is not None
        assert two_mailboxes.is_link
        new_surname = compare(anna, married, states)  # a public provider: a name may change
        assert new_surname is not None
        assert new_surname.is_link
        two_surnames = compare(maria, both, states)  # one surname among the other's names
        assert two_surnames is not None
        assert two_surnames.is_link


def test_namesakes_at_two_organisations_on_one_street_are_not_linked() -> None:
    """Noisy records are placed by their street. Two people of one common name working at two
    companies of one street, each with a mailbox there, weigh that against the name; one
    mailbox at a public provider says little."""
    street = {"city": "Seattle", "state": "WA", "postal_code": "98143", "country_code": "US"}
    at_90 = {"address_line1": "90 Oak Ave", "phone": "+1 206 555 0100", **street}
    at_845 = {"address_line1": "845 Oak Ave", "phone": "+1 206 555 0199", **street}
    ethan = profile("crm", "1", name="Ethan Weber", email="ethan.weber@corp790.com", **at_90)
    namesake = profile("crm", "2", name="Ethan Weber", email="ethan.weber@corp19.com", **at_845)
    private = profile("crm", "3", name="Ethan Weber", email="ethan.weber@gmail.com", **at_845)
    job = {"phone": "+1 206 555 0177", "address_line1": "90 Oak Ave", **street}
    moved_job = profile("crm", "4", name="Ethan Weber", email="eweber@initech.com", **job)
    people = [ethan, namesake, private, moved_job]
    held = {"F:ethan": 150, "L:weber": 150, "Z:US|98143": 150, "S:US|oak": 1750}
    common = {key: key_state(n) for key, n in held.items()}  # as in a list of 14,000 people
    common["C:US|seattle"] = key_state(14_000)
    states = states_of(people, noisy=["crm"], total=14_000) | common
    assert compare(ethan, namesake, states) is None
    one_private = compare(ethan, private, states)
    assert one_private is not None
    assert one_private.is_link
    same_house = compare(ethan, moved_job, states)  # the same desk, a new employer
    assert same_house is not None
    assert same_house.is_link
    told = dict(same_house.evidence)["email"]
    assert told == "mailboxes at two organisations, corp790.com and initech.com"


def test_a_swapped_reading_with_a_part_that_differs_is_no_agreement() -> None:
    john = profile("shop", "1", name="John Kim", phone="+1 206 555 0100", **HOME)
    alexander = profile("shop", "2", name="Alexander Johnson", phone="+1 206 555 0100", **HOME)
    swapped = profile("shop", "3", name="Kim Jon", phone="+1 206 555 0100", **HOME)
    states = states_of([john, alexander, swapped])
    household = compare(john, alexander, states)  # "John" ~ "Johnson" alone joins nothing
    assert household is not None
    assert (household.is_link, household.names_conflict) == (False, True)
    one = compare(john, swapped, states)
    assert one is not None
    assert one.is_link


def test_blocking_compares_only_buyers_sharing_a_key() -> None:
    people = [
        profile(
            "a",
            str(i),
            name=f"Person{i} Name{i}",
            phone=f"20655{i:05d}",
            address_line1=f"{i} W{i:04d}x Road",
            city=f"Town{i}",
            postal_code=f"{i:05d}",
            country_code="US",
        )
        for i in range(300)
    ]
    twins = [profile("b", "t", name="Person7 Name7", phone="2065500007", country_code="US")]
    by_ref = {p.ref: p for p in people + twins}
    keys = {ref: blocking_keys(p) for ref, p in by_ref.items()}
    members: dict[str, list[BuyerRef]] = {}
    for ref, found in keys.items():
        for key in found:
            members.setdefault(key, []).append(ref)
    states = states_of(people + twins)
    pairs = list(candidate_pairs(by_ref, by_ref, members, states, keys))
    assert pairs == [((AccountId("a"), BuyerKey("7")), (AccountId("b"), BuyerKey("t")))]
    assert not is_usable_block("p:+12065550100", 5)
    assert is_usable_block("a:US|98101|1", 6)


def _neighbours(count: int, *, same_house: bool) -> list[BuyerProfile]:
    """``count`` people of other names and phones on one street (in one house, or each in
    their own), sharing only place keys."""
    return [
        profile(
            "a",
            str(i),
            name=f"Given{i} Family{i}",
            phone=f"20655{i:05d}",
            address_line1=f"{1 if same_house else i + 1} Birchwood Lane",
            address_line2=f"Apt {i}" if same_house else "",
            city="Seattle",
            postal_code="98101",
            country_code="US",
        )
        for i in range(count)
    ]


def _pair_count(people: list[BuyerProfile]) -> int:
    by_ref = {p.ref: p for p in people}
    keys = {ref: blocking_keys(p) for ref, p in by_ref.items()}
    members = block_members(keys)
    return len(list(every_candidate_pair(members, states_of(people), keys)))


def test_a_street_block_is_used_up_to_7_buyers_and_a_house_up_to_63() -> None:
    assert _pair_count(_neighbours(7, same_house=False)) == 7 * 6 // 2
    assert _pair_count(_neighbours(8, same_house=False)) == 0
    assert _pair_count(_neighbours(63, same_house=True)) == 63 * 62 // 2
    assert _pair_count(_neighbours(64, same_house=True)) == 0


def test_every_candidate_pair_is_candidate_pairs_of_all_buyers_in_the_same_order() -> None:
    streets, names = ["Oak Avenue", "Pine Street", "Elm Road"], ["Ann Lee", "Bob Kay", "Ann Kay"]
    people = [
        profile(
            "ab"[i % 2],
            str(i),
            name=names[i % 3],
            phone=f"20655500{i % 7:02d}",
            address_line1=f"{i % 4} {streets[i % 3]}",
            city="Seattle",
            postal_code=f"9810{i % 5}",
            country_code="US",
        )
        for i in range(60)
    ]
    by_ref = {p.ref: p for p in people}
    keys = {ref: blocking_keys(p) for ref, p in by_ref.items()}
    members = block_members(keys)
    states = states_of(people)
    every = list(every_candidate_pair(members, states, keys))
    assert every == list(candidate_pairs(by_ref, by_ref, members, states, keys))
    assert len(every) > 100
    assert all(a < b for a, b in every)


def test_profiles_survive_a_trip_through_json() -> None:
    p = profile(
        "a",
        "1",
        name="Siobhán Ó Súilleabháin",
        email="s@x.ie",
        phone="+353 1 234 5678",
        address_line1="Flat 2, 10 High Street",
        city="Dublin",
        postal_code="D02 X285",
        country_code="IE",
    )
    assert profile_from_json(p.account_id, p.buyer_key, profile_to_json(p)) == p


def test_customer_ids_are_stable_and_merges_keep_the_smaller_id() -> None:
    a, b, c = ((AccountId("acct"), BuyerKey(k)) for k in "abc")
    fresh = assign_customer_ids([(a, b), (c,)], {}, set())
    assert fresh.ids == (customer_id_for(*a), customer_id_for(*c))
    previous = {a: CustomerId("C2"), b: CustomerId("C2"), c: CustomerId("C1")}
    merged = assign_customer_ids([(a, b, c)], previous, set())
    assert merged.ids == ("C1",)
    assert merged.merged_into == {"C2": "C1"}
    one = CustomerId("C1")
    split = assign_customer_ids([(a, b), (c,)], {a: one, b: one, c: one}, {CustomerId("X")})
    assert split.ids[0] == "C1"
    assert split.ids[1] == customer_id_for(*c)
    taken = assign_customer_ids([(c,)], {}, {customer_id_for(*c)})
    assert taken.ids == (customer_id_for(*c, attempt=1),)


def test_operator_overrides_merge_over_conflicts_and_split_stands_alone() -> None:
    john = profile("amazon", "j", name="John Smith", phone="2065550142", **HOME)
    mary = profile("amazon", "m", name="Mary Smith", phone="2065550142", **HOME)
    john2 = profile("ebay", "j2", name="John Smith", phone="2065550142", **HOME)
    merge = OverrideAction("merge", frozenset({john.ref, mary.ref}))
    merged = customers_of([john, mary, john2], fold_overrides([merge]))
    assert together(merged, "j", "m", "j2")
    split = OverrideAction("split", frozenset({john2.ref}))
    alone = customers_of([john, mary, john2], fold_overrides([merge, split]))
    assert together(alone, "j", "m")
    assert (john2.ref,) in alone
    assert fold_overrides([split, merge]) == Overrides((merge.buyers,), split.buyers)
