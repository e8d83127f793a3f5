from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from custsync.pipeline.addresses import (
    normalize_address,
    normalize_postal_code,
    normalize_state,
    normalize_street,
)
from custsync.pipeline.normalize import (
    EmailKind,
    PersonName,
    are_nickname_forms,
    email_kind,
    fold,
    normalize_country,
    normalize_email,
    normalize_name,
    normalize_phone,
    organisation_domain,
)

TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)
relaxed = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Robert Smith", PersonName("robert", (), "smith")),
        ("Smith, Robert", PersonName("robert", (), "smith")),
        ("  ROBERT   SMITH ", PersonName("robert", (), "smith")),
        ("Dr. Robert Smith Jr.", PersonName("robert", (), "smith")),
        ("Mrs Smith", PersonName("", (), "smith")),
        ("José Müller", PersonName("jose", (), "muller")),
        ("María de la Cruz", PersonName("maria", (), "delacruz")),
        ("Siobhán Ó Súilleabháin", PersonName("siobhan", (), "osuilleabhain")),
        ("Dwayne O'Neil", PersonName("dwayne", (), "oneil")),
        ("R. Smith", PersonName("r", (), "smith")),
        ("Mary Ann Smith", PersonName("mary", ("ann",), "smith")),
        ("isabelle", PersonName("isabelle", (), "")),
    ],
)
def test_names_parse_order_titles_particles_and_accents(raw: str, expected: PersonName) -> None:
    assert normalize_name(raw) == expected


def test_a_company_given_as_the_name_is_no_person() -> None:
    name, company = "Amazon.com Services LLC", "Amazon.com Services LLC"
    assert normalize_name(name, company=company) is None
    assert normalize_name("Ann Lee", company="Lee LLC") == PersonName("ann", (), "lee")
    assert normalize_name("  ") is None
    assert normalize_name("Mr") is None


def test_letters_that_join_into_a_title_are_no_surname() -> None:
    assert normalize_name("H:R,") is None  # "hr," would read back as the title Hr
    assert normalize_name("J.R.,") is None
    assert normalize_name("H. Rader,") == PersonName("", (), "hrader")


def test_nicknames_are_forms_of_one_name() -> None:
    assert are_nickname_forms("bob", "robert")
    assert are_nickname_forms("sam", "samantha")
    assert are_nickname_forms("sam", "samuel")
    assert not are_nickname_forms("samantha", "samuel")
    assert not are_nickname_forms("john", "mary")


@pytest.mark.parametrize(
    ("raw", "expected", "kind"),
    [
        ("John.Doe+shop@GoogleMail.com", "johndoe@gmail.com", EmailKind.PERSONAL),
        ("john.doe+x@yahoo.com", "john.doe+x@yahoo.com", EmailKind.PERSONAL),
        ("ann+news@outlook.com", "ann@outlook.com", EmailKind.PERSONAL),
        ("ab12cd34ef@marketplace.amazon.de", "ab12cd34ef@marketplace.amazon.de", EmailKind.RELAY),
        ("xyz@members.ebay.com", "xyz@members.ebay.com", EmailKind.RELAY),
        (
            "no-reply-amazon-iba-buyer@marketplace.amazon.co.uk",
            "no-reply-amazon-iba-buyer@marketplace.amazon.co.uk",
            EmailKind.JUNK,
        ),
        ("Invalid Request", None, EmailKind.JUNK),
        ("", None, EmailKind.JUNK),
        ("unknown@example.com", "unknown@example.com", EmailKind.JUNK),
        ("ann@shop.example", "ann@shop.example", EmailKind.JUNK),  # reserved top-level domains
        ("ann@crm.test", "ann@crm.test", EmailKind.JUNK),
        ("ann@mail.invalid", "ann@mail.invalid", EmailKind.JUNK),
        ("ann@test.com", "ann@test.com", EmailKind.PERSONAL),
    ],
)
def test_emails_follow_provider_rules_and_sentinels_are_junk(
    raw: str, expected: str | None, kind: EmailKind
) -> None:
    assert normalize_email(raw) == expected
    assert email_kind(raw) is kind


@pytest.mark.parametrize(
    ("email", "expected"),
    [
        ("ann@acme.com", "acme.com"),
        ("ann@sales.acme.co.uk", "sales.acme.co.uk"),
        ("ann@gmail.com", None),
        ("ann@yahoo.co.uk", None),  # a provider with one domain per country
        ("ann@gmx.de", None),
        ("ann@outlook.com.au", None),
        ("ann@web.de", None),
        ("ann@mail.acme.com", "mail.acme.com"),  # an organisation's own mail host
    ],
)
def test_organisation_domains_are_those_of_no_public_mail_provider(
    email: str, expected: str | None
) -> None:
    assert organisation_domain(email) == expected


@pytest.mark.parametrize(
    ("raw", "country", "expected"),
    [
        ("+1 415-234-5678", None, "+14152345678"),
        ("(415) 234 5678", "US", "+14152345678"),
        ("4152345678", "USA", "+14152345678"),
        ("020 1234567", "GB", "+44201234567"),
        ("030/1234567", "DE", "+49301234567"),
        ("+61 401 804 974", "AU", "+61401804974"),
        ("0000000000", "US", None),
        ("12", "US", None),
        ("call me", "US", None),
    ],
)
def test_phones_become_e164_with_the_address_country_as_region(
    raw: str, country: str | None, expected: str | None
) -> None:
    assert normalize_phone(raw, country) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("US", "US"),
        ("usa", "US"),
        ("U.S.A.", "US"),
        ("UK", "GB"),
        ("Deutschland", "DE"),
        ("Germany", "DE"),
        ("CAN", "CA"),
        ("Atlantis", None),
        ("", None),
    ],
)
def test_countries_become_iso_alpha2(raw: str, expected: str | None) -> None:
    assert normalize_country(raw) == expected


def test_postal_codes_take_each_countrys_shape() -> None:
    assert normalize_postal_code("94110-1234", "US") == "94110"
    assert normalize_postal_code("2134", "US") == "02134"
    assert normalize_postal_code("h2x 1k4", "CA") == "H2X1K4"
    assert normalize_postal_code("sw1a 1aa", "GB") == "SW1A1AA"
    assert normalize_postal_code("4109", "DE") == "04109"
    assert normalize_postal_code("800", "AU") == "0800"


def test_states_become_codes_where_known() -> None:
    assert normalize_state("Massachusetts", "US") == "MA"
    assert normalize_state("new south wales", "AU") == "NSW"
    assert normalize_state("Québec", "CA") == "QC"
    assert normalize_state("Bayern", "DE") == "BY"
    assert normalize_state("England", "GB") == "ENGLAND"


def test_street_spellings_compare_equal() -> None:
    assert normalize_street("123 Main Street") == normalize_street("123 MAIN ST.")
    assert normalize_street("Hauptstraße 12") == normalize_street("Hauptstr. 12")
    assert normalize_street("177 Pridhamstreet") == normalize_street("177 Pridham St")


def test_addresses_split_house_number_unit_and_street() -> None:
    one = normalize_address(
        "123 Main Street",
        "Apt 12B",
        city="Boston",
        state="MA",
        postal_code="02134",
        country="US",
    )
    two = normalize_address(
        "123 MAIN ST #12B",
        None,
        city="BOSTON",
        state="Massachusetts",
        postal_code="2134-5555",
        country="USA",
    )
    assert one == two
    assert one is not None
    assert (one.house_number, one.unit, one.street, one.postal_code) == (
        "123",
        "12b",
        "main st",
        "02134",
    )
    german = normalize_address(
        "Hauptstraße 12", None, city="Köln", state=None, postal_code="50667", country="DE"
    )
    assert german is not None
    assert (german.house_number, german.city) == ("12", "koln")
    assert (
        normalize_address(None, None, city=None, state=None, postal_code=None, country="US") is None
    )


# ---------------------------------------------------------------- idempotence


@relaxed
@given(TEXT)
def test_fold_is_idempotent(text: str) -> None:
    assert fold(fold(text)) == fold(text)


@relaxed
@given(TEXT)
def test_name_normalization_is_idempotent(text: str) -> None:
    name = normalize_name(text)
    if name is not None:
        assert normalize_name(name.key) == name


@relaxed
@given(st.one_of(TEXT, st.emails()))
def test_email_normalization_is_idempotent(text: str) -> None:
    email = normalize_email(text)
    if email is not None:
        assert normalize_email(email) == email
        assert email_kind(email) is email_kind(text)


@relaxed
@given(
    st.one_of(TEXT, st.from_regex(r"\+?[0-9 ()./-]{6,20}", fullmatch=True)),
    st.sampled_from(["US", "GB", "DE", "CA", "AU", None]),
)
@example("+9500000000", "US")  # its E.164 form once read back as a shorter number
def test_phone_normalization_is_idempotent(text: str, country: str | None) -> None:
    phone = normalize_phone(text, country)
    if phone is not None:
        assert normalize_phone(phone, country) == phone
        assert normalize_phone(phone, None) == phone


@relaxed
@given(TEXT, st.sampled_from(["US", "GB", "DE", "CA", "AU", "FR", None]))
def test_postal_code_state_and_country_normalization_are_idempotent(
    text: str, country: str | None
) -> None:
    postal = normalize_postal_code(text, country)
    assert normalize_postal_code(postal, country) == postal
    state = normalize_state(text, country)
    assert normalize_state(state, country) == state
    code = normalize_country(text)
    if code is not None:
        assert normalize_country(code) == code


@relaxed
@given(TEXT)
def test_street_normalization_is_idempotent(text: str) -> None:
    street = normalize_street(text)
    assert normalize_street(street) == street
