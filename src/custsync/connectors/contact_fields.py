"""The fields of an imported customer list: automatic header names, name splitting, social
handles. Pure functions (``connectors.files`` reads the files)."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import urlsplit

from custsync.lexicon import SURNAME_PARTICLES

FIELDS = (
    "external_id",
    "first_name",
    "last_name",
    "full_name",
    "company",
    "email",
    "phone",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "country_code",
    "notes",
    "instagram",
    "facebook",
)


def _names(text: str) -> dict[str, str]:
    """``"email: email e-mail | ..."`` → folded header → field."""
    table: dict[str, str] = {}
    for entry in text.split("|"):
        target, _, headers = entry.partition(":")
        for header in headers.split(","):
            table[_fold(header)] = target.strip()
    return table


def _fold(header: str) -> str:
    """'E-Mail Address' → 'emailaddress': case, accents, spaces and marks do not matter."""
    decomposed = unicodedata.normalize("NFKD", header.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


HEADER_NAMES = _names(
    """external_id: id, external id, customer id, customer number, customer no, client id,
    contact id, record id, account number |
    first_name: first name, firstname, first, given name, forename, vorname, prenom |
    last_name: last name, lastname, last, surname, family name, nachname, nom |
    full_name: name, full name, fullname, customer name, contact name, contact, client |
    company: company, company name, organization, organisation, business, firma |
    email: email, e-mail, email address, e-mail address, mail |
    phone: phone, phone number, telephone, tel, mobile, mobile phone, cell, cell phone,
    telefon |
    address_line1: address, address 1, address line 1, address1, street, street address,
    street 1, addr1, strasse |
    address_line2: address 2, address line 2, address2, street 2, addr2, apartment, apt, suite |
    city: city, town, suburb, locality, ort, stadt, ville |
    state: state, province, region, county, state province, state/province, bundesland |
    postal_code: zip, zip code, zipcode, postal code, postcode, post code, postal, plz |
    country_code: country, country code, land, pays |
    notes: notes, note, comments, comment, remarks |
    instagram: instagram, ig, instagram handle, instagram url |
    facebook: facebook, fb, facebook url, facebook profile"""
)


def auto_field(header: str) -> str | None:
    """The field a column header names by itself (``None``: not a field)."""
    folded = _fold(header)
    if folded in FIELDS_FOLDED:
        return FIELDS_FOLDED[folded]
    return HEADER_NAMES.get(folded)


FIELDS_FOLDED = {_fold(name): name for name in FIELDS}


def split_full_name(full: str) -> tuple[str | None, str | None]:
    """'Mary Ann Smith' → ('Mary Ann', 'Smith'); 'Smith, Mary' → ('Mary', 'Smith');
    'Maria de la Cruz' → ('Maria', 'de la Cruz'); a single word is the first name."""
    if "," in full:
        last, _, first = (part.strip() for part in full.partition(","))
        return first or None, last or None
    words = full.split()
    if len(words) < 2:
        return (words[0] if words else None), None
    start = len(words) - 1
    while start > 1 and words[start - 1].casefold() in SURNAME_PARTICLES:
        start -= 1
    return " ".join(words[:start]), " ".join(words[start:])


_HANDLE = re.compile(r"^[A-Za-z0-9._]{1,30}$")


def instagram_handle(value: str | None) -> str | None:
    """'@Jane.Doe', 'jane.doe', 'https://www.instagram.com/jane.doe/?hl=en' → 'jane.doe'."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if "instagram.com" in text.casefold():
        path = urlsplit(text if "://" in text else f"https://{text}").path
        text = next((part for part in path.split("/") if part), "")
    text = text.lstrip("@").strip().lower()
    return text if _HANDLE.match(text) else None


def facebook_url(value: str | None) -> str | None:
    """'facebook.com/jane' → 'https://facebook.com/jane' (a scheme is added when missing); a
    bare profile name 'jane.doe' → 'https://www.facebook.com/jane.doe'."""
    if not value or not value.strip():
        return None
    text = value.strip()
    if re.match(r"^[a-z][a-z0-9+.-]*://", text, re.IGNORECASE):
        return text
    if "/" not in text and "facebook" not in text.casefold():
        return f"https://www.facebook.com/{text.lstrip('@')}"
    return f"https://{text}"
