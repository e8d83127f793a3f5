"""Normalized postal addresses: postal codes per country, state codes, street words, units.

Pure and idempotent like ``normalize``. ``PostalAddress`` keeps the parts matching compares:
house number, street (abbreviations unified, German compounds split), unit, postal code,
city, state and country.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from custsync.lexicon import STATES, STREET_WORDS, UNIT_WORDS
from custsync.pipeline.normalize import fold, normalize_country

_HOUSE_NUMBER = re.compile(r"^\d{1,6}[a-z]?$")
_NOT_WORD = re.compile(r"[^\w\s]|_")
_HASH_UNIT = re.compile(r"#\s*")
_SLASH_UNIT = re.compile(r"^\s*(\d{1,5}[a-z]?)\s*/\s*(\d{1,6}[a-z]?)\b")
_NUMBER_RANGE = re.compile(r"\b(\d{1,6}[a-z]?)\s*-\s*\d{1,6}[a-z]?\b")
_UNIT_VALUE = re.compile(r"^[0-9]{1,5}[a-z]?$|^[a-z][0-9]{0,4}$")
_COMPOUND_MIN_STEM = 3
# Street words that are often written glued to the name: "Hauptstraße", "Pridhamstreet".
_COMPOUND_WORDS = tuple(
    sorted(
        ("strasse", "street", "road", "place", "crescent", "circuit", "avenue", "drive",
         "court", "terrace", "parade", "boulevard", "close", "grove", "highway", "str"),
        key=len,
        reverse=True,
    )
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PostalAddress:
    country: str
    postal_code: str
    state: str
    city: str
    street: str
    house_number: str
    unit: str
    extra: str  # what line 2 holds besides a unit: a building, an estate, a locality

    @property
    def is_empty(self) -> bool:
        return not (self.street or self.postal_code or self.city)


def normalize_postal_code(raw: str | None, country: str | None) -> str:
    """Per-country shape: US five digits (ZIP+4 dropped), DE five and AU four digits (leading
    zeros restored), CA/GB upper case without spaces; elsewhere upper-case letters and digits."""
    if not raw:
        return ""
    compact = "".join(ch for ch in fold(raw) if ch.isalnum()).upper()
    code = normalize_country(country) or ""
    digits = "".join(ch for ch in compact if ch.isdigit())
    if code == "US" and digits == compact and len(digits) >= 3:
        first = re.split(r"[^0-9]+", fold(raw).strip())[0]  # ZIP+4: the part before the dash
        zip5 = first if 3 <= len(first) <= 5 else digits[:5]
        return zip5.zfill(5)
    if code == "DE" and digits == compact and 3 <= len(digits) <= 5:
        return digits.zfill(5)
    if code == "AU" and digits == compact and 3 <= len(digits) <= 4:
        return digits.zfill(4)
    return compact


def normalize_state(raw: str | None, country: str | None) -> str:
    """A state or province code where known ('New South Wales' → 'NSW'), else the folded text
    in upper case."""
    if not raw:
        return ""
    folded = fold(raw).replace(".", "").strip()
    table = STATES.get(normalize_country(country) or "", {})
    return table.get(folded, folded.upper())


def normalize_street(raw: str | None) -> str:
    """Folded street text with street words in one short form: 'Main Street' → 'main st'."""
    return " ".join(_street_words(address_words(raw or "")))


def address_words(text: str) -> list[str]:
    """Folded words of an address line; '#12' and '3/15' (unit 3, number 15) become
    'apt 12' and 'apt 3 15', a number range '12-14' its first number."""
    folded = _HASH_UNIT.sub(" apt ", fold(text))
    folded = _SLASH_UNIT.sub(r"apt \1 \2", folded)
    folded = _NUMBER_RANGE.sub(r"\1", folded)
    return _NOT_WORD.sub(" ", folded.replace("'", "")).split()


def _street_words(tokens: list[str]) -> list[str]:
    out: list[str] = []
    for token in tokens:
        out.extend(_unglue(token))
    return [STREET_WORDS.get(token, token) for token in out]


def _unglue(token: str) -> list[str]:
    for word in _COMPOUND_WORDS:
        if token.endswith(word) and len(token) - len(word) >= _COMPOUND_MIN_STEM:
            return [token[: -len(word)], word]
    return [token]


@lru_cache(maxsize=65536)
def normalize_address(
    line1: str | None,
    line2: str | None,
    *,
    city: str | None,
    state: str | None,
    postal_code: str | None,
    country: str | None,
) -> PostalAddress | None:
    """The parts of an address; ``None`` when it holds nothing to compare."""
    code = normalize_country(country) or ""
    tokens1 = _street_words(address_words(line1 or ""))
    tokens2 = _street_words(address_words(line2 or ""))
    tokens1, unit1 = _take_unit(tokens1)
    tokens2, unit2 = _take_unit(tokens2)
    tokens1, number = _take_house_number(tokens1)
    if not number and not tokens1:
        tokens2, number = _take_house_number(tokens2)
        tokens1, tokens2 = tokens2, []
    address = PostalAddress(
        country=code,
        postal_code=normalize_postal_code(postal_code, code),
        state=normalize_state(state, code),
        city=fold(city or ""),
        street=" ".join(tokens1),
        house_number=number,
        unit=unit1 or unit2,
        extra=" ".join(tokens2),
    )
    return None if address.is_empty else address


def _take_house_number(tokens: list[str]) -> tuple[list[str], str]:
    """The house number in front ('12 Main St') or at the end ('Hauptstr 12')."""
    for index in (0, len(tokens) - 1) if tokens else ():
        if _HOUSE_NUMBER.match(tokens[index]):
            return tokens[:index] + tokens[index + 1 :], tokens[index]
    return tokens, ""


def _take_unit(tokens: list[str]) -> tuple[list[str], str]:
    """'apt 4b', 'unit 3', '# 12' (the '#' is gone after folding: 'apt' stands in)."""
    for index, token in enumerate(tokens[:-1]):
        value = tokens[index + 1]
        if token in UNIT_WORDS and _UNIT_VALUE.match(value):
            return tokens[:index] + tokens[index + 2 :], value
    return tokens, ""
